using System.Diagnostics;
using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The dead man's switch on a host that runs atd (Debian's `at`) and no systemd: a real atd of the test
/// host's own (a private mount and PID namespace with its own spool), real `at`, `atq` and `atrm`.
/// Its own class fixture, so it runs beside the other collections: waiting for atd takes up to two minutes.
/// </summary>
public sealed class AtSwitchTests(RealHost host) : IClassFixture<RealHost>
{
    private static string StateFile(string app, string suffix) => HostState.StateFile(app, suffix);

    private static bool Running(string dir) =>
        File.Exists(Path.Combine(dir, ".running")) && File.ReadAllLines(Path.Combine(dir, ".running")).Contains("db");

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan bound)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < bound)
        {
            if (await condition()) return true;
            await Task.Delay(500);
        }
        return await condition();
    }

    private static async Task<string> AtqAsync(SshHost sshd)
    {
        var r = await Proc.RunAsync("ssh", [.. sshd.SshArgs(), "atq"], Patience.Command);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout;
    }

    [Fact]
    public async Task Should_arm_an_at_job_cancel_it_after_a_clean_run_and_have_atd_start_the_services_when_the_runner_is_killed()
    {
        await using var sshd = await SshHost.StartAsync(new SshHostOptions { ExtraPath = [host.FakeBin], AtDaemon = true });
        await using var s = await Scenario.CreateAsync(host);
        var app = "dms-at-" + Guid.NewGuid().ToString("N")[..8];
        var dir = s.CreateApp(app, dataFiles: 2);
        File.WriteAllText(Path.Combine(dir, ".running"), "db\n");
        // The heartbeat's delay under an hour's deadline: at gets a minute more than the delay rounded up (so it
        // never fires early); renewals replace the job until the runner is killed.
        var config = s.Backup(Heartbeat.WithDelay(s.App(app) with { Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = dir } })) with
        {
            Host = sshd.ToHostConfig(s.HostName),
            ActiveDeadlineSeconds = 3600,
            TerminationGracePeriodSeconds = 20,
        };
        Assert.Equal("", await AtqAsync(sshd));

        // A clean run: the at job is queued before the stop and removed (atrm) when the runner starts db itself.
        var clean = await s.RunAsync(config, "backup");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("dead man's switch armed on host kvm-test (at ", clean.Stderr);
        Assert.Contains("dead man's switch cancelled", clean.Stderr);
        Assert.Equal("", await AtqAsync(sshd));
        Assert.True(Running(dir));

        // Killed while db is stopped: atd runs the job and starts db, and the marker goes.
        FaultTests.HoldStop(dir);
        await using (var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config)))
        {
            Assert.True(await EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(dir, ".stopped-now")) || runner.HasExited), Patience.Progress), runner.Stderr);
            Assert.False(runner.HasExited, runner.Stderr);
            await runner.KillTreeAsync();
        }
        FaultTests.ReleaseStop(dir);
        Assert.False(Running(dir));
        var sw = File.ReadAllText(StateFile(app, ".switch")).Split(' ', StringSplitOptions.TrimEntries);
        Assert.Equal("at", sw[0]);
        Assert.StartsWith(sw[1] + "\t", await AtqAsync(sshd));

        Assert.True(await EventuallyAsync(() => Task.FromResult(Running(dir)), Heartbeat.Within), "atd started db again");
        Assert.True(await EventuallyAsync(async () => !File.Exists(StateFile(app, ".stopped")) && await AtqAsync(sshd) == "", Patience.Progress),
            "the job removed the marker and is done");
        // (A long deadline: the next run must finish on its own, however loaded the machine is.)
        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Empty(next.Summary.ServicesRecovered);
    }
}
