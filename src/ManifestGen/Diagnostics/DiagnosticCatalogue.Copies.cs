namespace ManifestGen.Diagnostics;

/// <summary>MG1100-MG1149: offsite copies (`repository.copies`), each title starting "Offsite copy".</summary>
public static partial class DiagnosticCatalogue
{
    // ---- MG110x: offsite copies ---------------------------------------------------------------
    public static readonly DiagnosticRule CopyNameDuplicate = new("MG1101", Severity.Error,
        "Offsite copy: two copies with the same name",
        "A copy's name names its jobs (`copy-<name>`, `copy-<name>-check`) and is what `restore --from-copy NAME` picks. Two copies of one name would render the same objects, and a restore could not say which it means.",
        "Give each entry of `repository.copies` its own name.");
    public static readonly DiagnosticRule CopySharesPrimaryCredential = new("MG1102", Severity.Error,
        "Offsite copy: the copy uses a credential of the primary",
        "The copy exists so that losing the primary, or its credentials, does not lose every snapshot. A copy whose password Secret is the primary repository's, or whose access Secret is one the primary's jobs already mount (the repository password, the REST server's htpasswd or a host's REST credential, an SSH key), falls with the primary: whoever holds that Secret holds both.",
        "Create Secrets of the copy's own: another repository password, and a credential that only the copy's server or bucket accepts.");
    public static readonly DiagnosticRule CopyEgressUnknown = new("MG1103", Severity.Error,
        "Offsite copy: the NetworkPolicy would block the copy's location",
        "The NetworkPolicy lets pods reach only what it names, and it names IP ranges, not DNS names. A copy whose location is a DNS name without `egressCidrs`, or an IP address outside the `egressCidrs` given, is never reached: every copy job fails at its first request.",
        "Add `egressCidrs: [<the location's addresses>/32]` to the copy, covering every address its name resolves to.");
    public static readonly DiagnosticRule CopyRetentionKeepsLess = new("MG1104", Severity.Error,
        "Offsite copy: the copy keeps less than the primary",
        "The copy is the backup of last resort: when the NAS is gone, it is all there is. A copy retention that keeps fewer snapshots in some bucket (last, hourly, daily, weekly, monthly, yearly), a shorter `within`, or not the keep-tags of an app's policy would forget there what the primary still has, and a restore from the copy could not reach as far back.",
        "Keep at least as much in `repository.copies[].retention` as each app's retention keeps (or leave it out: the copy then keeps what each app's policy keeps).");
    public static readonly DiagnosticRule CopyScheduleOverlaps = new("MG1105", Severity.Warning,
        "Offsite copy: the copy meets a backup or maintenance of the repository it reads",
        "The copy takes restic's shared lock on the primary: a forget, prune or check of that repository (exclusive) waits for it, or it for them, beyond `repository.retryLockSeconds`, and one of the two fails. A copy that runs while a backup runs copies the night before last instead of last night. The planner places H after the night's backups and away from maintenance; this finding means no value of the schedule's H was free, or the schedule has none. The copy's check (exclusive on the copy) likewise must not meet the copy.",
        "Give the copy a schedule with H (e.g. `H H * * *`), or a time after the backups and away from maintenance, or shorten its activeDeadlineSeconds.");
    public static readonly DiagnosticRule CopyLocationInvalid = new("MG1106", Severity.Error,
        "Offsite copy: the location is not one restic can use",
        "A REST location is an http(s) URL ending in `/` without credentials in it (the user and password come from the access Secret: a URL restic prints must not carry them) and with a path (an append-only server run with --private-repos serves each user below /<user>/). An S3 location is an http(s) endpoint, a bucket name of 3 to 63 lower-case letters, digits, `.` and `-`, and a prefix without a leading `/`.",
        "Write the location as the examples in docs/settings.md show.");
    public static readonly DiagnosticRule CopyNotAppendOnly = new("MG1107", Severity.Warning,
        "Offsite copy: the cluster's credential can erase the copy",
        "A copy on a REST server without --append-only (`appendOnly: false`), or in an S3 bucket (restic's S3 backend deletes with the same credential it writes with), can be erased by whoever holds the copy job's credential: a compromised cluster, or ransomware with the cluster's Secrets, erases the primary and the copy in one run. An append-only REST server refuses every deletion from that credential.",
        "Serve the copy with `rest-server --append-only --private-repos` and set `appendOnly: true`; for S3 use a bucket with object lock (retention) that the credential cannot shorten.");
    public static readonly DiagnosticRule CopyIsPrimary = new("MG1108", Severity.Error,
        "Offsite copy: the copy's location is the primary repository's server",
        "The REST URL names the cluster's own REST server (the Service in front of the primary's volume): the copy would sit on the NAS it is meant to survive.",
        "Point the copy at a server at another site.");
    public static readonly DiagnosticRule CopyCheckSubsetsInvalid = new("MG1109", Severity.Error,
        "Offsite copy: the check's number of subsets is out of range",
        "`check.subsets` is N of `restic check --read-data-subset n/N`: each run reads one N-th of the copy's packs, so the whole copy is read once every N runs. It is a whole number from 1 (every run reads everything) to 1000.",
        "Use e.g. `subsets: 12` with a weekly check: every pack is read once a quarter.");
    public static readonly DiagnosticRule CopyCheckSubsetsUnread = new("MG1110", Severity.Warning,
        "Offsite copy: the check's schedule never reads some of its subsets",
        "The copy's check reads subset n of N, n the day number modulo N plus one (the runner's rule), so which subsets it ever reads depends on which days it runs: a weekly check with N a multiple of 7 reads the same subset every week, and the packs of the others are never read back, so their damage goes unnoticed. The message gives how many of the N subsets the schedule's runs reach.",
        "Choose N without a common factor with the days between the check's runs (a weekly check: N not a multiple of 7, e.g. 12), or check daily.");
}
