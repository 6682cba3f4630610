using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Inventory;

namespace ManifestGen.Planning;

/// <summary>What a job is for the alerts, the dashboard and the ping Secret.</summary>
public enum JobRole { Backup, Drill, Forget, Prune, Check, Init, Copy, CopyCheck, Coverage }

/// <summary>
/// One job the inventory renders and expects to report: its name (a <see cref="Names"/> name: the CronJob's
/// or Job's, the <c>instance</c> of its metrics and the key of its ping URL), what it does, where it runs,
/// and, for a scheduled job, its expanded schedule, zone and deadlines (how long it may stay silent).
/// The planners that render the jobs list them; the alerts, the dashboard and the ping Secret read this one
/// list, so nothing rebuilds its own idea of which jobs exist.
/// </summary>
public sealed record ExpectedJob(string Name, JobRole Role, string Namespace, string? Host, string? App,
    string? Schedule, string TimeZone, int StartingDeadlineSeconds, int ActiveDeadlineSeconds)
{
    /// <summary>The role as the metrics and alerts write it: backup, drill, forget, prune, check, init.</summary>
    public string RoleName => Role.ToString().ToLowerInvariant();
}

/// <summary>
/// How each job reports: the <see cref="ReportingConfig"/> of its configuration (pushgateway, the instance
/// it pushes as, its ping URL file) and the Secret volume holding its ping URL. Backups and drills ping the
/// shared URL (<c>reporting.pingUrlSecret.key</c>); with <c>perJob</c> every scheduled job pings its own key,
/// named like the job, and its pod mounts only that key. The init Job runs on a sync, not on a schedule, so
/// a heartbeat service could only call it late: it pushes metrics and never pings.
/// </summary>
internal static class ReportingPlanner
{
    public const string PingVolume = "ping-url";
    /// <summary>The file a per-job ping URL is mounted as (the key differs per job, the path does not).</summary>
    public const string PerJobPingFile = "url";

    /// <summary>Whether a job of this role pings with this Secret.</summary>
    public static bool Pings(PingUrlSecretSpec ping, JobRole role) =>
        ping.PerJob ? role != JobRole.Init : role is JobRole.Backup or JobRole.Drill;

    /// <summary>
    /// The reporting section of a job's configuration. <paramref name="instances"/>: runner command → the
    /// rendered job it runs as (a backup's configuration also serves its drill); written only with a pushgateway.
    /// </summary>
    public static ReportingConfig Config(PlanContext ctx, JobRole role, params (string Command, string Job)[] instances)
    {
        var reporting = ctx.Inv.Reporting;
        var ping = reporting.PingUrlSecret;
        return new ReportingConfig
        {
            PingUrlFile = ping is null || !Pings(ping, role) ? null
                : PodPaths.PingUrlDir + "/" + (ping.PerJob ? PerJobPingFile : ping.SharedKey),
            PushgatewayUrl = reporting.PushgatewayUrl,
            Instances = reporting.PushgatewayUrl is null || instances.Length == 0 ? null
                : ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, instances.Select(i => KeyValuePair.Create(i.Command, i.Job))),
        };
    }

    /// <summary>The volume and mount of a job's ping URL, or none when it does not ping.</summary>
    public static (VolumeModel Volume, MountModel Mount)? PingMount(PlanContext ctx, string job, JobRole role)
    {
        if (ctx.Inv.Reporting.PingUrlSecret is not { } ping || !Pings(ping, role))
            return null;
        // Per job: only the job's own key, and optional, so a key the operator has not created yet costs
        // that job its pings (the runner warns), never its run.
        var item = ping.PerJob ? new KeyValue(job, PerJobPingFile) : new KeyValue(ping.SharedKey, ping.SharedKey);
        return (new VolumeModel(PingVolume, VolumeKind.Secret, ping.Name, [item], DefaultMode: PodSecurity.SecretMode, Optional: ping.PerJob),
            new MountModel(PingVolume, PodPaths.PingUrlDir, null, true));
    }

    /// <summary>The ping Secret of every namespace with a job that pings, and the keys its jobs read there.</summary>
    public static IEnumerable<RequiredSecret> PingSecrets(PlanContext ctx, IEnumerable<ExpectedJob> jobs)
    {
        if (ctx.Inv.Reporting.PingUrlSecret is not { } ping)
            yield break;
        foreach (var scope in jobs.Where(j => Pings(ping, j.Role)).GroupBy(j => j.Namespace, StringComparer.Ordinal))
            yield return ping.PerJob
                ? new RequiredSecret(ping.Name, "Opaque", [.. scope.Select(j => j.Name)], "one ping URL per job, the key named like the job (optional: a missing key only stops that job's pings)", scope.Key)
                : new RequiredSecret(ping.Name, "Opaque", [ping.SharedKey], "backup and drill jobs (ping URL)", scope.Key);
    }
}
