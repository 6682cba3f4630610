using k8s.Models;
using ManifestGen.Contracts;
using ManifestGen.Planning;
using ManifestGen.Security;
using ManifestGen.Tests.Support;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// The coverage CronJob of a host with <c>coverage: true</c> (the focused case coverage-job): it compares the
/// host with exactly its backups' apps, runs where no backup of the host runs, and gets what a backup pod of
/// the host gets to reach it, nothing of the repository.
/// </summary>
public sealed class CoverageJobTests
{
    private const string Tree = "tests/snapshots/cases/coverage-job/out/manifests";

    private static JobConfig ConfigOf(V1ConfigMap c) => JobConfigJson.Deserialize(c.Data[PodPaths.JobConfigFileName], c.Metadata.Name);

    private static string Label(V1ObjectMeta m, string key) => m.Labels.TryGetValue(key, out var v) ? v : "";

    [Fact]
    public void Should_compare_the_host_with_exactly_the_apps_and_host_settings_its_backups_use()
    {
        var configMaps = RenderedTree.Read(Tree).Select(o => o.Typed).OfType<V1ConfigMap>().ToList();
        var coverage = configMaps.Where(c => Label(c.Metadata, "app.kubernetes.io/component") == "coverage").ToList();
        // Only app-01 has coverage: true.
        var config = ConfigOf(Assert.Single(coverage));
        Assert.Equal(Names.Coverage("app-01"), coverage[0].Metadata.Name);
        Assert.Equal(JobKind.Coverage, config.Kind);
        Assert.Empty(JobConfigRules.Check(config));
        var backups = configMaps.Where(c => Label(c.Metadata, "app.kubernetes.io/component") == "backup" && Label(c.Metadata, "manifestgen.io/host") == "app-01")
            .Select(ConfigOf).ToList();
        Assert.Equal(2, backups.Count);
        // Records compare by value, but their arrays by reference: compare the JSON the runner reads.
        static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value, value.GetType(), JobConfigJson.Options);
        Assert.Equal(backups.Select(b => b.App!.Name).Order(StringComparer.Ordinal), config.Coverage!.Apps.Select(a => a.Name).Order(StringComparer.Ordinal));
        foreach (var backup in backups)
            Assert.Equal(Json(backup.App!), Json(config.Coverage.Apps.Single(a => a.Name == backup.App!.Name)));
        // The same host section, allow-list versions included: the gate sees the job's allow-list as the backups'.
        Assert.Equal(Json(backups[0].Host!), Json(config.Host!));
        Assert.True(config.Host!.Gated);
        Assert.NotNull(config.Host.AllowLists);
    }

    [Fact]
    public void Should_schedule_the_coverage_job_daily_where_it_meets_no_backup_of_its_host()
    {
        var cronJobs = RenderedTree.Read(Tree).Select(o => o.Typed).OfType<V1CronJob>().ToList();
        var coverage = Assert.Single(cronJobs, c => Label(c.Metadata, "app.kubernetes.io/component") == "coverage");
        var backups = cronJobs.Where(c => Label(c.Metadata, "app.kubernetes.io/component") == "backup" && Label(c.Metadata, "manifestgen.io/host") == "app-01").ToList();
        Assert.Equal(2, backups.Count);
        static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Runs(V1CronJob c) =>
            JobSchedules.Windows(CronExpression.Parse(c.Spec.Schedule).Schedule!, TimeZones.Resolve(c.Spec.TimeZone),
                (int)c.Spec.JobTemplate.Spec.ActiveDeadlineSeconds!.Value);
        var mine = Runs(coverage);
        // Daily: one run per day of the horizon.
        Assert.Equal(JobSchedules.HorizonDays, mine.Count);
        foreach (var backup in backups)
            foreach (var (start, end) in Runs(backup))
                Assert.DoesNotContain(mine, run => run.Start < end && start < run.End);
        // The hashed time met a backup (they fill the host's mornings): the planner moved it.
        var hashed = Schedules.Expand(JobSchedules.CoverageSchedule, Names.CoverageSeed("app-01"), out _)!;
        Assert.NotEqual(hashed, coverage.Spec.Schedule);
    }

    [Fact]
    public void Should_give_the_coverage_pod_the_hosts_key_and_known_hosts_and_nothing_of_the_repository()
    {
        var objects = RenderedTree.Read(Tree);
        var pods = NamespaceLevels.PodTemplates(objects).ToList();
        var coverage = Assert.Single(pods, p => Label(p.Template.Metadata, "app.kubernetes.io/component") == "coverage").Template;
        var backup = pods.First(p => Label(p.Template.Metadata, "app.kubernetes.io/component") == "backup" && Label(p.Template.Metadata, "manifestgen.io/host") == "app-01").Template;
        Assert.Equal(new[] { "coverage" }, coverage.Spec.Containers.Single().Args);
        Assert.Empty(PodSecurityStandards.Evaluate(PodSecurityLevel.Restricted, coverage.Metadata, coverage.Spec));
        var secrets = coverage.Spec.Volumes.Where(v => v.Secret is not null).Select(v => v.Secret.SecretName).ToList();
        Assert.Contains("ssh-app-01", secrets);
        Assert.DoesNotContain("ssh-app-02", secrets);
        Assert.Contains(coverage.Spec.Volumes, v => v.ConfigMap?.Name == Names.KnownHosts("app-01"));
        Assert.DoesNotContain(coverage.Spec.Volumes, v => v.PersistentVolumeClaim is not null);
        // Nor the repository's password: a compromised coverage pod reads nothing of the backups.
        Assert.Contains("restic-password", backup.Spec.Volumes.Where(v => v.Secret is not null).Select(v => v.Secret.SecretName));
        Assert.DoesNotContain("restic-password", secrets);
        // Its own ping key (per job), as every scheduled job.
        Assert.Contains(coverage.Spec.Volumes, v => v.Secret?.SecretName == "healthchecks-ping" && v.Secret.Items.Single().Key == Names.Coverage("app-01"));
        // The namespace's NetworkPolicy, which lets the host's backups reach its SSH port, selects it too.
        var policy = objects.Select(o => o.Typed).OfType<V1NetworkPolicy>().Single();
        Assert.Equal(backup.Metadata.Labels["manifestgen.io/environment"], coverage.Metadata.Labels["manifestgen.io/environment"]);
        Assert.Contains(policy.Spec.Egress, r => r.To?.Any(p => p.IpBlock?.Cidr == "198.51.100.7/32") == true && r.Ports.Single().Port.Value == "22");
    }

    [Fact]
    public void Should_alert_on_uncovered_findings_of_the_coverage_job_only()
    {
        var meta = new ObjectMeta("rules", "backup", [], []);
        ExpectedJob Job(string name, JobRole role, string? app) => new(name, role, "backup", "app-01", app, "0 3 * * *", "UTC", 0, 900);
        var rules = AlertsPlanner.Rules(meta, [Job("backup-app-01-wiki", JobRole.Backup, "wiki"), Job("coverage-app-01", JobRole.Coverage, null)])
            .Groups.SelectMany(g => g.Rules.Select(r => (Group: g.Name, Rule: r))).ToList();
        var uncovered = Assert.Single(rules, r => r.Rule.Alert == "ManifestGenUncovered");
        Assert.Equal("manifestgen-coverage", uncovered.Group);
        foreach (var metric in AlertsPlanner.UncoveredMetrics)
            Assert.Contains($"max({metric}{{instance=\"coverage-app-01\"}}) > 0", uncovered.Rule.Expr, StringComparison.Ordinal);
        // The coverage job is expected (listed, overdue, failed) like every scheduled job, and reaches the host.
        Assert.Contains(rules, r => r.Rule.Record == AlertsPlanner.ExpectedMetric && r.Rule.Labels.Contains(new KeyValue("role", "coverage")));
        Assert.Contains(rules, r => r.Rule.Alert == "ManifestGenCoverageOverdue");
        Assert.Contains(rules, r => r.Rule.Alert == "ManifestGenCoverageFailed");
        Assert.Contains(rules, r => r.Rule.Alert == "ManifestGenHostFilesStale" && r.Rule.Expr.Contains("coverage-app-01", StringComparison.Ordinal));
        // The dashboard lists the findings only where a coverage job exists.
        Assert.Contains("manifestgen_uncovered_", AlertsPlanner.Dashboard("prod", coverage: true), StringComparison.Ordinal);
        Assert.DoesNotContain("manifestgen_uncovered_", AlertsPlanner.Dashboard("prod"), StringComparison.Ordinal);
    }
}
