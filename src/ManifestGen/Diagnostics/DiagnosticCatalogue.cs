using System.Collections.Immutable;
using System.Reflection;

namespace ManifestGen.Diagnostics;

/// <summary>
/// A rule: stable code (never reused), default severity, title, documentation, and how to fix it.
/// <paramref name="Fix"/> is optional so that a rule can be declared in one line.
/// </summary>
public sealed record DiagnosticRule(string Code, Severity DefaultSeverity, string Title, string Description, string? Fix = null);

/// <summary>
/// The one numbered catalogue of every diagnostic. Codes are stable and never reused; a retired rule
/// keeps its number. Ranges: MG00xx I/O and YAML, MG01xx shape, MG02xx placeholders and secrets,
/// MG03xx names, MG04xx schedules, MG05xx storage, MG06xx repository and retention, MG07xx SSH and paths,
/// MG08xx image, MG09xx rendering and cross-object checks, MG10xx changes that need a step before the sync (Kubernetes rejects them in place, or the hosts need new files).
/// Loader and render codes live in the other part of this partial class; MG0180-MG0199 are reserved
/// here for YAML 1.1 traps found after loading.
/// </summary>
public static partial class DiagnosticCatalogue
{
    // ---- MG00xx: I/O and YAML ----------------------------------------------------------------
    public static readonly DiagnosticRule FileNotReadable = new("MG0001", Severity.Error,
        "File cannot be read", "An inventory file named on the command line or found in values/ cannot be read.");
    public static readonly DiagnosticRule YamlSyntax = new("MG0002", Severity.Error,
        "YAML syntax error", "The file is not valid YAML; the position is where the parser stopped.");

    public static readonly DiagnosticRule InternalCheckError = new("MG0099", Severity.Error,
        "Internal error in a check",
        "A validation rule failed on this inventory instead of reporting a finding. The inventory may or may not be valid; the message names the rule. Please report it with the inventory that triggers it.",
        "Report the problem; meanwhile check the field the message names by hand.");

    // ---- MG018x: YAML 1.1 traps --------------------------------------------------------------
    public static readonly DiagnosticRule Yaml11Boolean = new("MG0180", Severity.Error,
        "Unquoted YAML 1.1 boolean where a string is meant",
        "YAML 1.1 readers (and many tools in a GitOps chain, including older Kubernetes tooling) read unquoted `yes`, `no`, `on`, `off`, `y`, `n`, `true` and `false` as booleans. Where the field is a string (a user name, a tag, a label, a path, a command), the value silently changes meaning depending on the reader.",
        "Quote the value: `user: \"no\"`.");
    public static readonly DiagnosticRule Yaml11Number = new("MG0181", Severity.Error,
        "Unquoted number where a string is meant",
        "A string field written as an unquoted number changes on the way through YAML: `1.10` becomes `1.1`, `0755` is octal in YAML 1.1, `1e3` is a float, `12:30` is sexagesimal (750) in YAML 1.1. Image tags and versions are the usual victims.",
        "Quote the value: `tag: \"1.10\"`.");
    public static readonly DiagnosticRule UnquotedCron = new("MG0182", Severity.Error,
        "Unquoted cron expression",
        "A schedule that starts with `*` is read by YAML as an alias (`*/5 * * * *` refers to an anchor named `/5`), and `@` is a reserved indicator. The file then fails to parse, or a different value is used.",
        "Quote every schedule: `schedule: \"*/5 * * * *\"`.");

    // ---- MG02xx: placeholders and secrets ----------------------------------------------------
    public static readonly DiagnosticRule Placeholder = new("MG0201", Severity.Error,
        "Unreplaced placeholder",
        "A value still contains a template placeholder: `{{…}}`, `<UPPER_CASE>`, `<your-…>`, `CHANGEME`, `REPLACE_ME`, `TODO`, `FIXME`, `TBD`, `xxx`, or a word from the inventory's `placeholders` list; outside hook commands also `${…}`, `$NAME` and `%NAME%`. Every field is checked, including hook commands and SSH host keys; in hook and dump commands the shell's own syntax (`${VAR:-default}`, `$VAR`, `$(cmd)`, `date +%Y%m%d`) is not a placeholder. The same detector checks the rendered output (MG0906). Rendering such a value produced manifests that failed only at deploy time.",
        "Replace the placeholder with the real value, or remove the field to use its default.");
    public static readonly DiagnosticRule PrivateKeyMaterial = new("MG0202", Severity.Error,
        "Private key material in the inventory",
        "A value contains private key material (a PEM `-----BEGIN … PRIVATE KEY-----` block, an OpenSSH private key, or a PuTTY key). The inventory is tracked in Git; a private key there is leaked for good.",
        "Remove the key, rotate it, and reference a Secret that holds it (`sshKeySecret`).");
    public static readonly DiagnosticRule LiteralPassword = new("MG0203", Severity.Error,
        "Literal password in the inventory",
        "A value carries a credential in clear text: a password on a command line (`-pSECRET`, `--password=…`, `PGPASSWORD=…`, `sshpass -p`), a password in a URL (`https://user:pass@…`), a well-known access token, or a plain value where `secrets.sealed.encryptedData` expects kubeseal output. The inventory is tracked in Git; credentials never go into it. A value taken from a variable or file (`$VAR`, `$(cat /run/secrets/x)`) is fine.",
        "Read the credential from a file or environment variable on the host, or store it in a Secret.");
    public static readonly DiagnosticRule SecretNotProvided = new("MG0204", Severity.Error,
        "Referenced Secret not provided",
        "In `sealed` mode every Secret the jobs reference (repository password, SSH keys) needs its encrypted data under `secrets.sealed.encryptedData`; in `external` mode a `secrets.external` store and a remote reference for each. Otherwise the pods wait for a Secret that never comes.",
        "Add the Secret and key, or switch `secrets.mode` to `reference` and create the Secret in the cluster.");

    // ---- MG03xx: names -----------------------------------------------------------------------
    public static readonly DiagnosticRule NameInvalid = new("MG0301", Severity.Error,
        "Name is not a DNS-1123 label",
        "Names of hosts, apps, the repository and the namespace become parts of Kubernetes object names and labels: lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters.",
        "Use lower case and `-`: `nextcloud-db`, not `Nextcloud_DB`.");
    public static readonly DiagnosticRule CronJobNameShortened = new("MG0302", Severity.Info,
        "CronJob name shortened",
        "The CronJob controller appends an 11-character suffix to name each Job, and Job names are capped at 63 characters, so CronJob names are at most 52. A longer derived name (`backup-<host>-<app>`) is cut and given a hash suffix: stable, but harder to recognise in `kubectl get cronjobs`.",
        "Shorten the host or app name so that `backup-<host>-<app>` fits in 52 characters.");
    public static readonly DiagnosticRule DerivedNameCollision = new("MG0303", Severity.Error,
        "Two objects get the same derived name",
        "Object names are derived from host and app names (for example `backup-<host>-<app>`). Two different entries that derive the same name would overwrite each other in `out/` and in the cluster.",
        "Rename one of the two entries.");
    public static readonly DiagnosticRule LabelValueInvalid = new("MG0304", Severity.Error,
        "Label value is invalid",
        "Label values are at most 63 characters, empty or beginning and ending with an alphanumeric character, with `-`, `_`, `.` and alphanumerics between.",
        "Shorten the value or replace the offending characters.");
    public static readonly DiagnosticRule DuplicateName = new("MG0305", Severity.Error,
        "Duplicate name",
        "Two hosts, or two apps of one host, have the same name. Names identify snapshots (restic `--host` and `app=` tag) and objects, so they must be unique.",
        "Rename one of them.");

    // ---- MG04xx: schedules -------------------------------------------------------------------
    public static readonly DiagnosticRule CronInvalid = new("MG0401", Severity.Error,
        "Schedule is not a valid CronJob schedule",
        "The schedule must be what the Kubernetes CronJob controller accepts (robfig/cron v3 `ParseStandard`): five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or `jan`-`dec`, day of week 0-6 or `sun`-`sat`), each a comma list of `*`, `?`, `N`, `N-M` with an optional `/step`; or one of `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <duration>`. ManifestGen adds `H`, `H(a-b)` and `H/step` in the minute and hour fields, replaced by a stable value hashed from the job's name.",
        "Fix the field named in the message; `crontab.guru` style expressions with five fields work.");
    public static readonly DiagnosticRule CronTimeZonePrefix = new("MG0402", Severity.Error,
        "Time zone inside the schedule",
        "Kubernetes rejects `TZ=` and `CRON_TZ=` prefixes in `spec.schedule`; the time zone belongs in `spec.timeZone`.",
        "Move the zone to the `timeZone` field: `schedule: \"0 3 * * *\"`, `timeZone: Europe/Berlin`.");
    public static readonly DiagnosticRule CronSeconds = new("MG0403", Severity.Error,
        "Schedule has a seconds field",
        "The CronJob dialect has exactly five fields; six or seven field expressions (with seconds or years, as in Quartz or Spring) are rejected.",
        "Drop the leading seconds field (and any trailing year field).");
    public static readonly DiagnosticRule CronQuartzSyntax = new("MG0404", Severity.Error,
        "Quartz-only syntax in schedule",
        "`L` (last), `W` (nearest weekday) and `#` (nth weekday) are Quartz extensions that the CronJob controller rejects.",
        "Express the day with ranges and lists, or run more often and let the job decide.");
    public static readonly DiagnosticRule CronSundaySeven = new("MG0405", Severity.Error,
        "Day of week 7",
        "Many crons accept 7 for Sunday; the CronJob controller does not (day of week is 0-6, Sunday is 0).",
        "Use `0` or `sun` for Sunday.");
    public static readonly DiagnosticRule TimeZoneUnknown = new("MG0406", Severity.Error,
        "Unknown time zone",
        "`timeZone` must be an IANA time zone name such as `Europe/Berlin` or `UTC` (spec.timeZone, GA since Kubernetes 1.27). `Local`, offsets such as `+02:00` and abbreviations such as `PST` or `CEST` are not accepted; names are case-sensitive.",
        "Use a name from the IANA database, for example `Europe/Berlin`.");
    public static readonly DiagnosticRule CronStepCoversRange = new("MG0407", Severity.Warning,
        "Step as large as its range",
        "A step at least as large as its range (`*/60` in minutes, `*/24` in hours) selects only the first value; it usually means a different schedule was intended.",
        "Write the single value (`0`) or the intended step.");
    public static readonly DiagnosticRule DeadlineExceedsInterval = new("MG0408", Severity.Warning,
        "activeDeadlineSeconds at least the schedule's interval",
        "A job may run as long as the shortest gap between two runs of its schedule, so the next run starts while the previous one still holds the repository; with `concurrencyPolicy: Forbid` runs are skipped instead.",
        "Lower `activeDeadlineSeconds` below the interval, or run less often.");
    public static readonly DiagnosticRule MaintenanceOverlapsBackup = new("MG0409", Severity.Warning,
        "Maintenance window overlaps a backup",
        "`forget --prune` and `check` take an exclusive repository lock; a backup or drill that starts inside the maintenance window waits for the lock or fails. The jobs and times are the planner's: where a maintenance schedule has `H`, the planner already placed the job at the first free value, so this finding means no value was free (or the schedule has no `H`). Behind the REST server every host has its own repository, and only its own jobs are compared. The message gives the first computed overlap.",
        "Move the maintenance schedule, or the backup's, so the windows do not meet.");
    public static readonly DiagnosticRule ScheduleNeverRuns = new("MG0410", Severity.Warning,
        "Schedule never runs",
        "No time in the next five years matches the schedule (for example `0 0 30 2 *`, 30 February). Kubernetes accepts it and the job never starts.",
        "Fix the day of month or month.");
    public static readonly DiagnosticRule HookTimeoutBeyondDeadline = new("MG0411", Severity.Error,
        "Hook or dump timeout beyond the job's deadline",
        "A hook's or dump's `timeoutSeconds` at least as long as the job's `activeDeadlineSeconds` never fires: Kubernetes stops the whole job first. A hanging hook then takes the run with it, the after hooks (which start stopped services again) are cut off, and the job's log says only that the deadline passed.",
        "Lower the hook's `timeoutSeconds` well below the job's `activeDeadlineSeconds`, or raise the deadline.");
    public static readonly DiagnosticRule HooksOutlastDeadline = new("MG0412", Severity.Warning,
        "Hooks together may outlast the job's deadline",
        "The timeouts of an app's before hooks, dumps and after hooks, plus stopping and starting its compose services (each compose command may take up to 5 minutes), add up to at least the job's `activeDeadlineSeconds`. When the hooks use their time, the job is stopped before or during its transfer, and services stopped for the backup may stay stopped.",
        "Lower the hooks' `timeoutSeconds`, or raise `activeDeadlineSeconds` to leave room for the transfer.");
    public static readonly DiagnosticRule MaintenanceOverlapsMaintenance = new("MG0413", Severity.Warning,
        "Maintenance jobs meet on the exclusive lock",
        "Each host's `forget` job, the repository's `prune` job and the `check` job take restic's exclusive lock. When one starts while another may still run (its window is its start plus `activeDeadlineSeconds`), it waits `repository.retryLockSeconds` for the lock and then fails; with one schedule for every forget job and the prune job (`maintenance.forget.schedule` without `H`), all of them start at the same minute. The message gives the first computed meeting.",
        "Write `H` in the minute and hour of the maintenance schedules (`H H * * 0`: the planner gives each job the first hour, from the one hashed from its name, at which it meets no other), or space them further apart than their `activeDeadlineSeconds`.");
    public static readonly DiagnosticRule SwitchDelayOutOfRange = new("MG0414", Severity.Error,
        "Dead man's switch delay out of range",
        "`hooks.switchDelayMinutes` is how long after the runner's last renewal the host starts stopped services on its own (the runner renews it every quarter of the delay while the run goes on). Below one minute a renewal held up by a slow SSH connection would start the services under a live run; above an hour a killed pod leaves them down that long.",
        "Set `hooks.switchDelayMinutes` from 1 to 60 (default 5).");
    public static readonly DiagnosticRule ServicesKeptRunning = new("MG0415", Severity.Warning,
        "Services kept running during the copy",
        "With `hooks.keepServicesRunning: true` the app's `stopServices` are never stopped: the snapshot holds their files as they were being written (a database may need its own recovery on restore, or a dump in `hooks.dumps`). For sshfs and tar apps it trades that for no downtime (their stop lasts the whole copy); an rsync app stops its services only for the short second pass and rarely needs it.",
        "Prefer a dump in `hooks.dumps` for the app's database, or the rsync strategy, whose stop covers only the pass that moves what changed since the live pass; remove `keepServicesRunning` when the stop is acceptable.");
    public static readonly DiagnosticRule StartingDeadlineTooShort = new("MG0416", Severity.Warning,
        "Starting deadline shorter than the CronJob controller's pass",
        "`defaults.startingDeadlineSeconds` is how late the CronJob controller may still start a run. The controller looks at every CronJob about every 10 seconds, so a deadline under 10 s (0 included) lets it skip runs it notices late; a skipped run is only an event (`missed start time`), no Job fails, and the backup silently does not happen until the overdue alert fires.",
        "Leave the default (600) or set at least 10, better a few minutes.");

    // ---- MG05xx: storage ---------------------------------------------------------------------
    public static readonly DiagnosticRule AccessModeInvalid = new("MG0504", Severity.Error,
        "Access mode invalid or not offered by the volume",
        "Access modes are `ReadWriteOnce`, `ReadOnlyMany`, `ReadWriteMany` or `ReadWriteOncePod`; a claim's modes must be a subset of its volume's.",
        "Use the same access modes on both sides.");
    public static readonly DiagnosticRule QuantityInvalid = new("MG0505", Severity.Error,
        "Invalid quantity",
        "Sizes and resources are Kubernetes quantities: a number with an optional suffix `Ki Mi Gi Ti Pi Ei` (powers of 1024), `k M G T P E` (powers of 1000), `m` (milli) or an exponent. `10GB`, `10gi` and `10 Gi` are invalid.",
        "Write `10Gi`.");
    public static readonly DiagnosticRule NfsServerMissing = new("MG0506", Severity.Error,
        "NFS server not set",
        "An NFS volume needs a server (host name or IP address).",
        "Set `storage.nfs.server`.");
    public static readonly DiagnosticRule NfsPathInvalid = new("MG0507", Severity.Error,
        "NFS path not absolute or not normalised",
        "The NFS export root and the repository path must be absolute, without `.`/`..` segments, doubled or trailing slashes.",
        "Write the path as `/export/backup/restic`.");
    public static readonly DiagnosticRule NfsPathOutsideExport = new("MG0508", Severity.Error,
        "NFS path not under the export root",
        "The repository directory is created by a Job that mounts the export root and runs `mkdir -p`; a path outside the export root (or unset) cannot be created, and the volume fails to mount with \"No such file or directory\".",
        "Put the path under the export root, or fix the export root.");
    public static readonly DiagnosticRule NfsPathOverlap = new("MG0509", Severity.Error,
        "Two volumes on the same or nested NFS paths",
        "Two volumes on the same directory, or one inside the other, write into each other's data (a restic repository inside another one, a mirror inside the repository).",
        "Give each volume its own sibling directory.");
    public static readonly DiagnosticRule NfsMountOptionNotAllowed = new("MG0510", Severity.Error,
        "NFS mount option not allowed",
        "Only well-understood NFS mount options are accepted: `nfsvers`/`vers` (3, 4, 4.0, 4.1, 4.2), `hard`, `noatime`, `nodiratime`, `relatime`, `nocto`, `sync`, `async`, `ro`, `rw`, `nolock`, `noresvport`, `_netdev`, `rsize`/`wsize` (1024-1048576), `timeo`, `retrans`, `actimeo`, `port`, `nconnect` (1-16), `proto` (tcp, tcp6, udp, udp6, rdma), `sec` (sys, krb5, krb5i, krb5p), `lookupcache` (all, none, pos, positive). `soft` returns I/O errors to restic when the NAS is slow and risks a damaged repository; unknown options make the mount fail.",
        "Remove the option or use one from the list.");
    public static readonly DiagnosticRule LocalVolumeWithoutNode = new("MG0511", Severity.Error,
        "Local volume without a node",
        "A `local` PersistentVolume requires node affinity; without a node the volume cannot be scheduled.",
        "Set `storage.local.node` to the node's name.");
    public static readonly DiagnosticRule AccessModeSingleWriter = new("MG0513", Severity.Warning,
        "Access mode lets only one job use the repository",
        "`ReadWriteOncePod` lets one pod mount the claim; every other backup and maintenance job stays Pending until it ends, and runs are missed.",
        "Use `ReadWriteMany` for an NFS repository.");
    public static readonly DiagnosticRule RequestAboveLimit = new("MG0514", Severity.Error,
        "Resource request above its limit",
        "The API server rejects a container whose request for a resource is larger than its limit.",
        "Raise the limit or lower the request.");
    public static readonly DiagnosticRule QuantityMeansOtherThanWritten = new("MG0515", Severity.Error,
        "Quantity that means something other than written",
        "A size without a unit counts bytes (`mirrorSize: 5` is 5 bytes, not 5 GiB; `cacheSize: 500` is 500 bytes), `m` means milli (`memory: 512m` is about half a byte), and a CPU amount without a unit counts whole cores (`cpu: 500` is 500 cores, not 500m). Kubernetes accepts each of them: a 5-byte claim gets the smallest volume the storage offers and fills at once, a memory limit of bytes kills the container at start, a request of 500 cores is never scheduled. Every size below 1 MiB (capacity, mirror and cache sizes, memory, ephemeral storage) and every CPU amount of 100 cores or more is reported, with the likely intent.",
        "Write the unit: `5Gi`, `500Mi`, `500m`.");
    public static readonly DiagnosticRule QuantityDecimalUnit = new("MG0512", Severity.Info,
        "Decimal unit for a size",
        "`10G` means 10·1000³ bytes, slightly less than `10Gi`. Capacities and requests compared across units are easy to get wrong.",
        "Prefer binary suffixes (`Gi`).");

    // ---- MG06xx: repository and retention ----------------------------------------------------
    public static readonly DiagnosticRule NoKeepRule = new("MG0601", Severity.Error,
        "Retention without a keep rule",
        "`restic forget` without any `--keep-*` rule refuses to run (or, with only tags, forgets everything else). Every retention policy needs at least one of last, hourly, daily, weekly, monthly, yearly, within.",
        "Add for example `keepDaily: 7` and `keepWeekly: 4`.");
    public static readonly DiagnosticRule KeepTagNotSet = new("MG0602", Severity.Error,
        "keep-tag that no job sets",
        "`forget --keep-tag X` keeps only snapshots tagged X; if no backup job sets that tag, restic forgets every snapshot of the group.",
        "Add the tag to an app's `tags`, or remove it from `keepTags`.");
    public static readonly DiagnosticRule ReadDataSubsetInvalid = new("MG0603", Severity.Error,
        "Malformed read-data subset",
        "`restic check --read-data-subset` takes `n/m` (1 ≤ n ≤ m), a percentage `x%` (0 < x ≤ 100) or a size `500M`/`2G`/`1T`.",
        "Use for example `1/7`, `5%` or `2G`.");
    public static readonly DiagnosticRule KeepValueInvalid = new("MG0604", Severity.Error,
        "Invalid keep value",
        "Keep counts are positive integers (restic treats -1 as unlimited); `keepWithin` is a restic duration such as `30d`, `1y6m` or `2w3d12h`.",
        "Use a positive count or a duration `1y2m3d4h`.");
    public static readonly DiagnosticRule PushgatewayUrlInvalid = new("MG0605", Severity.Error,
        "Pushgateway URL without http(s) scheme",
        "The runner pushes metrics with HTTP; a URL without `http://` or `https://` (such as `pushgateway:9091`) or with another scheme can never be reached, and every backup job would fail on it before touching its host.",
        "Write the full URL, for example `http://pushgateway.monitoring.svc:9091`.");
    public static readonly DiagnosticRule RepositoryNotAppendOnly = new("MG0606", Severity.Info,
        "Repository without append-only protection",
        "Without `repository.server` every job mounts the repository volume and holds everything needed to change it: a compromised backup pod (or a stolen repository password with access to the volume) can forget and prune every snapshot of every host, and with it the backups that were meant to undo the compromise. With `repository.server`, restic's REST server serves the volume with `--append-only --private-repos`: each host's backup pods reach it with a credential of their own that can add snapshots to that host's repository and read them, not delete anything, and not open another host's repository; only the forget, prune and check jobs mount the volume.",
        "Add `repository.server: { htpasswdSecret: { name: … } }` (see the README, Append-only repository), or accept the risk for this environment.");
    public static readonly DiagnosticRule RestServerPortInvalid = new("MG0607", Severity.Error,
        "REST server port the server cannot listen on",
        "The REST server runs as the non-root uid with every capability dropped (Pod Security restricted), so it cannot bind a port below 1024 (that needs CAP_NET_BIND_SERVICE); ports above 65535 do not exist. It would crash on start and every backup would fail to connect.",
        "Use a port from 1024 to 65535, for example the server's default 8000.");
    public static readonly DiagnosticRule RestServerNameInvalid = new("MG0608", Severity.Error,
        "REST server name is not a Service name",
        "The server's Service is named `<repository.name>-rest-server`, and Service names are DNS-1035 labels: they must start with a letter. The API server would refuse the Service, and the backup pods would have no server to reach.",
        "Start `repository.name` with a letter (`restic`, `r2-backups`).");
    public static readonly DiagnosticRule PingKeyWithPerJob = new("MG0609", Severity.Error,
        "Ping URL Secret with one key and one key per job",
        "`reporting.pingUrlSecret.perJob: true` gives every scheduled job a ping URL of its own: the Secret holds one key per job, named like the job (`backup-<host>-<app>`, `drill-<host>-<app>`, the forget, prune and check jobs; SECRETS.md lists them), and each pod mounts only its key. A `key` next to it names the one URL that every backup and drill would otherwise share, so the inventory says both: one silent app hidden behind the others' pings, and a URL per job.",
        "Remove `key` to give each job its own URL (a healthchecks-style service then has one check per job), or remove `perJob` to keep the one shared URL.");
    public static readonly DiagnosticRule DrillSampleRefused = new("MG0610", Severity.Error,
        "Drill sample the runner refuses",
        "`maintenance.drill.sampleFiles` becomes the drill's `--sample N`. The runner takes only a whole number of at least one file (the generator asks the runner's own parser): with 0 or less every drill run stops with a usage error, restores nothing, and the drill alert fires for every app.",
        "Set `sampleFiles` to 1 or more (the default is 20).");

    // ---- MG07xx: SSH and paths ---------------------------------------------------------------
    public static readonly DiagnosticRule HostKeyMissing = new("MG0701", Severity.Error,
        "SSH host key missing",
        "Every host needs at least one pinned public host key: jobs connect with `StrictHostKeyChecking=yes` against a pinned known_hosts and never trust on first use.",
        "Add the output of `ssh-keyscan -t ed25519 HOST` (without the host name) to `hostKeys`.");
    public static readonly DiagnosticRule HostKeyMalformed = new("MG0702", Severity.Error,
        "SSH host key malformed",
        "A host key is one OpenSSH public key line: a key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …) and base64 data whose embedded type matches, optionally followed by a comment.",
        "Copy the key from `/etc/ssh/ssh_host_ed25519_key.pub` on the host.");
    public static readonly DiagnosticRule PortOutOfRange = new("MG0704", Severity.Error,
        "Port out of range",
        "A TCP port is between 1 and 65535.",
        "Use the SSH port of the host, usually 22.");
    public static readonly DiagnosticRule UserRoot = new("MG0705", Severity.Warning,
        "SSH user is root",
        "Logging in as root gives the backup key full control of the host. A dedicated user that can read the apps' files (and is in the docker group where hooks or stopServices use compose) is enough, with its keys forced through the host gate: `hostGate` renders out/<env>/hosts/<host>/authorized_keys with `restrict,from=…,command=\"manifestgen-gate …/backup.allow\"` for the backup key and the same for the restore key (rrsync is not enough: it refuses the path check, hooks, compose and dumps).",
        "Create a backup user, set `hosts[].user` to it and `hostGate` in the inventory, and install the gate, its allow-lists and the authorized_keys lines rendered into out/<env>/hosts/<host>/ (README, host setup).");
    public static readonly DiagnosticRule PathNotAbsolute = new("MG0706", Severity.Error,
        "Path not absolute or not normalised",
        "Backup paths are absolute host paths without `.`/`..` segments, doubled or trailing slashes. Snapshot paths equal host paths, so the same directory must always be written the same way.",
        "Write `/srv/app/data`, not `srv/app/../data/`.");
    public static readonly DiagnosticRule ExcludeInvalid = new("MG0707", Severity.Error,
        "Exclude pattern invalid",
        "Exclude patterns follow restic's `--exclude` syntax (Go `filepath.Match` per path segment, plus `**`): brackets must be closed, no empty pattern, no NUL, no newline.",
        "Close the bracket or escape it with `\\\\[`.");
    public static readonly DiagnosticRule SamePathTwoApps = new("MG0708", Severity.Error,
        "Same path in two apps of one host",
        "Two apps of one host back up the same directory, or one's directory contains the other's: the data is stored twice and hooks of one app run while the other copies the files.",
        "Give each directory to exactly one app; use excludes to carve out nested directories.");
    public static readonly DiagnosticRule HostKeyWeak = new("MG0709", Severity.Warning,
        "Weak SSH host key type",
        "`ssh-dss` (DSA) keys are disabled in current OpenSSH and RSA keys shorter than 2048 bits are weak.",
        "Pin the host's ed25519 key.");
    public static readonly DiagnosticRule ExcludeNeverMatches = new("MG0710", Severity.Warning,
        "Absolute exclude outside the app's paths",
        "An absolute exclude pattern that is not under any of the app's paths never matches anything.",
        "Make it relative (`cache/`), or put it under one of the app's paths.");

    public static readonly DiagnosticRule HostAddressInvalid = new("MG0711", Severity.Error,
        "Host address invalid",
        "`address` is a DNS name or an IP address, without scheme, user or port (the port has its own field).",
        "Write `kvm01.example.org` or `10.0.0.11`; set `port` separately.");
    public static readonly DiagnosticRule SshfsNeedsPrivileged = new("MG0712", Severity.Warning,
        "sshfs without privileged",
        "The sshfs strategy mounts the host with FUSE inside the pod. Without `privileged: true` the pod gets only the SYS_ADMIN capability; FUSE also needs the /dev/fuse device, which an unprivileged pod has only where the cluster provides it (a device plugin, or a runtime that passes it in). Otherwise every run fails to mount.",
        "Set `privileged: true` on the app, make sure the cluster exposes /dev/fuse to pods, or use the `rsync` strategy.");
    public static readonly DiagnosticRule PrivilegedWithoutSshfs = new("MG0713", Severity.Warning,
        "privileged set for a strategy that does not need it",
        "Only the sshfs strategy needs a privileged pod; for rsync and tar the setting is ignored and only misleads readers.",
        "Remove `privileged: true`.");

    public static readonly DiagnosticRule SshfsOutsideRestricted = new("MG0714", Severity.Warning,
        "sshfs runs outside Pod Security restricted",
        "FUSE needs mount(2) and /dev/fuse, which Pod Security `restricted` (and `baseline`) forbid. An sshfs app is rendered into a namespace of its own (`<namespace>-sshfs`, labelled `privileged`, with its own PersistentVolume and claim onto the same repository storage), so every other pod keeps `restricted`. Its pod still runs as the non-root uid but allows privilege escalation (the setuid fusermount3 mounts), adds SYS_ADMIN and runs AppArmor-unconfined; with `privileged: true` it gets every capability and device of the node. A compromise of that pod reaches the node far more easily than one of a restricted pod.",
        "Use the `rsync` strategy (restricted, and it keeps owners in xattrs); keep sshfs for hosts where rsync cannot run.");
    public static readonly DiagnosticRule EgressUnknown = new("MG0715", Severity.Error,
        "NetworkPolicy cannot allow a destination",
        "Every environment gets a NetworkPolicy that denies all egress except cluster DNS, each host's SSH port, the pushgateway and the ping endpoint. A NetworkPolicy names IP ranges or in-cluster pods, never DNS names, so a host given by name needs `egressCidrs`, and reporting needs `networkPolicy.pushgateway` / `networkPolicy.ping`; a peer needs IP ranges or a namespace, not both.",
        "Add `egressCidrs: [10.40.0.11/32]` to the host, or `networkPolicy: { pushgateway: { namespace: monitoring, podLabels: {…}, port: 9091 }, ping: { cidrs: [...], port: 443 } }`.");
    public static readonly DiagnosticRule CidrInvalid = new("MG0716", Severity.Error,
        "IP range invalid",
        "An IP range is an address with a prefix length (`10.40.0.0/24`, `2001:db8::/64`) whose host bits are zero.",
        "Write the network address and its prefix, e.g. `10.40.0.11/32`.");
    public static readonly DiagnosticRule ExcludeRemovesApp = new("MG0717", Severity.Error,
        "Exclude removes a whole path of the app",
        "Excludes have restic's meaning in every strategy: a pattern with a leading `/` is anchored at the host's root and excludes what it matches and everything below; a pattern without one is matched against every part of a path at any depth (`*` within one part). A pattern that matches one of the app's paths itself or a folder above it (`*`, `**`, `/`, `/srv/*`, the path itself, or `compose` for `/srv/compose/wiki`) excludes every file of that path: the job succeeds with an empty snapshot.",
        "Exclude something inside the app: anchor the pattern below the app's path (`/srv/compose/wiki/cache`) or name a part that occurs only inside it (`*.tmp`).");
    public static readonly DiagnosticRule SettingNotReadByStrategy = new("MG0718", Severity.Warning,
        "Setting that the app's strategy does not read",
        "Some app settings are read by one transfer strategy only: `transferTimeoutSeconds`, `changedFileRecopies`, `changedFileIsFailure` and `checksumIntervalDays` by the rsync transfer, `mirrorSize` by the rsync mirror claim, `partialIsFailure` by the file backup of rsync and sshfs (a tar stream has no unreadable files to tolerate). Written for an app of another strategy, the value is carried along and never read: the timeout or the re-copy the operator relies on does not exist.",
        "Remove the setting, or change the app's `strategy` to the one that reads it.");
    // ---- MG073x: the host gate -----------------------------------------------------------------
    public static readonly DiagnosticRule GateSourceRangeInvalid = new("MG0730", Severity.Error,
        "Host gate source range invalid",
        "`hostGate.sourceRanges` lists the cluster's egress address ranges as the hosts see the jobs' connections, in CIDR notation (`10.42.0.0/16`, `2001:db8::/48`). They become the `from=` option of every rendered authorized_keys line; an empty list or a malformed range would leave the key usable from anywhere or from nowhere.",
        "Write each range as ADDRESS/PREFIX; ask the cluster's network owner which source addresses the hosts see.");
    public static readonly DiagnosticRule GateValueNotPlain = new("MG0731", Severity.Error,
        "Value the host gate cannot pass on unquoted",
        "On a gated host the rsync paths travel on rsync's server command line, where the gate checks them (rsync escapes special characters there), and the gate's allow-list is line-based. App paths, compose folders, service names, the gate's own paths and the log file must therefore be plain: letters, digits and `._/@+,:=-` (service names: letters, digits and `._-`); hook and dump commands must be one line without tabs.",
        "Rename the folder (or link a plain name to it on the host), or write the command on one line.");
    public static readonly DiagnosticRule GateSshfsUnconfined = new("MG0732", Severity.Warning,
        "sshfs on an unsandboxed gated host is read-only but not confined to the app",
        "sshfs speaks SFTP. The gate runs the host's sftp-server read-only (`-R`) in its sandbox, where the host's sshfs apps' paths are the only files. A host marked `gateSandbox: false` has no sandbox: sftp-server cannot confine a client to some folders, so the backup key can read every file the host user can read, not only the app's paths.",
        "Install bubblewrap on the host and remove `gateSandbox: false`, or use the rsync strategy.");
    public static readonly DiagnosticRule GatePublicKeyInvalid = new("MG0733", Severity.Error,
        "Gate public key invalid",
        "`backupPublicKey` and `restorePublicKey` are OpenSSH public key lines (`ssh-ed25519 AAAA… comment`) and must differ: the restore key writes to the host, the backup key only reads, so one key must not be both.",
        "Paste the `.pub` file of each key; generate a separate restore key with `ssh-keygen -t ed25519`.");
    public static readonly DiagnosticRule GateUnsandboxed = new("MG0734", Severity.Warning,
        "Gated host runs without its sandbox",
        "With `gateSandbox: false` the host's gate runs rsync, the drill's reads, tar and the restore's move without the sandbox in which an app's paths are the only files. The gate then checks paths by name only: a key holder who races a folder for a link, plants a link for a later request, or sends rsync filter rules over the protocol can reach files outside the app (with the restore key: write them).",
        "Install bubblewrap on the host (`manifestgen-gate self-test` says whether it works) and remove `gateSandbox: false`.");

    // ---- MG08xx: image -----------------------------------------------------------------------
    public static readonly DiagnosticRule ImageLatest = new("MG0801", Severity.Warning,
        "Image tag `latest`",
        "`latest` changes under you: two runs of the same job may use different runners, and a rollback does not roll back the image.",
        "Pin a version tag and, best, a digest (`image@sha256:…`).");
    public static readonly DiagnosticRule ImageNoTag = new("MG0802", Severity.Warning,
        "Image without a tag",
        "An image without tag or digest means `latest`.",
        "Pin a version tag and, best, a digest.");
    public static readonly DiagnosticRule ImageNoDigest = new("MG0803", Severity.Info,
        "Image without a digest",
        "A tag can be moved; a digest cannot. Pinning the digest makes every run use exactly the tested image.",
        "Add `digest: sha256:…` (from `docker buildx imagetools inspect IMAGE:TAG`).");
    public static readonly DiagnosticRule ImageReferenceInvalid = new("MG0804", Severity.Error,
        "Image reference invalid",
        "An image reference is `[registry[:port]/]repository[:tag][@sha256:<64 hex>]` with a lower-case repository and a tag of at most 128 characters of `[A-Za-z0-9_.-]`.",
        "Write for example `registry.example.org/backup/runner:1.4.2`.");

    public static readonly DiagnosticRule ImagePullPolicyInvalid = new("MG0805", Severity.Error,
        "Image pull policy invalid",
        "`pullPolicy` is one of `Always`, `IfNotPresent` or `Never` (case-sensitive).",
        "Use `IfNotPresent` with a pinned tag or digest.");

    // ---- MG09xx: rendering and cross-object checks --------------------------------------------
    public static readonly DiagnosticRule TemplateError = new("MG0901", Severity.Error,
        "Template error", "A Scriban template failed to parse or render (unknown variable or member, syntax error). The location is in the template.");
    public static readonly DiagnosticRule RenderedObjectInvalid = new("MG0902", Severity.Error,
        "Rendered object is not a valid Kubernetes object", "A rendered document did not parse strictly into its Kubernetes type (unknown or duplicate field, wrong type).");

    // ---- MG10xx: changes that need a step before the sync ------------------------------------
    public static readonly DiagnosticRule PvSourceChanged = new("MG1001", Severity.Warning,
        "PersistentVolume source changed",
        "A PersistentVolume's volume source (NFS server and path, local path and node) is immutable. The API server rejects the change, so Argo CD reports the sync as failed until the volume is deleted and recreated.",
        "Delete the PersistentVolume (data on the NFS share stays; the reclaim policy is Retain), then sync; or sync with `Replace=true` on that object.");
    public static readonly DiagnosticRule PvClassChanged = new("MG1002", Severity.Warning,
        "PersistentVolume StorageClass changed",
        "A bound PersistentVolume's `storageClassName` cannot be changed in place; the claim is bound to it, so both must be recreated.",
        "Scale the jobs down, delete the claim and the volume, then sync.");
    public static readonly DiagnosticRule PvcSpecChanged = new("MG1003", Severity.Warning,
        "PersistentVolumeClaim spec changed",
        "A claim's spec is immutable except `resources.requests.storage` (which may only grow, and only where the class allows expansion). Argo CD's apply fails with \"spec is immutable after creation\".",
        "Delete the claim (and its volume if statically bound), then sync.");
    public static readonly DiagnosticRule HostFileChanged = new("MG1004", Severity.Warning,
        "Host gate file changed: install it before the sync",
        "A file under out/<env>/hosts/<host>/ differs from the baseline (HEAD, or the revision `--baseline` names) or is new. Argo CD syncs the CronJobs of this commit at once, but the hosts still run their old files: each allow-list carries a version (a hash of its entries, in its header), every job configuration carries the version it was rendered with, and the gate refuses a job rendered for another allow-list before any hook runs, so every run of the host's apps fails (exit 126 from the gate, the run's summary and the metric `manifestgen_last_run_gate_refused` name the file) until the file is installed. A new authorized_keys line (a new key, other source ranges) likewise lets no job in before it is added.",
        "Install the named file on the named host before the sync, e.g. `install -o root -m 0644 out/production/hosts/kvm1/backup.allow /etc/manifestgen-gate/backup.allow` as root on kvm1 (README, host setup); with automated sync, install it before merging.");

    // ---- MG115x: coverage ---------------------------------------------------------------------
    public static readonly DiagnosticRule CoverageWithoutGate = new("MG1150", Severity.Error,
        "Coverage: a coverage job without the host gate",
        "A host's coverage job asks the host what it runs through one read-only request of the host gate (`manifestgen-discover`), which answers with the compose projects' names, files, images, mounts and states and nothing else. Without `hostGate` the backup key has no gate, and the discovery would need docker itself, which is root on the host.",
        "Add `hostGate` to the inventory (README, host gate), or remove `coverage: true` from the host.");
    public static readonly DiagnosticRule CoverageWithoutBackupKey = new("MG1151", Severity.Error,
        "Coverage: a coverage job on a host without its backup public key",
        "The coverage job uses the host's backup key, which the gate lets in only through the authorized_keys line rendered from `backupPublicKey`. Without it nothing lets the discovery in, and every coverage run fails at the SSH login.",
        "Add `backupPublicKey` (the `.pub` of the key in `sshKeySecret`) to the host, or remove `coverage: true`.");

    public static readonly DiagnosticRule CoverageMeetsBackup = new("MG1152", Severity.Warning,
        "Coverage: the coverage job meets a backup or drill of its host",
        "The planner places a host's daily coverage job at the first value of its `H H * * *` at which it meets no backup or drill of that host: a discovery while a backup has stopped services reports them as not running, and it adds the host's docker queries to the backup's load. This finding means no value of the day was free (the host's backups and drills fill it), so the job kept its hashed time. The message gives the first computed meeting.",
        "Shorten the host's backup or drill windows (`activeDeadlineSeconds`, the schedules) so that some minute of the day is free of them, or remove `coverage: true`.");
    public static readonly DiagnosticRule CoverageWithoutApps = new("MG1153", Severity.Warning,
        "Coverage: a coverage job on a host without apps",
        "The coverage job runs with the host's backup key, its known_hosts and the allow-list its apps' backups install; a host without apps has none of these rendered, so no coverage job is rendered for it and nothing reports what it runs.",
        "Give the host the app it should back up first (the coverage job then reports what else runs there), or run the discovery once by hand with the gate's `manifestgen-discover` and `manifestgen discover` (README, \"Start from what the host has\").");

    private static readonly Lazy<ImmutableArray<DiagnosticRule>> AllRules = new(() =>
        [.. typeof(DiagnosticCatalogue)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticRule))
            .Select(f => (DiagnosticRule)f.GetValue(null)!)
            .OrderBy(r => r.Code, StringComparer.Ordinal)]);

    /// <summary>Every rule of every part of the catalogue, ordered by code.</summary>
    public static ImmutableArray<DiagnosticRule> All => AllRules.Value;

    /// <summary>The rule with this code (case-insensitive), or null.</summary>
    public static DiagnosticRule? Find(string code) =>
        All.FirstOrDefault(r => string.Equals(r.Code, code.Trim(), StringComparison.OrdinalIgnoreCase));

    public static Diagnostic Create(DiagnosticRule rule, SourceSpan at, string message, string? hint = null) =>
        new(rule.Code, rule.DefaultSeverity, at, message, hint ?? rule.Fix);
}
