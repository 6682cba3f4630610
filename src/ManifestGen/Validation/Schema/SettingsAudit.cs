using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ManifestGen.Diagnostics;

namespace ManifestGen.Validation.Schema;

/// <summary>What a value that goes wrong costs at run time.</summary>
public enum SettingEffect { DoesNothing, FailsAtRunTime, LosesData, WeakensSecurity }

/// <summary>
/// One way a setting goes wrong, and the rule that catches it (<paramref name="Rules"/>, codes of the
/// catalogue) or, when none can, why (<paramref name="NoRule"/>).
/// </summary>
public sealed record SettingFailure(string When, SettingEffect Effect, ImmutableArray<string> Rules, string? NoRule = null);

/// <summary>
/// The audit of one setting (or settings with the same meaning: <paramref name="Pattern"/> lists keys
/// separated by <c>|</c>, <c>*</c> for any text): what it does at run time, which component acts on it, and how it fails.
/// </summary>
public sealed record SettingAudit(string Pattern, string Does, string ActsOn, ImmutableArray<SettingFailure> Failures);

/// <summary>
/// docs/settings.md: one row per key of the inventory schema, with its audit. The schema is generated from
/// the model (<see cref="InventorySchema"/>); a test fails when a key has no audit, an audit matches no key,
/// a row names a code the catalogue does not have, or the committed file drifts.
/// </summary>
public static class SettingsAudit
{
    public const string File = "docs/settings.md";

    private static SettingFailure F(string when, SettingEffect effect, params string[] rules) => new(when, effect, [.. rules]);
    private static SettingFailure None(string when, SettingEffect effect, string why) => new(when, effect, [], why);
    /// <summary>A key that both defaults and each app may set.</summary>
    private static string App(params string[] keys) => string.Join('|', keys.SelectMany(k => new[] { "defaults." + k, "hosts[].apps[]." + k }));

    private static SettingAudit Row(string pattern, string does, string actsOn, params SettingFailure[] failures) => new(pattern, does, actsOn, [.. failures]);

    private const SettingEffect Nothing = SettingEffect.DoesNothing;
    private const SettingEffect Fails = SettingEffect.FailsAtRunTime;
    private const SettingEffect Loses = SettingEffect.LosesData;
    private const SettingEffect Weakens = SettingEffect.WeakensSecurity;

    /// <summary>Sections that only group their keys: the keys below carry the audit.</summary>
    private const string Section = "Groups the keys below it; unknown keys in it are refused.";

    /// <summary>The audits, first match wins (so a specific pattern goes before a general one).</summary>
    public static readonly ImmutableArray<SettingAudit> Rows =
    [
        Row("extends", "Layers this file on a base file: maps merge, lists replace, an explicit null removes a key.", "generator (loader)",
            F("the base file is missing, unreadable or extends in a cycle", Fails, "MG0004"),
            F("a value in the base is wrong: it is reported at its line in the base, naming the environment file that inherits it", Fails, "MG0913", "MG0201")),
        Row("namespace", "Namespace of every namespaced object; sshfs apps get `<namespace>-sshfs`.", "Kubernetes, Argo CD",
            F("not a DNS-1123 label", Fails, "MG0301")),
        Row("gitOps", Section, "generator", []),
        Row("gitOps.repoURL", "The Application's source repository.", "Argo CD",
            F("no scheme or an unusable URL form", Fails, "MG0913"), F("a password in the URL", Weakens, "MG0203"), F("a placeholder", Fails, "MG0201")),
        Row("gitOps.targetRevision", "The branch, tag or commit Argo CD syncs.", "Argo CD",
            F("a YAML number (`2.0` becomes `2`)", Fails, "MG0181"), F("a space or other character Argo CD refuses", Fails, "MG0913"),
            None("a branch that does not exist", Fails, "the generator does not reach the Git server; Argo CD reports it on sync")),
        Row("gitOps.path", "The folder of rendered manifests the Application points at (default out/<env>/manifests).", "Argo CD",
            F("absolute, with `..`, or into another environment's folder", Fails, "MG0913")),
        Row("gitOps.argoCd", Section, "generator", []),
        Row("gitOps.argoCd.project", "The Argo CD project of the Application.", "Argo CD",
            F("not a valid project name", Fails, "MG0913"), None("a project that does not allow the namespace or repository", Fails, "the project's rules live in the cluster")),
        Row("gitOps.argoCd.namespace", "Where the Application object lives (Argo CD's own namespace).", "Argo CD",
            F("not a DNS-1123 label", Fails, "MG0301"), None("a namespace Argo CD does not watch", Nothing, "Argo CD's configuration is not in the inventory")),
        Row("gitOps.argoCd.applicationName", "The Application's name (default manifestgen-<env>).", "Argo CD",
            F("not usable as Argo CD's tracking label", Fails, "MG0913")),
        Row("gitOps.argoCd.automated", "Automated sync: without it Argo CD only shows drift.", "Argo CD",
            None("left out", Nothing, "a manual sync is a valid choice; the README says what it means")),
        Row("gitOps.argoCd.automated.prune", "Argo CD deletes objects no longer rendered.", "Argo CD",
            None("false: removed apps keep their CronJobs and keep running", Nothing, "deliberate in some teams; render lists what is removed")),
        Row("gitOps.argoCd.automated.selfHeal", "Argo CD reverts changes made in the cluster.", "Argo CD",
            None("false: a hand edit of a CronJob stays", Nothing, "a valid choice")),
        Row("image", Section, "generator", []),
        Row("image.repository", "The runner image of every pod.", "Kubernetes (kubelet)",
            F("upper case or a tag inside the repository", Fails, "MG0804"), None("an image that was never pushed", Fails, "the registry is not reached at render time")),
        Row("image.tag", "The image tag.", "Kubernetes (kubelet)",
            F("`latest` or none: every node may run another build", Weakens, "MG0801", "MG0802"), F("a YAML number (`1.10` becomes `1.1`)", Fails, "MG0181")),
        Row("image.digest", "Pins the image by content.", "Kubernetes (kubelet)",
            F("missing: a re-pushed tag changes what runs", Weakens, "MG0803"), F("malformed or short", Fails, "MG0804")),
        Row("image.pullPolicy", "When the kubelet pulls the image.", "Kubernetes (kubelet)",
            F("not Always, IfNotPresent or Never (case matters)", Fails, "MG0805")),
        Row("repository", Section, "generator", []),
        Row("repository.name", "Name of the claim, the volume and the REST server's Service.", "Kubernetes",
            F("not a DNS-1123 label", Fails, "MG0301"), F("with the REST server, starts with a digit (no Service name)", Fails, "MG0608")),
        Row("repository.passwordSecret", Section, "generator", []),
        Row("repository.passwordSecret.name", "The Secret with the repository password, mounted as a file (RESTIC_PASSWORD_FILE).", "runner, restic",
            F("not provided in sealed or external mode", Fails, "MG0204"), F("a placeholder", Fails, "MG0201"),
            None("the Secret holds another repository's password: exit 12", Fails, "Secrets are not in the inventory; the runner names exit 12")),
        Row("repository.passwordSecret.key", "The key in that Secret.", "runner", F("not provided in sealed or external mode", Fails, "MG0204")),
        Row("repository.storage", "Exactly one of nfs and local.", "generator", F("both or neither", Fails, "MG0105")),
        Row("repository.storage.nfs", Section, "generator", []),
        Row("repository.storage.nfs.server", "The NAS the node mounts.", "Kubernetes (kubelet, NFS client)",
            F("empty, a URL or a placeholder", Fails, "MG0506", "MG0201"), None("a server the nodes cannot reach", Fails, "the network is not known at render time")),
        Row("repository.storage.nfs.exportRoot", "The export that exists; the prepare Job mounts it to create the path.", "Kubernetes, prepare Job",
            F("trailing slash or not normalised", Fails, "MG0507")),
        Row("repository.storage.nfs.path", "The repository folder on the NAS.", "Kubernetes, restic",
            F("not under the export root, relative or with `..`", Fails, "MG0507", "MG0508"),
            F("the same or a nested path in two environments: two environments write one repository", Loses, "MG0509")),
        Row("repository.storage.nfs.mountOptions", "NFS mount options of the volume.", "Kubernetes (kubelet)",
            F("`soft` (I/O errors mid-write corrupt packs) or an unknown NFS version", Loses, "MG0510")),
        Row("repository.storage.local", Section, "generator", []),
        Row("repository.storage.local.path", "A folder on one node (test clusters).", "Kubernetes", F("relative or not normalised", Fails, "MG0507")),
        Row("repository.storage.local.node", "The node the local volume is on.", "Kubernetes (scheduler)", F("empty", Fails, "MG0511")),
        Row("repository.capacity", "The volume's capacity and the claim's request.", "Kubernetes",
            F("no unit, a decimal unit or an invalid quantity", Fails, "MG0505", "MG0512", "MG0515")),
        Row("repository.storageClassName", "Written on the volume and the claim so they bind statically.", "Kubernetes",
            F("invalid name or placeholder", Fails, "MG0301", "MG0201"), F("changed after the first sync (immutable)", Fails, "MG1002")),
        Row("repository.accessModes", "Access modes of volume and claim.", "Kubernetes",
            F("abbreviated or unknown", Fails, "MG0504"), F("one pod at a time: backups and maintenance queue or fail", Fails, "MG0513")),
        Row("repository.cacheSize", "Size of the restic cache for jobs without a mirror.", "Kubernetes, restic",
            F("no unit or an invalid quantity", Fails, "MG0505", "MG0515")),
        Row("repository.retryLockSeconds", "How long a run waits for another run's lock (restic --retry-lock).", "runner, restic",
            F("negative, or as long as a job's deadline: the job is stopped while waiting", Fails, "MG0912"),
            None("short while maintenance is long: a backup fails with exit 11 during forget", Fails, "placed apart by the planner; MG0409 when no time is free")),
        Row("repository.stallTimeoutSeconds", "How long restic may go without an answer from the repository (--stuck-request-timeout, and the runner's bound on restic's retries).", "runner, restic",
            F("zero or negative", Fails, "MG0912"),
            None("shorter than a slow NAS's pauses: runs fail while the repository is only slow", Fails, "how long a repository pauses is known only at run time; the summary names the bound that fired")),
        Row("repository.server", "Append-only REST server: backups cannot delete snapshots.", "restic REST server, Kubernetes",
            F("left out: a backup key holder can delete the repository", Weakens, "MG0606")),
        Row("repository.server.htpasswdSecret", Section, "generator", []),
        Row("repository.server.htpasswdSecret.name", "The htpasswd file of the server (one user per host).", "restic REST server",
            F("not provided in sealed or external mode", Fails, "MG0204")),
        Row("repository.server.port", "The port the server listens on.", "restic REST server, NetworkPolicy",
            F("below 1024 or outside 1-65535 (non-root pod)", Fails, "MG0607")),
        Row("repository.copies", "Offsite copies of the primary repository: a copy job per repository adds the new snapshots (restic copy).", "generator, runner, restic",
            None("left out: every snapshot lives on one NAS, and a fire, theft or the maintenance credential loses them all", Loses, "a single repository is a valid choice for a test environment; the README's 3-2-1 section says what it risks")),
        Row("repository.copies[].name", "Names the copy's jobs and what `restore --from-copy` picks.", "generator, runner",
            F("not a DNS-1123 label", Fails, "MG0301"), F("two copies of one name", Fails, "MG1101")),
        Row("repository.copies[].location", "Exactly one of rest and s3.", "generator", F("both or neither", Fails, "MG0105")),
        Row("repository.copies[].location.rest", Section, "generator", []),
        Row("repository.copies[].location.rest.url", "The copy's REST server and path (rest: location); the user and password come from the access Secret.", "restic, NetworkPolicy",
            F("not http(s), credentials in it, no path or no trailing `/`", Fails, "MG1106"), F("the primary's own REST server", Loses, "MG1108"),
            F("a DNS name without egressCidrs: the NetworkPolicy blocks it", Fails, "MG1103")),
        Row("repository.copies[].location.rest.appendOnly", "The server refuses deletions from this credential; the copy job verifies it before each copy.", "runner, restic REST server",
            F("false: the cluster's credential can erase the copy", Weakens, "MG1107"),
            None("true for a server without --append-only", Weakens, "the server's flags are not in the inventory: the copy job probes with a deletion the server must refuse, and fails naming the copy")),
        Row("repository.copies[].location.s3", "S3-compatible object storage.", "restic",
            F("the credential that writes can delete: the cluster can erase the copy", Weakens, "MG1107")),
        Row("repository.copies[].location.s3.endpoint", "The S3 endpoint.", "restic, NetworkPolicy",
            F("not an http(s) URL", Fails, "MG1106"), F("a DNS name without egressCidrs", Fails, "MG1103")),
        Row("repository.copies[].location.s3.bucket|repository.copies[].location.s3.prefix", "Bucket and folder of the copy.", "restic",
            F("not a bucket name, or a prefix starting with `/`", Fails, "MG1106"), None("a bucket that does not exist", Fails, "the generator does not reach the storage; the copy's first run names restic's error")),
        Row("repository.copies[].credentials", Section, "generator", []),
        Row("repository.copies[].credentials.passwordSecret", Section, "generator", []),
        Row("repository.copies[].credentials.passwordSecret.name|repository.copies[].credentials.passwordSecret.key", "The copy's repository password, mounted only by its pods.", "runner, restic",
            F("the primary's Secret", Weakens, "MG1102"), F("not provided in sealed or external mode", Fails, "MG0204")),
        Row("repository.copies[].credentials.accessSecret", Section, "generator", []),
        Row("repository.copies[].credentials.accessSecret.name", "REST user and password, or S3 keys, of the copy; mounted only by its pods.", "runner, restic",
            F("a Secret the primary's jobs mount", Weakens, "MG1102"), F("not provided in sealed or external mode", Fails, "MG0204")),
        Row("repository.copies[].egressCidrs", "Where the copy's location resolves: the NetworkPolicy of the copy pods allows only these, on its port.", "Kubernetes (CNI)",
            F("not an IP range", Fails, "MG0716"), F("missing for a DNS name, or not covering the location's address", Fails, "MG1103")),
        Row("repository.copies[].schedule|repository.copies[].check.schedule", "When the copy (and its check) runs; H is placed after the night's backups, away from the primary's maintenance and from each other.", "generator (planner), Kubernetes",
            F("invalid cron", Fails, "MG0401", "MG0402", "MG0403", "MG0404", "MG0405"), F("meets a backup or maintenance of the primary, or the check meets the copy", Fails, "MG1105")),
        Row("repository.copies[].timeZone|repository.copies[].check.timeZone", "IANA zone of the job's schedule (spec.timeZone).", "Kubernetes (CronJob controller)",
            F("not an IANA name or an abbreviation", Fails, "MG0406")),
        Row("repository.copies[].activeDeadlineSeconds|repository.copies[].check.activeDeadlineSeconds", "Kubernetes stops the job after this long; also its window in the schedule checks.", "Kubernetes, generator",
            F("as long as the schedule's interval", Fails, "MG0408"), F("long windows meet other jobs", Fails, "MG1105"),
            None("too short for the first copy of a large repository: it is stopped and the next run goes on", Nothing, "restic copy skips what is already in the copy; each run gets further")),
        Row("repository.copies[].retention", "How long the copy keeps snapshots (the copy owner's forget and prune, a rendered runbook Job).", "copy owner, restic",
            F("keeps less than an app's policy on the primary", Loses, "MG1104"), F("keeps nothing, or a malformed count or duration", Loses, "MG0601", "MG0604")),
        Row("repository.copies[].retention.*", "forget --keep-* of the copy.", "restic",
            F("fewer than the primary keeps", Loses, "MG1104"), F("0, below -1, or a malformed duration", Loses, "MG0604")),
        Row("repository.copies[].check", Section, "generator", []),
        Row("repository.copies[].check.enabled", "Render the copy's check job.", "generator",
            None("false: a damaged copy is found only when the NAS is gone", Loses, "a valid choice where the copy's owner checks it")),
        Row("repository.copies[].check.subsets", "N of --read-data-subset n/N, n the day number mod N + 1: a daily check reads the whole copy once every N days.", "runner, restic",
            F("below 1 or above 1000", Fails, "MG1109"),
            F("a common factor with the days between checks (weekly and a multiple of 7): some packs are never read back", Nothing, "MG1110")),
        Row("*.resources.requests.*", "What the scheduler reserves for the pod.", "Kubernetes (scheduler)",
            F("no unit, a milli unit for memory, whole cores written as thousands", Fails, "MG0505", "MG0515"), F("above the limit", Fails, "MG0514")),
        Row("*.resources.limits.*", "What the pod may use; memory over the limit kills it (OOM).", "Kubernetes (kubelet)",
            F("an invalid quantity", Fails, "MG0505", "MG0515"), F("below the request", Fails, "MG0514"),
            None("too small a memory limit for the app's file count: restic is killed", Fails, "the app's size is not in the inventory; the run fails with OOMKilled")),
        Row("*.resources.*", "Requests and limits of the pod.", "Kubernetes", []),
        Row("*.resources", "Requests and limits of the pod.", "Kubernetes", []),
        Row("maintenance", Section, "generator", []),
        Row("maintenance.forget", Section, "generator", []),
        Row("maintenance.forget.schedule", "When each host's forget job (and the prune job) runs; H is placed where the job meets no backup, drill or other exclusive job.", "generator (planner), Kubernetes",
            F("invalid cron, seconds field, Quartz syntax, TZ= prefix, day 7", Fails, "MG0401", "MG0402", "MG0403", "MG0404", "MG0405"),
            F("never matches a date", Nothing, "MG0410"), F("meets a backup or drill: the backup waits for the lock and fails", Fails, "MG0409"),
            F("the forget jobs and the prune job start together", Fails, "MG0413")),
        Row("maintenance.forget.timeZone|maintenance.check.timeZone|maintenance.drill.timeZone", "IANA zone of the job's schedule (spec.timeZone).", "Kubernetes (CronJob controller)",
            F("not an IANA name or an abbreviation", Fails, "MG0406"),
            None("a zone with summer time moves runs by an hour twice a year", Nothing, "the planner's check covers five weeks from a fixed date")),
        Row("maintenance.forget.prune", "Prune after forget (one prune job, or each host's forget job behind the REST server).", "runner, restic",
            None("false: forgotten snapshots keep their data, the repository only grows", Nothing, "deliberate when pruning is done elsewhere")),
        Row("maintenance.forget.activeDeadlineSeconds|maintenance.check.activeDeadlineSeconds|maintenance.drill.activeDeadlineSeconds", "Kubernetes stops the job after this long; also its window in the schedule checks.", "Kubernetes, generator",
            F("0 or negative", Fails, "MG0913"), F("as long as the schedule's interval", Fails, "MG0408"),
            F("long windows meet other jobs", Fails, "MG0409", "MG0413")),
        Row("maintenance.check", Section, "generator", []),
        Row("maintenance.check.enabled", "Render the check job.", "generator",
            None("false: a damaged repository is found only at restore", Loses, "a valid choice where the NAS checks itself; the drill still reads data")),
        Row("maintenance.check.schedule", "When `restic check` runs; H placed like forget's.", "generator (planner), Kubernetes",
            F("invalid cron", Fails, "MG0401", "MG0402", "MG0403", "MG0404", "MG0405"), F("meets a backup or a forget job", Fails, "MG0409", "MG0413")),
        Row("maintenance.check.readDataSubset", "restic check --read-data-subset: how much pack data each check reads.", "restic",
            F("a malformed subset (150%, 0/7)", Fails, "MG0603"),
            None("unset: the check reads no pack data and finds no bit rot", Nothing, "a valid choice for slow NASes")),
        Row("maintenance.drill", Section, "generator", []),
        Row("maintenance.drill.enabled", "Render a drill per app: restore a sample and compare with the host.", "generator, runner",
            None("false: nothing proves the snapshots restore", Nothing, "opt-in by design (it reads on every host)")),
        Row("maintenance.drill.schedule", "When each app's drill runs; H hashed per app; exclusive jobs are placed around it.", "generator (planner), Kubernetes",
            F("invalid cron", Fails, "MG0401", "MG0402", "MG0403", "MG0404", "MG0405"), F("meets a forget, prune or check job", Fails, "MG0409")),
        Row("maintenance.drill.sampleFiles", "Files restored and compared per run.", "runner",
            F("0 or negative: the runner refuses `--sample` and every drill fails", Fails, "MG0610")),
        Row("defaults", Section, "generator", []),
        Row(App("schedule"), "When the app's backup runs (H hashed per app).", "generator (planner), Kubernetes (CronJob controller)",
            F("invalid cron, seconds, Quartz syntax, TZ= prefix, day 7, unquoted", Fails, "MG0401", "MG0402", "MG0403", "MG0404", "MG0405", "MG0182"),
            F("a step as large as its range", Nothing, "MG0407"), F("never matches a date", Nothing, "MG0410"),
            None("day-of-month and day-of-week both restricted: cron runs on either (OR), not both", Nothing, "robfig/cron's documented meaning; the computed times in MG0409 show it")),
        Row(App("timeZone"), "IANA zone of the schedule (spec.timeZone).", "Kubernetes (CronJob controller)",
            F("not an IANA name", Fails, "MG0406")),
        Row(App("strategy"), "How files reach restic: rsync into a mirror claim, an sshfs mount, or a tar stream.", "runner, generator",
            F("not rsync, sshfs or tar", Fails, "MG0104"), F("sshfs: a pod outside Pod Security restricted", Weakens, "MG0712", "MG0714"),
            F("sshfs on an unsandboxed gated host", Weakens, "MG0732")),
        Row(App("retention.tags"), "forget --keep-tag: snapshots with these tags are kept.", "runner, restic",
            F("a tag no snapshot of the app carries (the runner's tags: app=, the app's tags, `tar`, `dump`, `dump=NAME`)", Nothing, "MG0602")),
        Row(App("retention.within"), "forget --keep-within: keep every snapshot of this recent span.", "restic",
            F("not restic's duration syntax (`30 days`)", Fails, "MG0604")),
        Row(App("retention.last", "retention.hourly", "retention.daily", "retention.weekly", "retention.monthly", "retention.yearly"), "forget --keep-last/hourly/daily/weekly/monthly/yearly.", "restic",
            F("no keep rule at all: forget removes every snapshot", Loses, "MG0601"), F("negative", Fails, "MG0604")),
        Row(App("retention"), "The app's retention policy (forget per app group: host and app= tag).", "runner, restic",
            F("no keep rule", Loses, "MG0601")),
        Row(App("activeDeadlineSeconds"), "Kubernetes stops the backup after this long.", "Kubernetes",
            F("0 or negative", Fails, "MG0913"), F("as long as the schedule's interval", Fails, "MG0408"),
            F("shorter than the hooks' timeouts: after hooks and service restarts are cut off", Fails, "MG0411", "MG0412")),
        Row("defaults.startingDeadlineSeconds", "How late the CronJob controller may still start a run.", "Kubernetes (CronJob controller)",
            F("negative", Fails, "MG0913"), F("under 10 s: runs are skipped as missed, no Job fails", Nothing, "MG0416")),
        Row("defaults.backoffLimit", "Retries of a failed backup pod.", "Kubernetes (Job controller)",
            F("negative", Fails, "MG0913"),
            None("above 0 with stopServices: services are stopped again per retry", Nothing, "bounded by the job's deadline; the runner starts services again")),
        Row("defaults.successfulJobsHistoryLimit|defaults.failedJobsHistoryLimit", "How many finished Jobs (and their logs) stay.", "Kubernetes (CronJob controller)",
            F("negative", Fails, "MG0913"), None("0: a failed run's log is gone before anyone reads it", Nothing, "the metrics and alerts still say it failed")),
        Row(App("mirrorSize"), "Size of the rsync mirror claim.", "Kubernetes, rsync",
            F("no unit or invalid", Fails, "MG0505", "MG0515"), F("written for an app whose strategy has no mirror", Nothing, "MG0718"),
            None("smaller than the app: rsync fails with no space left", Fails, "the app's size is not in the inventory")),
        Row("defaults.mirrorStorageClassName", "StorageClass of the mirror claims.", "Kubernetes",
            F("invalid name", Fails, "MG0301"), None("a class that does not exist: the claim stays Pending", Fails, "the cluster's classes are not in the inventory")),
        Row("secrets", Section, "generator", []),
        Row("secrets.mode", "reference (create the Secrets yourself), sealed (SealedSecrets) or external (ExternalSecrets).", "generator, controllers",
            F("not a known mode", Fails, "MG0104"), F("a Secret the jobs need is not provided", Fails, "MG0204")),
        Row("secrets.sealed", Section, "generator", []),
        Row("secrets.sealed.encryptedData", "Ciphertexts per Secret and key (kubeseal output).", "SealedSecrets controller",
            F("a plain value instead of a ciphertext", Weakens, "MG0203"), F("a Secret missing", Fails, "MG0204"),
            None("sealed for another cluster or namespace", Fails, "only the controller's private key can tell")),
        Row("secrets.external", Section, "generator", []),
        Row("secrets.external.storeName|secrets.external.storeKind|secrets.external.refreshInterval|secrets.external.remoteRefs", "The ExternalSecrets store, its kind, refresh interval and remote keys.", "External Secrets Operator",
            F("no store", Fails, "MG0204"), None("a remote key that does not exist", Fails, "the store is not reached at render time")),
        Row("reporting", Section, "generator", []),
        Row("reporting.pingUrlSecret", "A healthchecks-style URL pinged at start, success and failure.", "runner",
            F("its endpoint not in the NetworkPolicy", Fails, "MG0715")),
        Row("reporting.pingUrlSecret.name", "The Secret holding the ping URL(s).", "runner", F("not provided in sealed or external mode", Fails, "MG0204")),
        Row("reporting.pingUrlSecret.key", "The one URL every backup and drill shares.", "runner", F("with perJob", Fails, "MG0609")),
        Row("reporting.pingUrlSecret.perJob", "A URL per job, so a heartbeat service sees each app.", "runner", F("with key", Fails, "MG0609")),
        Row("reporting.pushgatewayUrl", "Where every job pushes its metrics.", "runner, Prometheus",
            F("no http(s) scheme", Fails, "MG0605"), F("the pushgateway not in the NetworkPolicy", Fails, "MG0715")),
        Row("reporting.alerts", Section, "generator", []),
        Row("reporting.alerts.enabled", "Render the PrometheusRule (per-job overdue and failure alerts).", "Prometheus",
            None("false or no pushgateway: no alert fires", Nothing, "a valid choice with external heartbeats")),
        Row("reporting.alerts.ruleLabels", "Labels Prometheus' rule selector matches.", "Prometheus Operator",
            None("labels the operator does not select: the rules never load", Nothing, "the Prometheus resource is not in the inventory")),
        Row("reporting.alerts.dashboard", "Render the Grafana dashboard ConfigMap.", "Grafana sidecar",
            None("a Grafana without the sidecar ignores it", Nothing, "the cluster's Grafana is not in the inventory")),
        Row("networkPolicy", "The egress the pods may use besides each host's SSH port; everything else is denied.", "Kubernetes (CNI)",
            F("missing while reporting is configured (an inventory written for 0.1.0)", Fails, "MG0715")),
        Row("networkPolicy.*.cidrs", "IP ranges of the peer.", "Kubernetes (CNI)",
            F("host bits set or malformed", Fails, "MG0716"), None("a Service's ClusterIP: after Service translation the packet goes to the pod IP, which the range does not hold", Fails, "the cluster's addresses are not known; the docs say to name in-cluster peers by namespace")),
        Row("networkPolicy.*.namespace", "The peer's namespace (in-cluster).", "Kubernetes (CNI)", F("with cidrs, or podLabels without it", Fails, "MG0715")),
        Row("networkPolicy.*.podLabels", "The peer's pod labels.", "Kubernetes (CNI)", F("without a namespace: pods of every namespace", Weakens, "MG0715")),
        Row("networkPolicy.*.port", "The peer's port.", "Kubernetes (CNI)", F("missing or outside 1-65535", Fails, "MG0715")),
        Row("networkPolicy.dns|networkPolicy.pushgateway|networkPolicy.ping", "One egress peer: IP ranges, or a namespace with optional pod labels, and a port.", "Kubernetes (CNI)",
            F("neither or both", Fails, "MG0715")),
        Row("output", Section, "generator", []),
        Row("output.helmChart", Section, "generator", []),
        Row("output.helmChart.enabled", "Also render a Helm chart of the same objects.", "Helm", []),
        Row("output.helmChart.name|output.helmChart.version", "The chart's name and version.", "Helm", F("not a chart name or not SemVer 2", Fails, "MG0920")),
        Row("placeholders", "Extra markers that must not appear in any value.", "generator", F("a marker found in a value", Fails, "MG0201")),
        Row("hostGate", "Restrict every host key to the gate: authorized_keys lines and allow-lists under out/<env>/hosts/.", "gate, sshd",
            None("left out: the key runs any command on the host", Weakens, "a valid choice for a first install; the README's host setup uses the gate")),
        Row("hostGate.sourceRanges", "The from= of every key: where the jobs' connections come from.", "sshd (OpenSSH from=)",
            F("empty or malformed (a key usable from anywhere or nowhere)", Weakens, "MG0730"),
            None("ranges that do not hold the nodes' egress addresses: every run is refused", Fails, "the cluster's egress is not in the inventory")),
        Row("hostGate.program|hostGate.configDirectory|hostGate.logFile|hostGate.sftpServer|hostGate.sandboxProgram|hostGate.restoreWindowDirectory", "Paths on each host: the gate program, its allow-lists, log, sftp-server, sandbox, restore windows.", "gate, sshd",
            F("a value the gate cannot pass unquoted", Fails, "MG0731"), None("a path that does not exist on the host", Fails, "the gate's self-test on the host says so")),
        Row("hosts", "The SSH hosts.", "generator", F("a name twice", Fails, "MG0305")),
        Row("hosts[].name", "Names the host's jobs, Secrets and restic --host.", "generator, restic",
            F("not DNS-1123, twice, or a derived name clash", Fails, "MG0301", "MG0305", "MG0303"),
            None("renamed: restic sees a new host, and no forget job ever applies retention to the old name's snapshots", Nothing, "the previous name is not in the inventory; render lists the removed jobs")),
        Row("hosts[].address", "Where ssh connects.", "ssh", F("a scheme or port in it, look-alike characters", Fails, "MG0711", "MG0006"),
            F("a DNS name without egressCidrs", Fails, "MG0715")),
        Row("hosts[].port", "The SSH port (and the NetworkPolicy's).", "ssh, Kubernetes", F("outside 1-65535", Fails, "MG0704")),
        Row("hosts[].egressCidrs", "The NetworkPolicy's range for a host given by name.", "Kubernetes (CNI)", F("host bits set", Fails, "MG0716")),
        Row("hosts[].bandwidthLimitKiBps|hosts[].apps[].bandwidthLimitKiBps", "Bandwidth of the host's (or the app's, which wins) backups in KiB/s: rsync --bwlimit, restic --limit-upload/--limit-download for a REST repository.", "rsync, restic",
            F("zero or negative", Fails, "MG0912"),
            None("so low that the copy outlasts the job's deadline", Fails, "the amount of data that changes per night is known only at run time; the deadline ends the run and the summary says so")),
        Row("hosts[].requestTimeoutSeconds", "Bound on each of the runner's own requests to the host: allow-list version, path check, file-state listings, sshfs mount, drill comparison, discovery.", "runner",
            F("zero or negative", Fails, "MG0912"),
            None("shorter than listing the app's files takes", Fails, "the app's file count is known only at run time; the run fails naming host.requestTimeoutSeconds")),
        Row("hosts[].user", "The SSH user.", "sshd", F("root", Weakens, "MG0705"), F("a YAML boolean (`no`)", Fails, "MG0180")),
        Row("hosts[].hostKeys", "Pinned host keys (StrictHostKeyChecking=yes).", "ssh",
            F("missing, malformed, private or with a host name", Fails, "MG0701", "MG0702", "MG0202"), F("a weak type", Weakens, "MG0709")),
        Row("hosts[].sshKeySecret", Section, "generator", []),
        Row("hosts[].sshKeySecret.name", "The Secret with the backup key.", "runner, ssh", F("not provided in sealed or external mode", Fails, "MG0204")),
        Row("hosts[].backupPublicKey", "Public half of the backup key, for the rendered authorized_keys.", "sshd", F("malformed", Fails, "MG0733")),
        Row("hosts[].restoreKeySecret", Section, "generator", []),
        Row("hosts[].restoreKeySecret.name", "The Secret with the restore key (write access, restore Jobs only).", "runner, ssh", []),
        Row("hosts[].restorePublicKey", "Public half of the restore key.", "sshd", F("malformed or the same as the backup key (backups could write)", Weakens, "MG0733")),
        Row("hosts[].gateSandbox", "false: the gate runs without bubblewrap.", "gate", F("false", Weakens, "MG0734")),
        Row("hosts[].coverage", "true: the backup allow-list lists the read-only discovery, so a coverage run can report what on the host no app backs up.", "gate, runner",
            F("true without hostGate or without backupPublicKey", Fails, "MG1150", "MG1151"),
            F("true on a host without apps: no coverage job is rendered", Nothing, "MG1153"),
            F("the host's backups and drills leave no free time: the discovery meets a backup and reports the services it stopped as not running", Nothing, "MG1152")),
        Row("hosts[].apps", "The host's apps.", "generator", F("an app name twice", Fails, "MG0305")),
        Row("hosts[].apps[].name", "Names the app's jobs and its app= tag.", "generator, restic",
            F("not DNS-1123, twice, or a derived name clash", Fails, "MG0301", "MG0305", "MG0303"), F("a CronJob name over 52 characters (shortened)", Nothing, "MG0302")),
        Row("hosts[].apps[].paths", "The host folders backed up.", "runner, rsync, gate",
            F("relative, with `..`, in two apps, or unquotable for the gate", Fails, "MG0706", "MG0708", "MG0731")),
        Row("hosts[].apps[].excludes", "restic-style exclude patterns.", "rsync, restic",
            F("an invalid pattern", Fails, "MG0707"), F("outside the app's paths", Nothing, "MG0710"), F("removes a whole path: empty snapshots", Loses, "MG0717")),
        Row("hosts[].apps[].hooks", Section, "generator", []),
        Row("hosts[].apps[].hooks.before[].run|hosts[].apps[].hooks.after[].run|hosts[].apps[].hooks.dumps[].command", "A command run on the host before or after the transfer.", "runner, gate, host shell",
            F("a literal password or placeholder", Weakens, "MG0203", "MG0201"), F("look-alike characters", Fails, "MG0006")),
        Row("hosts[].apps[].hooks.before[].timeoutSeconds|hosts[].apps[].hooks.after[].timeoutSeconds|hosts[].apps[].hooks.dumps[].timeoutSeconds", "The hook's or dump's bound.", "runner",
            F("0 or negative", Fails, "MG0912"), F("beyond the job's deadline", Fails, "MG0411", "MG0412")),
        Row("hosts[].apps[].hooks.before[].writes|hosts[].apps[].hooks.after[].writes", "Files the hook writes (checked for links by the gate).", "gate", F("not a plain absolute path", Fails, "MG0731")),
        Row("hosts[].apps[].hooks.before|hosts[].apps[].hooks.after|hosts[].apps[].hooks.stopServices|hosts[].apps[].hooks.composeDirectory|hosts[].apps[].hooks.dumps", "A hook list, the services stopped or the compose folder.", "runner, docker compose",
            F("a YAML boolean as a service name", Fails, "MG0180"), F("a compose folder not normalised", Fails, "MG0706")),
        Row("hosts[].apps[].hooks.switchDelayMinutes", "The dead man's switch's delay: the host starts stopped services this long after the runner's last renewal.", "runner, gate",
            F("below 1 or above 60 minutes", Fails, "MG0414")),
        Row("hosts[].apps[].hooks.keepServicesRunning", "Never stop the services: the snapshot holds files being written.", "runner",
            F("true for an app whose services write its data", Loses, "MG0415")),
        Row("hosts[].apps[].hooks.composeTimeoutSeconds", "Bound of each compose call (list, stop, start) and each request of the dead man's switch on the host.", "runner, docker compose",
            F("zero or negative", Fails, "MG0912"), F("with the hooks, longer than the job's deadline", Fails, "MG0411", "MG0412")),
        Row("hosts[].apps[].hooks.dumps[].name|hosts[].apps[].hooks.dumps[].fileName", "A dump streamed into its own snapshot (tags `dump`, `dump=NAME`).", "runner, restic",
            F("a file name with a folder, or a name twice", Fails, "MG0912")),
        Row("hosts[].apps[].privileged", "The sshfs pod runs privileged (no /dev/fuse device plugin).", "Kubernetes",
            F("set for rsync or tar", Weakens, "MG0713"), F("sshfs without it", Fails, "MG0712")),
        Row("hosts[].apps[].tags", "Extra restic tags on the app's snapshots.", "restic", F("not a valid label value", Fails, "MG0304")),
        Row("hosts[].apps[].restoreDeviceFiles", "A restore may write device files.", "gate", None("true where no device is needed", Weakens, "the app's content is not known")),
        Row("hosts[].apps[].partialIsFailure|hosts[].apps[].transferTimeoutSeconds|hosts[].apps[].changedFileRecopies|hosts[].apps[].changedFileIsFailure|hosts[].apps[].checksumIntervalDays", "A transfer setting of the app (rsync's timeout, re-copies, checksum pass; exit 3 as failure).", "runner, rsync",
            F("written for an app whose strategy never reads it", Nothing, "MG0718"), F("out of range", Fails, "MG0912")),
    ];

    /// <summary>A pattern is keys separated by `|`; `*` in one stands for any text (the families of resources and egress peers).</summary>
    public static bool Matches(string pattern, string key) =>
        pattern.Split('|').Any(p => Regex.IsMatch(key, "^" + string.Join(".*", p.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant));

    /// <summary>The audit of a schema key: the first row whose pattern matches it.</summary>
    public static SettingAudit? Of(string key) => Rows.FirstOrDefault(r => Matches(r.Pattern, key));

    /// <summary>Every key of the generated schema, in schema order (list items as <c>[]</c>).</summary>
    public static ImmutableArray<string> SchemaKeys()
    {
        using var schema = JsonDocument.Parse(InventorySchema.Generate());
        var definitions = schema.RootElement.GetProperty("definitions");
        var keys = new List<string>();
        void Walk(JsonElement node, string path, int depth)
        {
            // The model has no recursive types; the bound only guards against one being added.
            if (depth > 64)
                return;
            if (node.TryGetProperty("$ref", out var reference))
            {
                Walk(definitions.GetProperty(reference.GetString()!.Split('/')[^1]), path, depth + 1);
                return;
            }
            foreach (var combinator in new[] { "anyOf", "oneOf", "allOf" })
                if (node.TryGetProperty(combinator, out var options))
                    foreach (var option in options.EnumerateArray())
                        Walk(option, path, depth + 1);
            if (node.TryGetProperty("properties", out var properties))
                foreach (var property in properties.EnumerateObject())
                {
                    var key = path.Length == 0 ? property.Name : path + "." + property.Name;
                    if (!keys.Contains(key))
                        keys.Add(key);
                    Walk(property.Value, key, depth + 1);
                }
            if (node.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object)
                Walk(items, path + "[]", depth + 1);
        }
        Walk(schema.RootElement, "", 0);
        return [.. keys];
    }

    private static string EffectName(SettingEffect effect) => effect switch
    {
        SettingEffect.DoesNothing => "does nothing",
        SettingEffect.FailsAtRunTime => "fails at run time",
        SettingEffect.LosesData => "loses data",
        _ => "weakens security",
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>docs/settings.md: one row per schema key, LF line endings.</summary>
    public static string RenderMarkdown()
    {
        var md = new StringBuilder();
        md.Append("# Inventory settings: what each does at run time, and how it goes wrong\n\n");
        md.Append("Generated from the inventory schema and `src/ManifestGen/Validation/Schema/SettingsAudit.cs`; do not edit by hand ")
          .Append("(`UPDATE_SNAPSHOTS=1` rewrites it). One row per key of `schemas/inventory.schema.json` (`[]` is any item of a list). ")
          .Append("For each: what acts on it at run time, the values or combinations that make it do nothing, fail at run time, ")
          .Append("lose data or weaken security, and the rule that catches each ([docs/rules.md](rules.md)) or why no rule can ")
          .Append("(the fact lives outside the inventory: the cluster, the host, the data).\n\n");
        md.Append("| Setting | What it does (acts on it) | Goes wrong when | Caught by |\n| --- | --- | --- | --- |\n");
        foreach (var key in SchemaKeys())
        {
            var row = Of(key) ?? throw new InvalidOperationException($"no audit row for {key}");
            var when = row.Failures.IsEmpty ? "—" : string.Join("<br>", row.Failures.Select(f => $"{Cell(f.When)} ({EffectName(f.Effect)})"));
            var caught = row.Failures.IsEmpty ? "—" : string.Join("<br>", row.Failures.Select(f => f.Rules.IsEmpty
                ? "no rule: " + Cell(f.NoRule ?? "")
                : string.Join(", ", f.Rules.Select(c => $"[{c}](rules.md#{c.ToLowerInvariant()})"))));
            md.Append("| `").Append(key).Append("` | ").Append(Cell(row.Does)).Append(" (").Append(Cell(row.ActsOn)).Append(") | ")
              .Append(when).Append(" | ").Append(caught).Append(" |\n");
        }
        return md.ToString();
    }
}
