using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>The coverage jobs' objects, and those jobs as the alerts expect them.</summary>
internal sealed record CoveragePlan(ImmutableArray<RenderUnit> Units, ImmutableArray<ExpectedJob> Expected);

/// <summary>
/// One coverage CronJob per gated host with <c>coverage: true</c> and apps (<see cref="JobSchedules.CoverageHosts"/>):
/// the runner's `coverage` command asks the host's gate what it runs and compares it with the host's apps.
/// The apps and the host section are the host's backup configurations as rendered (<see cref="BackupPlan.Configs"/>),
/// so the comparison never drifts from what the backups do, and the gate sees the same allow-list version.
/// </summary>
internal static class CoveragePlanner
{
    public static CoveragePlan Plan(PlanContext ctx, BackupPlan backups)
    {
        var inv = ctx.Inv;
        var units = new List<RenderUnit>();
        var expected = new List<ExpectedJob>();
        foreach (var host in JobSchedules.CoverageHosts(inv))
        {
            if (!backups.Configs.TryGetValue(host.Name, out var configs) || configs.IsEmpty)
                continue;
            var h = inv.Hosts.IndexOf(host);
            var path = $"hosts[{h}].coverage";
            var name = Names.Coverage(host.Name);
            // The namespace of the host's backups that holds its known_hosts, key and SSH egress: the
            // environment's, unless every app of the host uses sshfs (then only their namespace has them).
            var scope = ctx.Apps.Where(a => a.Host == host).Select(ctx.ScopeOf).Contains(ctx.Ns) ? ctx.Ns : ctx.SshfsNamespace;
            var labels = With(ctx.BaseLabels, ("app.kubernetes.io/component", "coverage"), ("manifestgen.io/host", host.Name));
            var deadline = JobSchedules.CoverageDeadlineSeconds(host);
            units.Add(ctx.ConfigUnit(name, scope, labels, new JobConfig
            {
                Version = JobConfig.CurrentVersion, Kind = JobKind.Coverage, Environment = ctx.Env,
                ActiveDeadlineSeconds = deadline,
                // Required by the contract; the coverage command never opens the repository.
                Repository = ctx.RepositoryConfig with { Location = ctx.RepositoryLocation(host.Name) },
                Reporting = ReportingPlanner.Config(ctx, JobRole.Coverage, ("coverage", name)),
                Host = configs[0].Host,
                Coverage = new CoverageConfig { Apps = [.. configs.Select(c => c.App!)] },
            }, path));
            // The key and known_hosts of the host's backups, nothing else of theirs.
            var (volumes, mounts) = BackupPlanner.HostAccess(host);
            if (ReportingPlanner.PingMount(ctx, name, JobRole.Coverage) is var (pingVolume, pingMount))
            {
                volumes.Add(pingVolume);
                mounts.Add(pingMount);
            }
            // No repository volume, password or cache: the job reads the host, never the repository.
            var pod = ctx.RunnerPod(labels, "coverage", name, volumes, mounts, PodSecurity.Restricted, inv.Defaults.Resources, RepositoryAccess.None);
            var schedule = ctx.ScheduleOf(name);
            var zone = inv.Defaults.TimeZone;
            units.Add(new RenderUnit("cron-job.sbn", new CronJobModel(Meta(name, scope, labels, Wave(2)), schedule, zone,
                inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit, inv.Defaults.FailedJobsHistoryLimit,
                new JobSpecModel(deadline, 0, pod) { Hostname = name }), path));
            expected.Add(new ExpectedJob(name, JobRole.Coverage, scope, host.Name, null, schedule, zone, inv.Defaults.StartingDeadlineSeconds, deadline));
        }
        return new CoveragePlan([.. units], [.. expected]);
    }
}
