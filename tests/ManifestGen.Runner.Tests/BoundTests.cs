using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Testing;
using Xunit.Abstractions;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// Every wait of a backup bounded by the setting that names it, with real processes frozen or hung: a hook
/// that never ends here; the host's rsync sender SIGSTOPped mid-transfer, a `compose stop` that never ends, a
/// REST repository server SIGSTOPped and a switch arm that never answers in the classes below; and the
/// bandwidth limit measured.
/// <para>
/// Each bound is a test command's patience (<see cref="Patience.Command"/>), never seconds: the same setting
/// also bounds the working steps before the fault (the connection's start, the listing, the repository's
/// first requests), which a loaded machine stretches past any small figure. So each such test waits minutes,
/// and each has a class of its own (its own sshd), so that those waits overlap.
/// </para>
/// </summary>
public sealed partial class BoundTests(RealHost host, ITestOutputHelper output) : IClassFixture<RealHost>
{
    /// <summary>The fixture's sshd's processes named <paramref name="comm"/> whose command line holds <paramref name="word"/>.</summary>
    internal static IEnumerable<int> HostProcesses(RealHost host, string comm, string word) =>
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

    internal static long Written(int pid)
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

    internal static void WriteRandom(string path, int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    [Fact]
    public async Task Should_end_a_hook_that_never_returns_after_its_timeoutSeconds_name_the_bound_and_keep_its_output_in_the_log()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("hung-hook");
        s.CreateApp(app, dataFiles: 1);
        var bound = (int)Patience.Command.TotalSeconds;
        var config = s.Backup(s.App(app) with
        {
            Hooks = new HooksConfig { Before = [new HookCommand { Run = "echo dumping; sleep 3600", TimeoutSeconds = bound }] },
        }) with { ActiveDeadlineSeconds = 3600 };
        var sw = Stopwatch.StartNew();
        var r = await s.RunAsync(config, "backup");
        output.WriteLine($"the run took {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.True(r.ExitCode == 1, r.ToString());
        var b = bound.ToString(CultureInfo.InvariantCulture);
        Assert.Equal([$"app.hooks.before[0].timeoutSeconds = {b}"], r.Summary.BoundsFired.ToArray());
        Assert.Contains($"hook before[1]: still running after {b} s (the bound app.hooks.before[0].timeoutSeconds = {b} fired)", r.Summary.Error);
        // What the hook printed before it hung is in the log: what an operator reads to see where it stood.
        Assert.Contains("[hook before[1]] dumping", r.Stderr);
        Assert.Empty(await s.Repo.SnapshotsAsync());
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

/// <summary>The transfer bound: the host's rsync sender frozen mid-transfer. A class of its own (see <see cref="BoundTests"/>).</summary>
public sealed class TransferStallBoundTests(RealHost host, ITestOutputHelper output) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_fail_a_transfer_whose_sender_freezes_after_transferTimeoutSeconds_leave_the_services_running_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (app, dir) = s.CreateAppWithRunningDb("frozen", dataFiles: 2);
        // 96 MiB at 4 MiB/s: the live pass (services running) is still sending it when the sender is frozen.
        // The bound is the same watchdog in the pass under the stop; a hung stop is BoundTests' compose case.
        // rsync's own --timeout (the same setting) also counts the connection's quiet start, which a loaded
        // machine stretches (ssh, the gate, the sandbox, the file list) past any small figure.
        BoundTests.WriteRandom(Path.Combine(dir, "data", "big.bin"), 96 << 20, seed: 7);
        var stall = (int)Patience.Command.TotalSeconds;
        var config = s.Backup(FaultTests.WithService(s, app, dir) with { TransferTimeoutSeconds = stall, BandwidthLimitKiBps = 4096 })
            with { ActiveDeadlineSeconds = 3600 };
        await using var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config));
        int? sender = null;
        Assert.True(await HostState.EventuallyAsync(() =>
        {
            sender = BoundTests.HostProcesses(host, "rsync", "--sender").FirstOrDefault(pid => BoundTests.Written(pid) > 4 << 20) is var p and > 0 ? p : null;
            return sender is not null || runner.HasExited;
        }, Patience.Progress), runner.Stderr);
        Assert.True(sender is not null, "no sender found before the run ended\n" + runner.Stderr);
        try
        {
            Assert.True(Signals.Send(sender.Value, Signals.SIGSTOP), "SIGSTOP the host's rsync sender");
            var frozen = Stopwatch.StartNew();
            var exit = await runner.WaitForExitAsync(Patience.Progress);
            output.WriteLine($"sender frozen at {BoundTests.Written(sender.Value)} bytes; the run ended {frozen.Elapsed.TotalSeconds:0.0} s later");
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
}

/// <summary>The compose bound: a `compose stop` that never returns. A class of its own (see <see cref="BoundTests"/>).</summary>
public sealed class ComposeStopBoundTests(RealHost host) : IClassFixture<RealHost>
{
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
}

/// <summary>The repository bound: a REST server frozen under a backup. A class of its own (see <see cref="BoundTests"/>).</summary>
public sealed class RepositoryStallBoundTests(RealHost host, ITestOutputHelper output) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_fail_a_backup_whose_rest_repository_stops_answering_after_stallTimeoutSeconds_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var data = s.Dir.Combine("rest-data");
        Directory.CreateDirectory(data);
        // The same bound covers the repository's requests before the freeze (the check, the snapshot listing).
        var stall = (int)Patience.Command.TotalSeconds;
        var b = stall.ToString(CultureInfo.InvariantCulture);
        await using var server = await RestServer.StartAsync(data, ["kvm-test"], appendOnly: false, privateRepos: true);
        var repo = s.Repo.ToRepositoryConfig() with
        {
            Location = server.Repository("kvm-test"), RestUsername = "kvm-test", RestPasswordFile = server.PasswordFiles["kvm-test"],
            StallTimeoutSeconds = stall,
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
            Assert.Equal([$"repository.stallTimeoutSeconds = {b}"], r.Summary.BoundsFired.ToArray());
            Assert.Contains($"the repository did not answer for {b} s", r.Summary.Error);
            Assert.True(r.Summary.Error!.Contains("request timeout", StringComparison.Ordinal), r.ToString());
        }
        finally
        {
            Signals.Send(server.Pid, Signals.SIGCONT);
        }
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
        // The arm's last step prints the switch file: on this host that read hangs.
        var cat = host.HangingProgram("cat", "*.switch", "/bin/cat");
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

/// <summary>
/// The runner's own requests under the host's request bound; a class of its own (its own sshd, whose sessions
/// find a `find` that never returns for the file-state listing), so its wait overlaps the other collections'.
/// </summary>
public sealed class RequestBoundTests(RealHost host) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_fail_a_file_state_listing_that_never_answers_after_requestTimeoutSeconds_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("hung-listing");
        var dir = s.CreateApp(app, dataFiles: 1);
        // The listing before the first rsync pass hangs.
        var find = host.HangingProgram("find", "*-printf*", "/usr/bin/find");
        // The path check before it must answer within the same bound however loaded the machine is.
        var bound = (int)Patience.Command.TotalSeconds;
        var config = s.Backup(s.App(app));
        config = config with { Host = config.Host! with { RequestTimeoutSeconds = bound } };
        var r = await s.RunAsync(config, "backup");
        File.Delete(find);

        Assert.True(r.ExitCode == 1, r.ToString());
        var b = bound.ToString(CultureInfo.InvariantCulture);
        Assert.Equal([$"host.requestTimeoutSeconds = {b}"], r.Summary.BoundsFired.ToArray());
        Assert.Contains($"listing the file states of {dir} on host kvm-test: no answer after {b} s (the bound host.requestTimeoutSeconds = {b} fired)",
            r.Summary.Error);
        Assert.Empty(await s.Repo.SnapshotsAsync());
        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
    }
}

/// <summary>
/// A restore's push to a host whose receiving rsync never answers; a class of its own (its own sshd, whose
/// sessions find an `rsync` that hangs as a server), so its wait overlaps the other collections'.
/// </summary>
public sealed class RestorePushBoundTests(RealHost host) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_fail_a_restore_whose_host_receiver_never_answers_after_transferTimeoutSeconds_and_name_the_bound()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("hung-push");
        var dir = s.CreateApp(app, dataFiles: 1);
        var bound = (int)Patience.Command.TotalSeconds;
        var config = s.Backup(s.App(app) with { TransferTimeoutSeconds = bound });
        var backup = await s.RunAsync(config, "backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var conf = Path.Combine(dir, "app.conf");
        File.Delete(conf);
        // From now on the host's rsync hangs as a server (a receiver on a disk that stalls): the push gets no answer.
        var rsync = host.HangingProgram("rsync", "*--server*", "/usr/bin/rsync");
        var r = await s.RunAsync(config, "restore", "--path", conf, "--to-host");
        File.Delete(rsync);

        Assert.True(r.ExitCode == 1, r.ToString());
        var b = bound.ToString(CultureInfo.InvariantCulture);
        Assert.Equal([$"app.transferTimeoutSeconds = {b}"], r.Summary.BoundsFired.ToArray());
        Assert.Contains($"rsync of {conf}: the host took no data for {b} s (a frozen receiver) (the bound app.transferTimeoutSeconds = {b} fired)", r.Summary.Error);
        Assert.False(File.Exists(conf), "nothing was written");
        // The same restore goes through once the host answers again.
        var again = await s.RunAsync(config, "restore", "--path", conf, "--to-host");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.True(File.Exists(conf));
    }
}
