using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Testing;
using Xunit.Abstractions;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// Every wait of a backup bounded by the setting that names it, with real processes frozen or hung: the
/// host's rsync sender SIGSTOPped mid-transfer, a hook and a `compose stop` that never end, a REST
/// repository server SIGSTOPped; and the bandwidth limit measured. A class of its own (its own sshd), so
/// its waits overlap the other collections'.
/// </summary>
public sealed partial class BoundTests(RealHost host, ITestOutputHelper output) : IClassFixture<RealHost>
{
    /// <summary>This fixture's sshd's processes named <paramref name="comm"/> whose command line holds <paramref name="word"/>.</summary>
    private IEnumerable<int> HostProcesses(string comm, string word) =>
        ProcessTree.Descendants(host.Ssh.ServerPid).Where(pid =>
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/comm").Trim() == comm &&
                    File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(word, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        });

    private static long Written(int pid)
    {
        try
        {
            var line = File.ReadAllLines($"/proc/{pid}/io").FirstOrDefault(l => l.StartsWith("wchar:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[6..].Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static void WriteRandom(string path, int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    [Fact]
    public async Task Should_fail_a_transfer_whose_sender_freezes_after_transferTimeoutSeconds_leave_the_services_running_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("frozen", dataFiles: 2);
        // 96 MiB at 4 MiB/s: the live pass (services running) is still sending it when the sender is frozen.
        // The bound is the same watchdog in the pass under the stop; a hung stop is BoundTests' compose case.
        // 20 s, not less: rsync's own --timeout (the same setting) also counts the connection's quiet start,
        // which a loaded machine stretches (ssh, the gate, the sandbox) past a few seconds.
        WriteRandom(Path.Combine(dir, "data", "big.bin"), 96 << 20, seed: 7);
        const int stall = 20;
        var config = s.Backup(FaultTests.WithService(s, app, dir) with { TransferTimeoutSeconds = stall, BandwidthLimitKiBps = 4096 })
            with { ActiveDeadlineSeconds = 3600 };
        await using var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config));
        int? sender = null;
        Assert.True(await HostState.EventuallyAsync(() =>
        {
            sender = HostProcesses("rsync", "--sender").FirstOrDefault(pid => Written(pid) > 4 << 20) is var p and > 0 ? p : null;
            return sender is not null || runner.HasExited;
        }, Patience.Progress), runner.Stderr);
        Assert.True(sender is not null, "no sender found before the run ended\n" + runner.Stderr);
        try
        {
            Assert.True(Signals.Send(sender.Value, Signals.SIGSTOP), "SIGSTOP the host's rsync sender");
            var frozen = Stopwatch.StartNew();
            var exit = await runner.WaitForExitAsync(Patience.Progress);
            output.WriteLine($"sender frozen at {Written(sender.Value)} bytes; the run ended {frozen.Elapsed.TotalSeconds:0.0} s later");
            Assert.True(exit == 1, $"exit {exit}\n{runner.Stdout}\n{runner.Stderr}");
            var summary = new RunnerRun(exit.Value, runner.Stdout, runner.Stderr).Summary;
            Assert.Equal([$"app.transferTimeoutSeconds = {stall}"], summary.BoundsFired.ToArray());
            Assert.Contains($"no data arrived from the host for {stall} s", summary.Error);
            Assert.Contains($"(the bound app.transferTimeoutSeconds = {stall} fired)", runner.Stderr);
            Assert.True(frozen.Elapsed >= TimeSpan.FromSeconds(stall), $"the bound fired early: {frozen.Elapsed}");
            Assert.True(FaultTests.Running(dir, "db"), "the services run: the live pass failed before the stop");
            Assert.Empty(summary.ServicesLeftStopped);
        }
        finally
        {
            Signals.Send(sender!.Value, Signals.SIGKILL);
        }
    }

    [Fact]
    public async Task Should_end_a_hook_that_never_returns_after_its_timeoutSeconds_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("hung-hook");
        s.CreateApp(app, dataFiles: 1);
        var config = s.Backup(s.App(app) with
        {
            Hooks = new HooksConfig { Before = [new HookCommand { Run = "sleep 600", TimeoutSeconds = 3 }] },
        }) with { ActiveDeadlineSeconds = 3600 };
        var sw = Stopwatch.StartNew();
        var r = await s.RunAsync(config, "backup");
        output.WriteLine($"the run took {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Equal(["app.hooks.before[0].timeoutSeconds = 3"], r.Summary.BoundsFired.ToArray());
        Assert.Contains("hook before[1]: still running after 3 s (the bound app.hooks.before[0].timeoutSeconds = 3 fired)", r.Summary.Error);
    }

    [Fact]
    public async Task Should_end_a_compose_stop_that_never_returns_after_composeTimeoutSeconds_start_the_services_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("hung-stop", dataFiles: 1);
        // The fake compose takes the service down, then hangs as a stop that never returns does (held until the
        // test releases it, an hour at most).
        FaultTests.HoldStop(dir);
        // The same bound covers the listing, the switch's arm and the start, which must answer within it however
        // loaded the machine is: a test command's patience, not seconds.
        var bound = (int)Patience.Command.TotalSeconds;
        var config = s.Backup(s.App(app) with
        {
            Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = dir, ComposeTimeoutSeconds = bound },
        }) with { ActiveDeadlineSeconds = 3600 };
        var r = await s.RunAsync(config, "backup");
        FaultTests.ReleaseStop(dir);
        Assert.True(r.ExitCode == 1, r.ToString());
        var named = $"app.hooks.composeTimeoutSeconds = {bound.ToString(CultureInfo.InvariantCulture)}";
        Assert.Equal([named], r.Summary.BoundsFired.ToArray());
        Assert.Contains($"compose stop db: still running after {bound.ToString(CultureInfo.InvariantCulture)} s (the bound {named} fired)", r.Summary.Error);
        Assert.True(FaultTests.Running(dir, "db"), "the runner started the service again");
    }

    [Fact]
    public async Task Should_fail_a_backup_whose_rest_repository_stops_answering_after_stallTimeoutSeconds_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var data = s.Dir.Combine("rest-data");
        Directory.CreateDirectory(data);
        await using var server = await RestServer.StartAsync(data, ["kvm-test"], appendOnly: false, privateRepos: true);
        var repo = s.Repo.ToRepositoryConfig() with
        {
            Location = server.Repository("kvm-test"), RestUsername = "kvm-test", RestPasswordFile = server.PasswordFiles["kvm-test"],
            StallTimeoutSeconds = 5,
        };
        var app = HostState.UniqueApp("stalled-repo");
        s.CreateApp(app, dataFiles: 4);
        var init = await s.RunAsync(s.Maintenance(new MaintenanceConfig(), JobKind.Init) with { Repository = repo }, "init");
        Assert.True(init.ExitCode == 0, init + server.Log);
        // The before hook freezes the server once the runner has checked the repository: the backup's requests hang.
        var config = s.Backup(s.App(app) with
        {
            Hooks = new HooksConfig { Before = [new HookCommand { Run = $"kill -STOP {server.Pid.ToString(CultureInfo.InvariantCulture)}" }] },
        }) with { Repository = repo, ActiveDeadlineSeconds = 3600, TerminationGracePeriodSeconds = 20 };
        try
        {
            var sw = Stopwatch.StartNew();
            var r = await s.RunAsync(config, "backup");
            output.WriteLine($"the run took {sw.Elapsed.TotalSeconds:0.0} s");
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Equal(["repository.stallTimeoutSeconds = 5"], r.Summary.BoundsFired.ToArray());
            Assert.Contains("the repository did not answer for 5 s", r.Summary.Error);
            Assert.True(r.Summary.Error!.Contains("request timeout", StringComparison.Ordinal), r.ToString());
        }
        finally
        {
            Signals.Send(server.Pid, Signals.SIGCONT);
        }
    }

    [GeneratedRegex(@"rsync: (?<bytes>\d+) bytes over the wire in (?<seconds>[\d.]+) s")]
    private static partial Regex RsyncRate();

    /// <summary>
    /// rsync's own pacing over loopback: what is tested is that the inventory's limit reaches the host's
    /// sender and holds there; a shaped link would measure the link, not the limit. The rate is the pass's
    /// bytes over its whole time (ssh's start and the file list included), so it can only come out below
    /// what the sender sent at: above the limit plus 20 % it did not hold. Below the limit is not asserted:
    /// a loaded machine slows any pull, which says nothing about the limit. Without the limit the same pull
    /// takes about 2 s here (4 MiB over loopback), far above it.
    /// </summary>
    [Fact]
    public async Task Should_not_pull_faster_than_the_bandwidth_limit_plus_20_percent()
    {
        await using var s = await Scenario.CreateAsync(host);
        const int limit = 256;
        var app = HostState.UniqueApp("bwlimit");
        var dir = s.CreateApp(app, dataFiles: 1);
        WriteRandom(Path.Combine(dir, "data", "big.bin"), 4 << 20, seed: 3);
        var r = await s.RunAsync(s.Backup(s.App(app) with { BandwidthLimitKiBps = limit }), "backup");
        Assert.True(r.ExitCode == 0, r.ToString());
        var pass = RsyncRate().Match(r.Stderr);
        Assert.True(pass.Success, r.Stderr);
        var rate = long.Parse(pass.Groups["bytes"].Value, CultureInfo.InvariantCulture) / 1024.0
            / double.Parse(pass.Groups["seconds"].Value, CultureInfo.InvariantCulture);
        output.WriteLine($"{pass.Value}: {rate:0} KiB/s at a limit of {limit} KiB/s");
        Assert.True(rate <= limit * 1.2, $"{rate:0} KiB/s at a limit of {limit} KiB/s\n{r.Stderr}");
    }
}

/// <summary>
/// The dead man's switch's requests under the compose bound; a class of its own (its own sshd, whose sessions
/// find a `cat` that never returns for the switch's file), so its wait overlaps the other collections'.
/// </summary>
public sealed class SwitchBoundTests(RealHost host) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_fail_a_switch_arm_that_never_answers_after_composeTimeoutSeconds_name_the_bound_and_leave_the_services_running()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("hung-arm", dataFiles: 1);
        // The arm's last step prints the switch file: on this host that read hangs (an hour at most), as on a
        // host whose disk or process table stalls.
        var cat = Path.Combine(host.HostBin, "cat");
        // (It ends when the test removes it: the session it hangs in outlives the runner's ssh.)
        File.WriteAllText(cat, "#!/bin/sh\ncase \"$*\" in *.switch) i=0; while [ -e \"$0\" ] && [ \"$i\" -lt 3600 ]; do sleep 1; i=$((i + 1)); done; exit 1 ;; esac\n" +
            "exec /bin/cat \"$@\"\n");
        File.SetUnixFileMode(cat, (UnixFileMode)Convert.ToInt32("755", 8));
        // The listing before the arm must answer within the same bound however loaded the machine is.
        var bound = (int)Patience.Command.TotalSeconds;
        var config = s.Backup(s.App(app) with
        {
            Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = dir, ComposeTimeoutSeconds = bound },
        }) with { ActiveDeadlineSeconds = 3600 };
        var r = await s.RunAsync(config, "backup");
        File.Delete(cat);

        Assert.True(r.ExitCode == 1, r.ToString());
        var named = $"app.hooks.composeTimeoutSeconds = {bound.ToString(CultureInfo.InvariantCulture)}";
        Assert.Equal([named], r.Summary.BoundsFired.ToArray());
        Assert.Contains($"arming the dead man's switch on host kvm-test: no answer after {bound.ToString(CultureInfo.InvariantCulture)} s; " +
            $"services were not stopped (the bound {named} fired)", r.Summary.Error);
        Assert.True(FaultTests.Running(dir, "db"), "nothing was stopped");
        Assert.DoesNotContain("compose stop", File.ReadAllText(Path.Combine(dir, ".calls")));
        Assert.Empty(r.Summary.ServicesLeftStopped);
        // What the hung arm had written (its marker, its timer) is cancelled: the next run has nothing to recover.
        Assert.Contains("what the failed arm may have left on host kvm-test is cancelled", r.Stderr);
        Assert.False(File.Exists(HostState.StateFile(app, ".stopped")), "no marker of the failed arm is left");
        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Empty(next.Summary.ServicesRecovered);
        Assert.DoesNotContain(next.Summary.Warnings, w => w.Contains("left stopped", StringComparison.Ordinal));
    }
}
