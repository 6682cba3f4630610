using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

[Collection(RepositoryHostCollection.Name)]
public sealed class MaintenanceTests(RealHost host)
{
    private static async Task Snapshot(Scenario s, string dir, string hostName, params string[] tags)
    {
        File.AppendAllText(Path.Combine(dir, "app.conf"), "#\n");
        await s.Repo.CheckedAsync(["backup", "--host", hostName, .. tags.SelectMany(t => new[] { "--tag", t }), dir]);
    }

    private static async Task TwoSnapshots(Scenario s, string app)
    {
        var dir = s.CreateApp(app);
        await Snapshot(s, dir, "kvm-test", "app=" + app);
        await Snapshot(s, dir, "kvm-test", "app=" + app);
    }

    private static JobConfig OneGroup(Scenario s, string app, RetentionPolicy policy) =>
        s.Maintenance(new MaintenanceConfig { Groups = [new RetentionGroup { Host = "kvm-test", App = app, Policy = policy }] });

    [Fact]
    public async Task Should_forget_only_by_policy_and_only_the_apps_own_snapshots()
    {
        await using var s = await Scenario.CreateAsync(host);
        var a = s.CreateApp("alpha");
        var b = s.CreateApp("beta");
        for (var i = 0; i < 3; i++) await Snapshot(s, a, "kvm-test", "app=alpha");
        await Snapshot(s, a, "kvm-test", "app=alpha", "dump", "dump=db");
        await Snapshot(s, a, "kvm-test", "app=alpha", "dump", "dump=db");
        for (var i = 0; i < 2; i++) await Snapshot(s, b, "kvm-test", "app=beta");
        // Same app name on another host: a different group that this policy must not touch.
        await Snapshot(s, a, "other-host", "app=alpha");
        await Snapshot(s, a, "other-host", "app=alpha");
        var latestAlpha = (await s.Repo.SnapshotsAsync("--host", "kvm-test", "--tag", "app=alpha")).Where(x => !x.HasTag("dump")).MaxBy(x => x.Time)!;

        var config = s.Maintenance(new MaintenanceConfig
        {
            Groups = [new RetentionGroup { Host = "kvm-test", App = "alpha", Policy = new RetentionPolicy { KeepLast = 1 } }],
            Prune = true,
        });
        var r = await s.RunAsync(config, "maintain");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(3, r.Summary.SnapshotsRemoved);

        var alpha = await s.Repo.SnapshotsAsync("--host", "kvm-test", "--tag", "app=alpha");
        Assert.Equal(latestAlpha.Id, Assert.Single(alpha, x => !x.HasTag("dump")).Id);
        Assert.Single(alpha, x => x.HasTag("dump"));
        Assert.Equal(2, (await s.Repo.SnapshotsAsync("--tag", "app=beta")).Length);
        Assert.Equal(2, (await s.Repo.SnapshotsAsync("--host", "other-host")).Length);
        Assert.Empty(s.Repo.Locks());
        await s.Repo.CheckedAsync("check");
    }

    [Fact]
    public async Task Should_exit_11_when_a_running_backup_holds_the_lock_and_leave_that_lock_alone()
    {
        await using var s = await Scenario.CreateAsync(host);
        await TwoSnapshots(s, "epsilon");
        // A live backup (its stream ends only when the test does: an hour at most) holds a fresh shared lock;
        // forget needs an exclusive one.
        await using var holder = new BackgroundProcess("restic",
            ["backup", "--host", "other", "--stdin-filename", "x", "--stdin-from-command", "--", "sleep", "3600"],
            s.Repo.Environment);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (s.Repo.Locks().IsEmpty && sw.Elapsed < Patience.Progress) await Task.Delay(50);
        Assert.NotEmpty(s.Repo.Locks());

        var maintain = OneGroup(s, "epsilon", new RetentionPolicy { KeepLast = 1 });
        var config = maintain with { Repository = maintain.Repository with { RetryLockSeconds = 2 } };
        var r = await s.RunAsync(config, "maintain");
        Assert.Equal(11, r.ExitCode);
        Assert.Contains("locked", r.Summary.Error);
        Assert.NotEmpty(s.Repo.Locks());
        Assert.Equal(2, (await s.Repo.SnapshotsAsync("--tag", "app=epsilon")).Length);

        holder.Signal(Processes.Signals.SIGINT);
        Assert.NotNull(await holder.WaitForExitAsync(Patience.Progress));
        Assert.Empty(s.Repo.Locks());
    }

    [Fact]
    public async Task Should_refuse_a_keep_tag_that_no_snapshot_has_instead_of_forgetting_everything()
    {
        await using var s = await Scenario.CreateAsync(host);
        await TwoSnapshots(s, "gamma");
        var config = OneGroup(s, "gamma", new RetentionPolicy { KeepTags = ["keep-forever"] });
        var r = await s.RunAsync(config, "maintain");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("keep-forever", r.Summary.Error);
        Assert.Equal(2, (await s.Repo.SnapshotsAsync()).Length);
    }

    [Fact]
    public async Task I_can_check_the_repository_with_a_read_data_subset()
    {
        await using var s = await Scenario.CreateAsync(host);
        await Snapshot(s, s.CreateApp("delta"), "kvm-test", "app=delta");
        var r = await s.RunAsync(s.Maintenance(new MaintenanceConfig { ReadDataSubset = "50%" }, JobKind.Check), "check");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("read 50.0% of data packs", r.Stderr);
        Assert.Contains("no errors were found", r.Stderr);
    }

    [Fact]
    public async Task Should_wait_for_a_slow_ping_endpoint_beyond_the_grace_periods_share_when_no_shutdown_is_waiting()
    {
        await using var s = await Scenario.CreateAsync(host);
        await Snapshot(s, s.CreateApp("eta"), "kvm-test", "app=eta");
        // Grace 20 s gives the reports 2 s of a shutdown; the endpoint answers every request after 4 s, as a
        // remote heartbeat service does on a slow link (or any endpoint on a loaded node).
        using var server = new LoopbackHttpServer(answerDelay: TimeSpan.FromSeconds(4));
        var ping = s.Dir.Write("ping-url", server.BaseUrl + "ping/slow\n");
        var config = s.Maintenance(new MaintenanceConfig(), JobKind.Check) with
        {
            TerminationGracePeriodSeconds = 20,
            Reporting = new ReportingConfig { PingUrlFile = ping },
        };
        var r = await s.RunAsync(config, "check");
        Assert.True(r.ExitCode == 0, r.ToString());
        // The endpoint records a request before it answers: that the answer arrived is what the log says.
        Assert.DoesNotContain(r.Stderr.Split('\n'), l => l.Contains("[warning] ping", StringComparison.Ordinal));
        Assert.Equal(["POST /ping/slow/start", "POST /ping/slow"], server.Requests.Select(q => q.Method + " " + q.Path));
    }

    [Fact]
    public async Task Should_report_forget_prune_and_check_each_as_its_own_instance_and_ping_where_configured()
    {
        await using var s = await Scenario.CreateAsync(host);
        await TwoSnapshots(s, "zeta");
        using var server = new LoopbackHttpServer();
        var pingFile = s.Dir.Write("ping-url", server.BaseUrl + "ping/forget-token\n");
        ReportingConfig Reporting(string command, string instance, string? ping = null) => new()
        {
            PushgatewayUrl = server.BaseUrl,
            PingUrlFile = ping,
            Instances = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(command, instance)]),
        };
        var forget = OneGroup(s, "zeta", new RetentionPolicy { KeepLast = 1 }) with { Reporting = Reporting("maintain", "restic-maintain-kvm-test", pingFile) };
        var prune = s.Maintenance(new MaintenanceConfig { Prune = true }) with { Reporting = Reporting("maintain", "restic-prune") };
        var check = s.Maintenance(new MaintenanceConfig(), JobKind.Check) with { Reporting = Reporting("check", "restic-check") };
        foreach (var (config, command) in new[] { (forget, "maintain"), (prune, "maintain"), (check, "check") })
        {
            var r = await s.RunAsync(config, command);
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        // A forget that fails (a keep-tag no snapshot has) reports the failure the same way.
        var failing = OneGroup(s, "zeta", new RetentionPolicy { KeepTags = ["nope"] }) with { Reporting = Reporting("maintain", "restic-maintain-kvm-test", pingFile) };
        Assert.Equal(2, (await s.RunAsync(failing, "maintain")).ExitCode);

        var requests = server.Requests;
        Assert.Equal(["POST /ping/forget-token/start", "POST /ping/forget-token", "POST /ping/forget-token/start", "POST /ping/forget-token/fail"],
            requests.Where(q => q.Path.StartsWith("/ping/", StringComparison.Ordinal)).Select(q => q.Method + " " + q.Path));
        var pushes = requests.Where(q => q.Path.StartsWith("/metrics/", StringComparison.Ordinal)).ToArray();
        Assert.Equal([
            "PUT /metrics/job/manifestgen/instance/restic-maintain-kvm-test",
            "PUT /metrics/job/manifestgen/instance/restic-prune",
            "PUT /metrics/job/manifestgen/instance/restic-check",
            "POST /metrics/job/manifestgen/instance/restic-maintain-kvm-test",
        ], pushes.Select(q => q.Method + " " + q.Path));
        Assert.Contains("manifestgen_last_run_success{command=\"maintain\",app=\"\",host=\"\",instance=\"restic-prune\"} 1\n", pushes[1].Body);
        Assert.Contains("manifestgen_last_run_success{command=\"check\",app=\"\",host=\"\",instance=\"restic-check\"} 1\n", pushes[2].Body);
        Assert.Contains(Notifier.LastSuccessMetric + "{", pushes[0].Body);
        Assert.DoesNotContain(Notifier.LastSuccessMetric, pushes[3].Body);
        Assert.Contains("manifestgen_last_run_exit_code{command=\"maintain\",app=\"\",host=\"\",instance=\"restic-maintain-kvm-test\"} 2\n", pushes[3].Body);
    }

    [Fact]
    public async Task Should_refuse_a_command_that_does_not_match_the_job_kind()
    {
        await using var s = await Scenario.CreateAsync(host);
        var r = await s.RunAsync(s.Maintenance(new MaintenanceConfig()), "backup");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("job kind is 'maintain'", r.Stderr);
    }
}
