using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>The objects of the repository's own jobs, and those jobs as the alerts expect them.</summary>
internal sealed record MaintenancePlan(ImmutableArray<RenderUnit> Units, ImmutableArray<ExpectedJob> Expected);

/// <summary>
/// The jobs that work on the repository as a whole rather than on one app: initialisation, forget, prune
/// and check. Each is its own job, because they take restic's exclusive lock. They mount the repository
/// volume also with a REST server: only backup pods go through the server.
/// </summary>
internal static class MaintenancePlanner
{
    /// <summary>
    /// Repository initialisation: idempotent (the runner initialises only a missing repository), a Sync hook
    /// after the volume and claim (wave 1). With a REST server, one per host's repository.
    /// </summary>
    public static MaintenancePlan Init(PlanContext ctx)
    {
        var units = new List<RenderUnit>();
        var expected = new List<ExpectedJob>();
        foreach (var initHost in ctx.Server is null ? [null] : ctx.Inv.Hosts.Select(h => (string?)h.Name))
        {
            var name = Names.Init(ctx.Repo.Name, initHost);
            var labels = Labels(ctx, "init", initHost);
            units.Add(ctx.ConfigUnit(name, ctx.Ns, labels, new JobConfig
            {
                Version = JobConfig.CurrentVersion, Kind = JobKind.Init, Environment = ctx.Env,
                Repository = ctx.RepositoryConfig with { Location = ctx.RepositoryLocation(initHost) },
                Reporting = ReportingPlanner.Config(ctx, JobRole.Init, ("init", name)),
            }, "repository"));
            var pod = ctx.RunnerPod(labels, "init", name, [ctx.CacheVolume], [ctx.CacheMount],
                PodSecurity.Restricted, ctx.Inv.Defaults.Resources);
            units.Add(new RenderUnit("job.sbn", new JobModel(Meta(name, ctx.Ns, labels, Hook(1)),
                new JobSpecModel(InitDeadlineSeconds, 2, pod)), "repository"));
            // Run by each sync, not by a schedule: it can fail, never be overdue.
            expected.Add(new ExpectedJob(name, JobRole.Init, ctx.Ns, initHost, null, null, ctx.Inv.Defaults.TimeZone, 0, InitDeadlineSeconds));
        }
        return new MaintenancePlan([.. units], [.. expected]);
    }

    private const int InitDeadlineSeconds = 1800;

    /// <summary>
    /// Forget runs once per host over that host's app groups: one job over every app would hold a
    /// configuration that grows with the inventory, and a ConfigMap may hold at most 1 MiB. Prune reads the
    /// whole repository, so it runs once, in a job of its own, not once per host: per-host prunes would
    /// repeat that work and queue on the exclusive lock longer than --retry-lock waits. With a REST server
    /// every host has a repository of its own: its forget job also prunes it (nothing else shares its
    /// packs), and its check job checks it.
    /// </summary>
    public static MaintenancePlan Jobs(PlanContext ctx, IReadOnlyList<RetentionGroup> groups)
    {
        var repo = ctx.Repo;
        var server = ctx.Server;
        var maintenance = ctx.Inv.Maintenance;
        var forget = maintenance.Forget;
        var units = new List<RenderUnit>();
        var expected = new List<ExpectedJob>();
        foreach (var hostGroups in groups.GroupBy(g => g.Host, StringComparer.Ordinal))
            Job(ctx, units, expected, "maintain", JobRole.Forget, Names.Maintain(repo.Name, hostGroups.Key), hostGroups.Key, JobKind.Maintain,
                forget.TimeZone, forget.ActiveDeadlineSeconds, forget.Resources,
                new MaintenanceConfig { Groups = [.. hostGroups], Prune = server is not null && forget.Prune }, "maintenance.forget");
        if (forget.Prune && server is null)
            Job(ctx, units, expected, "prune", JobRole.Prune, Names.Prune(repo.Name), null, JobKind.Maintain,
                forget.TimeZone, forget.ActiveDeadlineSeconds, forget.Resources,
                new MaintenanceConfig { Groups = [], Prune = true }, "maintenance.forget");
        if (maintenance.Check.Enabled)
        {
            var check = maintenance.Check;
            foreach (var checkHost in server is null ? [null] : groups.Select(g => (string?)g.Host).Distinct())
                Job(ctx, units, expected, "check", JobRole.Check, Names.Check(repo.Name, checkHost), checkHost, JobKind.Check,
                    check.TimeZone, check.ActiveDeadlineSeconds, check.Resources,
                    new MaintenanceConfig { ReadDataSubset = check.ReadDataSubset }, "maintenance.check");
        }
        return new MaintenancePlan([.. units], [.. expected]);
    }

    /// <summary>
    /// One scheduled repository job: its ConfigMap, its CronJob and what the alerts expect of it. The copy
    /// planner's jobs pass their copy (<paramref name="copy"/>: its Secrets' volumes and mounts, and the
    /// copy in the configuration) and their labels.
    /// </summary>
    internal static void Job(PlanContext ctx, List<RenderUnit> units, List<ExpectedJob> expected, string command, JobRole role, string name,
        string? host, JobKind kind, string? timeZone, int deadline, ResourcesSpec? resources, MaintenanceConfig? config, string path,
        (CopyConfig Config, VolumeModel[] Volumes, MountModel[] Mounts, ImmutableArray<KeyValue> Labels)? copy = null)
    {
        var inv = ctx.Inv;
        var labels = copy?.Labels ?? Labels(ctx, command, host);
        // `command` names the job (label, schedule seed); the runner's command follows from the kind.
        var runnerCommand = kind switch { JobKind.Check => "check", JobKind.Copy => "copy", _ => "maintain" };
        units.Add(ctx.ConfigUnit(name, ctx.Ns, labels, new JobConfig
        {
            Version = JobConfig.CurrentVersion, Kind = kind, Environment = ctx.Env, Maintenance = config,
            Repository = ctx.RepositoryConfig with { Location = ctx.RepositoryLocation(host) },
            Copies = copy is { } c ? [c.Config] : null,
            Reporting = ReportingPlanner.Config(ctx, role, (runnerCommand, name)),
            ActiveDeadlineSeconds = deadline,
        }, path));
        var (volumes, mounts) = ReportingPlanner.PingMount(ctx, name, role) is var (pingVolume, pingMount)
            ? (new[] { ctx.CacheVolume, pingVolume }, new[] { ctx.CacheMount, pingMount })
            : (new[] { ctx.CacheVolume }, new[] { ctx.CacheMount });
        if (copy is { } extra)
            (volumes, mounts) = ([.. volumes, .. extra.Volumes], [.. mounts, .. extra.Mounts]);
        // A copy's check opens only the copy (its own Secrets): neither the primary's volume nor its password,
        // so that pod cannot read or delete the primary's backups.
        var repository = copy is not null && kind == JobKind.Check ? RepositoryAccess.None : RepositoryAccess.VolumeAndPassword;
        var pod = ctx.RunnerPod(labels, runnerCommand, name, volumes, mounts, PodSecurity.Restricted, resources ?? inv.Defaults.Resources, repository);
        var schedule = ctx.ScheduleOf(name);
        var zone = timeZone ?? inv.Defaults.TimeZone;
        units.Add(new RenderUnit("cron-job.sbn", new CronJobModel(Meta(name, ctx.Ns, labels, Wave(2)), schedule,
            zone, inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit,
            inv.Defaults.FailedJobsHistoryLimit, new JobSpecModel(deadline, 0, pod) { Hostname = name }), path));
        expected.Add(new ExpectedJob(name, role, ctx.Ns, host, null, schedule, zone, inv.Defaults.StartingDeadlineSeconds, deadline));
    }

    private static ImmutableArray<KeyValue> Labels(PlanContext ctx, string component, string? host) =>
        host is null
            ? With(ctx.BaseLabels, ("app.kubernetes.io/component", component))
            : With(ctx.BaseLabels, ("app.kubernetes.io/component", component), ("manifestgen.io/host", host));
}
