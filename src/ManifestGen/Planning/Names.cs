using System.Security.Cryptography;
using System.Text;

namespace ManifestGen.Planning;

/// <summary>Stable object names derived from the inventory; a hash suffix only where truncation is needed.</summary>
public static class Names
{
    /// <summary>The CronJob controller appends 11 characters to name Jobs, which are capped at 63.</summary>
    public const int CronJobMax = 52;
    public const int DnsLabelMax = 63;

    /// <summary>The backup CronJob (and its ConfigMap) of one app; the unshortened form is <see cref="BackupFull"/>.</summary>
    public static string Backup(string host, string app) => Join(CronJobMax, "backup", host, app);

    /// <summary>The backup name before shortening, for the message that says it was shortened.</summary>
    public static string BackupFull(string host, string app) => string.Join('-', "backup", host, app);

    /// <summary>The mirror claim of one app (rsync strategy).</summary>
    public static string Mirror(string host, string app) => Join(DnsLabelMax, "mirror", host, app);

    /// <summary>The known_hosts ConfigMap of one host.</summary>
    public static string KnownHosts(string host) => Join(DnsLabelMax, "known-hosts", host);

    /// <summary>The forget (maintain) CronJob and its ConfigMap of one host's apps.</summary>
    public static string Maintain(string repository, string host) => Join(CronJobMax, repository, "maintain", host);

    /// <summary>The one prune CronJob of the repository.</summary>
    public static string Prune(string repository) => Join(CronJobMax, repository, "prune");

    /// <summary>The check CronJob of the repository (of one host's repository with a REST server).</summary>
    public static string Check(string repository, string? host = null) => Join(CronJobMax, repository, "check", host ?? "");

    /// <summary>The init Job and its ConfigMap (of one host's repository with a REST server).</summary>
    public static string Init(string repository, string? host = null) => Join(DnsLabelMax, repository, "init", host ?? "");

    /// <summary>The REST server's Deployment, Service and NetworkPolicy (a Service name is a DNS-1035 label).</summary>
    public static string RestServer(string repository) => Join(DnsLabelMax, repository, "rest-server");

    /// <summary>The Secret holding one host's REST server password (key <c>password</c>), mounted only by that host's pods.</summary>
    public static string RestCredentials(string repository, string host) => Join(DnsLabelMax, repository, "rest", host);

    /// <summary>A host's user on the REST server: with --private-repos it owns the repository /USER/ and nothing else.</summary>
    public static string RestUser(string host) => host;

    /// <summary>The restore drill CronJob of one app.</summary>
    public static string Drill(string host, string app) => Join(CronJobMax, "drill", host, app);

    /// <summary>The namespace of the sshfs apps (FUSE needs a Pod Security level of its own).</summary>
    public static string SshfsNamespace(string ns) => Join(DnsLabelMax, ns, "sshfs");

    /// <summary>The repository claim, the same name in every scope.</summary>
    public static string RepositoryClaim(string repository) => Join(DnsLabelMax, repository);

    /// <summary>The repository volume bound to one scope's claim (a PersistentVolume binds exactly one claim).</summary>
    public static string RepositoryVolume(string scope, string repository) => Join(DnsLabelMax, scope, repository);

    /// <summary>The Job that creates the repository directory on the NFS export.</summary>
    public static string Prepare(string repository) => Join(DnsLabelMax, repository, "prepare");

    /// <summary>The claim onto the NFS export root that the prepare Job mounts.</summary>
    public static string ExportClaim(string repository) => Join(DnsLabelMax, repository, "export");

    /// <summary>The volume onto the NFS export root (cluster-wide, so it carries the namespace).</summary>
    public static string ExportVolume(string ns, string repository) => Join(DnsLabelMax, ns, repository, "export");

    /// <summary>The PrometheusRule of one environment, and its default Argo CD Application name.</summary>
    public static string Environment(string managedBy, string environment) => Join(DnsLabelMax, managedBy, environment);

    /// <summary>The dashboard ConfigMap of one environment.</summary>
    public static string Dashboard(string managedBy, string environment) => Join(DnsLabelMax, managedBy, "dashboard", environment);

    /// <summary>
    /// The copy CronJob (and its ConfigMap) of one offsite copy: one per primary repository, so per host
    /// behind the REST server, where each host has a repository of its own.
    /// </summary>
    public static string Copy(string copy, string? host = null) => Join(CronJobMax, "copy", copy, host ?? "");

    /// <summary>The check CronJob of one offsite copy (of one host's repository in it behind the REST server).</summary>
    public static string CopyCheck(string copy, string? host = null) => Join(CronJobMax, "copy", copy, "check", host ?? "");

    /// <summary>The runbook Job (never scheduled) with which the copy's owner forgets and prunes the copy.</summary>
    public static string CopyPrune(string copy, string? host = null) => Join(DnsLabelMax, "copy", copy, "prune", host ?? "");

    /// <summary>The seed H is hashed from for a copy's jobs (copy, check).</summary>
    public static string CopySeed(string copy, string command, string? host) =>
        host is null ? $"copy/{copy}/{command}" : $"copy/{copy}/{command}/{host}";

    /// <summary>The key the schedule planner uses for the copy repository a job locks (never a host name: it has a colon).</summary>
    public static string CopyLock(string copy, string? host) => host is null ? $"copy:{copy}" : $"copy:{copy}:{host}";

    /// <summary>The seed H is hashed from for an app's backup schedule.</summary>
    public static string BackupSeed(string host, string app) => $"{host}/{app}";

    /// <summary>
    /// The seed H is hashed from for a maintenance schedule: per host for the forget jobs, so the jobs of
    /// different hosts get different values; the repository's for prune and check.
    /// </summary>
    public static string MaintenanceSeed(string repository, string command, string? host) =>
        host is null ? $"{repository}/{command}" : $"{repository}/{command}/{host}";

    /// <summary>A host's coverage CronJob (the runner's `coverage` command through the host's gate).</summary>
    public static string Coverage(string host) => Join(CronJobMax, "coverage", host);

    /// <summary>The seed H is hashed from for a host's coverage schedule (a colon: never an app's backup seed).</summary>
    public static string CoverageSeed(string host) => $"coverage:{host}";

    /// <summary>
    /// The key the schedule planner files a host's backups and drills under, which that host's coverage job
    /// avoids (a colon: never a host name or a copy's key).
    /// </summary>
    public static string HostReach(string host) => $"host:{host}";

    /// <summary>The seed H is hashed from for an app's restore drill schedule.</summary>
    public static string DrillSeed(string host, string app) => $"{host}/{app}/drill";

    public static string Join(int max, params string[] parts)
    {
        var name = string.Join('-', parts.Where(p => p.Length > 0));
        if (name.Length <= max)
            return name;
        var hash = StableHash.Hex(name, 8);
        return name[..(max - hash.Length - 1)].TrimEnd('-', '.') + "-" + hash;
    }
}

/// <summary>SHA-256 based values that are the same on every machine and run (never string.GetHashCode).</summary>
public static class StableHash
{
    public static string Hex(string input, int length) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input)))[..length];

    public static uint UInt(string input) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(input)));
}
