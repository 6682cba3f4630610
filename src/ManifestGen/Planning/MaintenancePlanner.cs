using ManifestGen.Contracts;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

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
    public static IEnumerable<RenderUnit> Init(PlanContext ctx)
    {
        foreach (var initHost in ctx.Server is null ? [null] : ctx.Inv.Hosts.Select(h => (string?)h.Name))
        {
            var name = Names.Init(ctx.Repo.Name, initHost);
            var labels = Labels(ctx, "init", initHost);
            yield return ctx.ConfigUnit(name, ctx.Ns, labels, new JobConfig
            {
                Version = JobConfig.CurrentVersion, Kind = JobKind.Init, Environment = ctx.Env,
                Repository = ctx.RepositoryConfig with { Location = ctx.RepositoryLocation(initHost) },
            }, "repository");
            var pod = ctx.RunnerPod(labels, "init", name, [ctx.CacheVolume], [ctx.CacheMount],
                PodSecurity.Restricted, ctx.Inv.Defaults.Resources);
            yield return new RenderUnit("job.sbn", new JobModel(Meta(name, ctx.Ns, labels, Hook(1)),
                new JobSpecModel(1800, 2, pod)), "repository");
        }
    }

    /// <summary>
    /// Forget runs once per host over that host's app groups: one job over every app would hold a
    /// configuration that grows with the inventory, and a ConfigMap may hold at most 1 MiB. Prune reads the
    /// whole repository, so it runs once, in a job of its own, not once per host: per-host prunes would
    /// repeat that work and queue on the exclusive lock longer than --retry-lock waits. With a REST server
    /// every host has a repository of its own: its forget job also prunes it (nothing else shares its
    /// packs), and its check job checks it.
    /// </summary>
    public static IEnumerable<RenderUnit> Jobs(PlanContext ctx, IReadOnlyList<RetentionGroup> groups)
    {
        var repo = ctx.Repo;
        var server = ctx.Server;
        var maintenance = ctx.Inv.Maintenance;
        var forget = maintenance.Forget;
        foreach (var hostGroups in groups.GroupBy(g => g.Host, StringComparer.Ordinal))
            foreach (var unit in Job(ctx, "maintain", Names.Maintain(repo.Name, hostGroups.Key), hostGroups.Key, JobKind.Maintain,
                forget.Schedule, forget.TimeZone, forget.ActiveDeadlineSeconds, forget.Resources,
                new MaintenanceConfig { Groups = [.. hostGroups], Prune = server is not null && forget.Prune }, "maintenance.forget"))
                yield return unit;
        if (forget.Prune && server is null)
            foreach (var unit in Job(ctx, "prune", Names.Prune(repo.Name), null, JobKind.Maintain,
                forget.Schedule, forget.TimeZone, forget.ActiveDeadlineSeconds, forget.Resources,
                new MaintenanceConfig { Groups = [], Prune = true }, "maintenance.forget"))
                yield return unit;
        if (maintenance.Check.Enabled)
        {
            var check = maintenance.Check;
            foreach (var checkHost in server is null ? [null] : groups.Select(g => (string?)g.Host).Distinct())
                foreach (var unit in Job(ctx, "check", Names.Check(repo.Name, checkHost), checkHost, JobKind.Check,
                    check.Schedule, check.TimeZone, check.ActiveDeadlineSeconds, check.Resources,
                    new MaintenanceConfig { ReadDataSubset = check.ReadDataSubset }, "maintenance.check"))
                    yield return unit;
        }
    }

    private static IEnumerable<RenderUnit> Job(PlanContext ctx, string command, string name, string? host, JobKind kind, string scheduleText,
        string? timeZone, int deadline, ResourcesSpec? resources, MaintenanceConfig config, string path)
    {
        var inv = ctx.Inv;
        var labels = Labels(ctx, command, host);
        yield return ctx.ConfigUnit(name, ctx.Ns, labels, new JobConfig
        {
            Version = JobConfig.CurrentVersion, Kind = kind, Environment = ctx.Env, Maintenance = config,
            Repository = ctx.RepositoryConfig with { Location = ctx.RepositoryLocation(host) },
            ActiveDeadlineSeconds = deadline,
        }, path);
        // `command` names the job (label, schedule seed); the runner's command follows from the kind.
        var runnerCommand = kind == JobKind.Check ? "check" : "maintain";
        var pod = ctx.RunnerPod(labels, runnerCommand, name, [ctx.CacheVolume], [ctx.CacheMount],
            PodSecurity.Restricted, resources ?? inv.Defaults.Resources);
        var schedule = ctx.ExpandSchedule(scheduleText, Names.MaintenanceSeed(ctx.Repo.Name, command, host), path + ".schedule");
        yield return new RenderUnit("cron-job.sbn", new CronJobModel(Meta(name, ctx.Ns, labels, Wave(2)), schedule,
            timeZone ?? inv.Defaults.TimeZone, inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit,
            inv.Defaults.FailedJobsHistoryLimit, new JobSpecModel(deadline, 0, pod) { Hostname = name }), path);
    }

    private static System.Collections.Immutable.ImmutableArray<KeyValue> Labels(PlanContext ctx, string component, string? host) =>
        host is null
            ? With(ctx.BaseLabels, ("app.kubernetes.io/component", component))
            : With(ctx.BaseLabels, ("app.kubernetes.io/component", component), ("manifestgen.io/host", host));
}
