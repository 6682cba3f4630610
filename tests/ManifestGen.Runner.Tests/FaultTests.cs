using System.Diagnostics;
using System.Globalization;
using ManifestGen.Contracts;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// Faults a cluster and a network produce, reproduced with real processes: the runner's process tree
/// killed with SIGKILL while services are stopped, sshd killed after the stop, restic printing
/// something that is not JSON, reporting targets that can never work.
/// </summary>
[Collection(FaultHostCollection.Name)]
public sealed class FaultTests(RealHost host)
{
    internal static AppConfig WithService(Scenario s, string app, string dir) => s.App(app) with
    {
        Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = dir },
    };

    internal static bool Running(string dir, string service) =>
        File.Exists(Path.Combine(dir, ".running")) && File.ReadAllLines(Path.Combine(dir, ".running")).Contains(service);

    /// <summary>
    /// The fake compose's stop takes the services down, says so (.stopped-now), and then holds until the test
    /// calls <see cref="ReleaseStop"/> (or an hour passes): the runner is mid-stop for as long as the test
    /// needs, however slowly a loaded machine gets it there. (A fixed `sleep 120` ended under load before
    /// the test had seen a renewal, and the run went on to start the services.)
    /// </summary>
    internal static void HoldStop(string dir)
    {
        // A release left from an earlier hold whose stop was already gone must not end this one. The hold also
        // ends when the test's folder is gone: a stop whose session outlived its test must not linger for the hour.
        File.Delete(Path.Combine(dir, ".release-stop"));
        File.WriteAllText(Path.Combine(dir, ".on-stop"),
            "touch .stopped-now; i=0; while [ ! -e .release-stop ] && [ -d \"$PWD\" ] && [ \"$i\" -lt 3600 ]; do sleep 1; i=$((i + 1)); done; rm -f .release-stop\n");
    }

    /// <summary>Ends a held stop (the runner was killed meanwhile) and stops holding the next ones.</summary>
    internal static void ReleaseStop(string dir)
    {
        File.Delete(Path.Combine(dir, ".on-stop"));
        File.WriteAllText(Path.Combine(dir, ".release-stop"), "");
    }

    /// <summary>Starts the runner, waits until the fake compose has stopped the services, then SIGKILLs the whole tree.</summary>
    internal static async Task KillWhileStoppedAsync(Scenario s, JobConfig config, string dir)
    {
        HoldStop(dir);
        await using var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config));
        Assert.True(await HostState.EventuallyAsync(() => File.Exists(Path.Combine(dir, ".stopped-now")) || runner.HasExited, Patience.Progress), runner.Stderr);
        Assert.False(runner.HasExited, runner.Stderr);
        await runner.KillTreeAsync();
        ReleaseStop(dir);
        Assert.False(Running(dir, "db"), "the service is stopped when the runner dies");
        Assert.Contains("dead man's switch armed", runner.Stderr);
    }

    [Fact]
    public async Task Should_start_services_a_killed_run_left_stopped_on_the_next_run_cancel_its_switch_and_say_so()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("dms-next", dataFiles: 2);
        var config = s.Backup(WithService(s, app, dir)) with { ActiveDeadlineSeconds = 3600 };
        await KillWhileStoppedAsync(s, config, dir);
        var sleeper = HostState.DetachedTimer(File.ReadAllText(HostState.StateFile(app, ".switch")));
        Assert.True(Directory.Exists($"/proc/{sleeper}"), "the detached timer waits on the host");

        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(["db"], next.Summary.ServicesRecovered.ToArray());
        Assert.Equal(Outcome.Warning, next.Summary.Outcome);
        Assert.Contains(next.Summary.Warnings, w => w.Contains("left stopped by a previous run", StringComparison.Ordinal));
        Assert.True(Running(dir, "db"));
        Assert.False(File.Exists(HostState.StateFile(app, ".stopped")));
        Assert.True(await HostState.EventuallyAsync(() => !Directory.Exists($"/proc/{sleeper}"), Patience.Progress), "the old timer is cancelled");
        Assert.NotNull(next.Summary.SnapshotId);
    }

    [Fact]
    public async Task Should_not_run_hooks_or_stop_services_when_the_repository_password_is_wrong_or_the_repository_is_missing()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("precheck", dataFiles: 1);
        var withHook = WithService(s, app, dir) with
        {
            Hooks = new HooksConfig
            {
                StopServices = ["db"],
                ComposeDirectory = dir,
                Before = [new HookCommand { Run = $"touch '{dir}/hook-ran'" }],
            },
        };
        var wrong = await s.RunAsync(s.Backup(withHook, passwordFile: s.Repo.WriteWrongPassword()), "backup");
        Assert.Equal(12, wrong.ExitCode);
        var missing = await s.RunAsync(s.Backup(withHook) with { Repository = s.Backup(withHook).Repository with { Location = s.Dir.Combine("no-repo") } }, "backup");
        Assert.Equal(10, missing.ExitCode);
        Assert.False(File.Exists(Path.Combine(dir, "hook-ran")));
        Assert.False(File.Exists(Path.Combine(dir, ".calls")), "compose was never called");
        Assert.True(Running(dir, "db"));
    }

    [Fact]
    public async Task Should_fail_with_a_summary_and_a_fail_ping_when_restic_prints_output_that_is_not_json()
    {
        await using var s = await Scenario.CreateAsync(host);
        var bin = s.Dir.Combine("garbling-restic");
        Directory.CreateDirectory(bin);
        var fake = s.Dir.Write("garbling-restic/restic",
            "#!/bin/sh\ncase \"$1\" in snapshots) echo 'this is not json {'; exit 0 ;; esac\nexec /usr/local/bin/restic \"$@\"\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using var server = new LoopbackHttpServer();
        var ping = s.Dir.Write("ping-url", server.BaseUrl + "ping/t0ken\n");
        await s.Repo.CheckedAsync("backup", "--host", "kvm-test", "--tag", "app=x", s.CreateApp("x", dataFiles: 1));
        var config = s.Maintenance(new MaintenanceConfig
        {
            Groups = [new RetentionGroup { Host = "kvm-test", App = "x", Policy = new RetentionPolicy { KeepLast = 1 } }],
        }) with { Reporting = new ReportingConfig { PingUrlFile = ping } };

        var r = await s.RunAsync(config, ["maintain"], bin);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not the expected JSON", r.Summary.Error);
        Assert.Contains("this is not json {", r.Stderr);
        Assert.Equal("POST /ping/t0ken/fail", server.Requests.Select(q => q.Method + " " + q.Path).Last());
    }

    [Fact]
    public async Task Should_refuse_a_ping_url_with_an_unsupported_scheme_before_touching_the_host_without_naming_the_url()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("ping");
        var dir = s.CreateApp(app, dataFiles: 1);
        var ping = s.Dir.Write("ping-url", "ftp://example.invalid/secret-token\n");
        var config = s.Backup(s.App(app) with { Hooks = new HooksConfig { Before = [new HookCommand { Run = $"touch '{dir}/hook-ran'" }] } },
            reporting: new ReportingConfig { PingUrlFile = ping });
        var r = await s.RunAsync(config, "backup");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unsupported scheme 'ftp'", r.Summary.Error);
        Assert.DoesNotContain("secret-token", r.Stdout + r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "hook-ran")));
    }

    [Fact]
    public async Task Should_refuse_a_pushgateway_url_without_a_scheme_with_a_summary_line()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("push");
        s.CreateApp(app, dataFiles: 1);
        var r = await s.RunAsync(s.Backup(s.App(app), reporting: new ReportingConfig { PushgatewayUrl = "pushgateway:9091" }), "backup");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'pushgateway:9091' is not an absolute URL", r.Summary.Error);
    }

    [Fact]
    public async Task I_can_restore_a_file_whose_name_holds_glob_characters_and_only_that_file()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("glob");
        var dir = s.CreateApp(app, dataFiles: 1);
        string[] names = ["a[1].txt", "a1.txt", "a*.txt", "ab.txt", "a?.txt", "a\\x.txt"];
        foreach (var n in names) File.WriteAllText(Path.Combine(dir, n), n);
        var config = s.Backup(s.App(app));
        var b = await s.RunAsync(config, "backup");
        Assert.True(b.ExitCode == 0, b.ToString());
        foreach (var wanted in new[] { "a[1].txt", "a*.txt", "a?.txt" })
        {
            var target = s.Dir.Combine("r-" + Guid.NewGuid().ToString("N")[..6]);
            var r = await s.RunAsync(config, "restore", "--path", Path.Combine(dir, wanted), "--target", target);
            Assert.True(r.ExitCode == 0, r.ToString());
            var restored = Directory.GetFiles(Path.Join(target, dir)).Select(f => Path.GetFileName(f)).ToArray();
            Assert.Equal([wanted], restored);
        }
    }
}

/// <summary>
/// The host's dead man's switch as a heartbeat: the product's default delay (five minutes), which the runner
/// renews every 75 s, under an hour's deadline that would otherwise decide when the host acts. Not a shorter
/// one: the delay must outlast the SSH round trips of the arm, the stop and a renewal on whatever machine runs
/// the suite, and on a CI machine beside other projects one round trip took more than a minute (a one-minute
/// delay let the timer fire under a live run, and a fixed one-minute bound failed the arm). Each test in a
/// class of its own (its own sshd, so its own collection) that waits beside the other collections.
/// </summary>
public static class Heartbeat
{
    public const int DelaySeconds = HooksConfig.DefaultSwitchDelaySeconds;

    /// <summary>
    /// The fire path under load (the host's shell, compose, the test's poll). Generous, since load only ever
    /// adds to it, and still far below the hour's deadline at which the host would act without a heartbeat.
    /// </summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(5);

    /// <summary>
    /// From the last renewal to the services running: the delay, the minute `at` may add (it counts whole
    /// minutes, and gets one more so it never fires early), plus the fire path under load.
    /// </summary>
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(DelaySeconds + 60) + Slack;

    public static AppConfig WithDelay(AppConfig app) => app with { Hooks = app.Hooks with { SwitchDelaySeconds = DelaySeconds } };
}

public sealed class SwitchAfterKillTests(RealHost host) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_keep_the_services_stopped_while_the_runner_renews_the_switch_and_have_the_host_start_them_within_the_delay_once_it_is_killed()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("dms-kill", dataFiles: 2);
        // The stop is held while the test watches renewals: compose's own bound must not end it first.
        var withService = Heartbeat.WithDelay(FaultTests.WithService(s, app, dir));
        var config = s.Backup(withService with { Hooks = withService.Hooks with { ComposeTimeoutSeconds = 3600 } }) with { ActiveDeadlineSeconds = 3600 };
        FaultTests.HoldStop(dir);
        await using var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config));
        Assert.True(await HostState.EventuallyAsync(() => File.Exists(Path.Combine(dir, ".stopped-now")) || runner.HasExited, Patience.Progress), runner.Stderr);
        var armedLine = File.ReadAllText(HostState.StateFile(app, ".switch")).Trim();
        var armed = HostState.DetachedTimer(armedLine);
        Assert.True(Directory.Exists($"/proc/{armed.ToString(CultureInfo.InvariantCulture)}"), "the armed timer waits on the host");
        // Renewed while the runner lives: a new timer replaces the armed one, which is ended, so nothing is left
        // on the host that would start the services under the live run (what the timer does when it is not
        // replaced is the second half of this test).
        // A renewal rewrites the file in place (`>`): a poll may see it empty for a moment, which is not a new timer.
        var renewedLine = "";
        Assert.True(await HostState.EventuallyAsync(() =>
        {
            renewedLine = File.ReadAllText(HostState.StateFile(app, ".switch")).Trim();
            return renewedLine.Length > 0 && renewedLine != armedLine;
        }, Patience.Progress), runner.Stderr);
        var renewed = HostState.DetachedTimer(renewedLine);
        Assert.True(await HostState.EventuallyAsync(() => !Directory.Exists($"/proc/{armed.ToString(CultureInfo.InvariantCulture)}"), Patience.Progress), "the renewal ends the timer it replaces");
        Assert.True(Directory.Exists($"/proc/{renewed.ToString(CultureInfo.InvariantCulture)}"), "the renewed timer waits on the host");
        Assert.False(runner.HasExited, runner.Stderr);
        Assert.False(FaultTests.Running(dir, "db"), "renewals keep the switch from firing under a live run");

        await runner.KillTreeAsync();
        FaultTests.ReleaseStop(dir);
        Assert.True(await HostState.EventuallyAsync(() => FaultTests.Running(dir, "db"), Heartbeat.Within), "the host's dead man's switch started db within the delay");
        Assert.True(await HostState.EventuallyAsync(() => !File.Exists(HostState.StateFile(app, ".stopped")), Patience.Progress), "the switch removes the marker");

        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Empty(next.Summary.ServicesRecovered);
    }
}

/// <summary>The host's dead man's switch after sshd dies behind the stop; a class of its own, as <see cref="SwitchAfterKillTests"/>.</summary>
public sealed class SwitchAfterCutOffTests(RealHost host) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_report_services_left_stopped_when_sshd_dies_after_the_stop_and_the_host_starts_them_within_the_delay()
    {
        await using var sshd = await SshHost.StartAsync(new SshHostOptions { ExtraPath = [host.FakeBin] });
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("dms-cut", dataFiles: 2);
        // The host is cut off right after the stop: new connections (the pass, the renewals) are refused.
        File.WriteAllText(Path.Combine(dir, ".on-stop"), $"kill -9 {sshd.ServerPid.ToString(CultureInfo.InvariantCulture)}\n");
        var config = s.Backup(Heartbeat.WithDelay(FaultTests.WithService(s, app, dir))) with
        {
            Host = sshd.ToHostConfig(s.HostName),
            ActiveDeadlineSeconds = 3600,
            TerminationGracePeriodSeconds = 20,
        };
        var r = await s.RunAsync(config, "backup");
        var ended = Stopwatch.StartNew();

        Assert.Equal(1, r.ExitCode);
        var summary = r.Summary;
        Assert.Equal(Outcome.Failure, summary.Outcome);
        Assert.Equal(["db"], summary.ServicesLeftStopped.ToArray());
        Assert.NotNull(summary.ServicesRestartAt);
        Assert.Contains("rsync", summary.Error);
        Assert.Contains("still stopped", summary.Error);

        Assert.True(await HostState.EventuallyAsync(() => FaultTests.Running(dir, "db"), Heartbeat.Within), "the host's dead man's switch started db within the delay");
        Assert.True(ended.Elapsed < Heartbeat.Within, "not at the deadline");
    }
}

[Collection(RepositoryHostCollection.Name)]
public sealed class LockFaultTests(RealHost host)
{
    private static async Task WaitForLockAsync(Scenario s)
    {
        var sw = Stopwatch.StartNew();
        while (s.Repo.Locks().IsEmpty && sw.Elapsed < Patience.Progress) await Task.Delay(20);
        Assert.NotEmpty(s.Repo.Locks());
    }

    /// <summary>
    /// Backs up a 4 MiB app <paramref name="app"/> and starts a live process holding the repository's exclusive
    /// lock for as long as the test needs: a check reading that data at 1 KiB/s. Returns once the lock is there.
    /// </summary>
    private static async Task<BackgroundProcess> HoldExclusiveLockAsync(Scenario s, string app)
    {
        var dir = s.CreateApp(app, dataFiles: 1, fileSize: 4 << 20);
        await s.Repo.CheckedAsync("backup", "--host", "kvm-test", dir);
        var holder = new BackgroundProcess("restic", ["check", "--read-data", "--limit-download", "1"], s.Repo.Environment);
        await WaitForLockAsync(s);
        return holder;
    }

    [Fact]
    public async Task Should_not_block_the_next_prune_when_a_backup_is_killed_with_SIGKILL_holding_its_lock()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = "lock-" + Guid.NewGuid().ToString("N")[..8];
        s.CreateApp(app, dataFiles: 1);
        var config = s.Backup(s.App(app) with
        {
            Hooks = new HooksConfig { Dumps = [new DumpStream { Name = "db", Command = "head -c 1000 /dev/zero; sleep 1800", FileName = "db.sql", TimeoutSeconds = 3600 }] },
        });
        await using (var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config)))
        {
            Assert.True(await runner.WaitForStderrAsync("restic backup started", Patience.Progress), runner.Stderr);
            await WaitForLockAsync(s);
            await runner.KillTreeAsync();
        }
        Assert.NotEmpty(s.Repo.Locks());
        var prune = await s.RunAsync(s.Maintenance(new MaintenanceConfig { Prune = true }) with
        {
            Repository = s.Repo.ToRepositoryConfig() with { RetryLockSeconds = 1 },
        }, "maintain");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Empty(s.Repo.Locks());
    }

    [Fact]
    public async Task Should_not_block_the_next_backup_when_a_maintenance_job_is_killed_with_SIGKILL_holding_the_exclusive_lock()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = "lockp-" + Guid.NewGuid().ToString("N")[..8];
        // prune and check take the same exclusive lock (a prune of a small repository is over before it can be killed).
        await using (var prune = await HoldExclusiveLockAsync(s, app))
            await prune.KillTreeAsync();
        Assert.NotEmpty(s.Repo.Locks());
        var config = s.Backup(s.App(app));
        var backup = await s.RunAsync(config with { Repository = config.Repository with { RetryLockSeconds = 1 } }, "backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Empty(s.Repo.Locks());
    }

    [Fact]
    public async Task Should_wait_for_a_lock_at_most_retryLockSeconds_fail_naming_the_bound_past_it_and_go_on_once_its_holder_is_killed()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = "lockw-" + Guid.NewGuid().ToString("N")[..8];
        await using var holder = await HoldExclusiveLockAsync(s, app);
        var config = s.Backup(s.App(app));

        // Past the bound: exit 11, and the error says how long it waited, the bound and who holds the lock.
        var sw = Stopwatch.StartNew();
        var locked = await s.RunAsync(config with { Repository = config.Repository with { RetryLockSeconds = 10 } }, "backup");
        Assert.True(locked.ExitCode == 11, locked.ToString());
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(10), $"gave up after {sw.Elapsed}");
        Assert.Contains("repository.retryLockSeconds = 10", locked.Summary.Error);
        Assert.Contains("already locked exclusively", locked.Summary.Error);
        Assert.False(holder.HasExited, "a live holder's lock is left alone");

        // Within the bound: the holder is SIGKILLed while the next run waits; the run removes the dead lock and
        // succeeds. The bound is far beyond what any machine load makes of the wait (exit 11 would say it fired):
        // what is shown is that the waiting run goes on once the holder is gone, not how fast the machine is.
        var bound = TimeSpan.FromSeconds(900);
        await using var runner = RunnerProcess.Start(s.WriteConfig(config with { Repository = config.Repository with { RetryLockSeconds = (int)bound.TotalSeconds } }),
            ["backup"], s.Mounts(config));
        Assert.True(await runner.WaitForStderrAsync("removing stale locks and trying again", bound), runner.Stderr);
        await holder.KillTreeAsync();
        Assert.Equal(0, await runner.WaitForExitAsync(bound));
        Assert.Empty(s.Repo.Locks());
    }
}
