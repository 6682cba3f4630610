using ManifestGen.Contracts;
using ManifestGen.Planning;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The dead man's switch on a host whose PID 1 is systemd (a booted Debian trixie, <see cref="SystemdHost"/>):
/// the real gate, installed from the rendered allow-list and authorized_keys, arms a transient timer with the
/// host's real systemd-run; systemctl shows and stops it; systemd fires it. One boot for the class; it runs
/// beside the other collections (most of its time is spent waiting for a timer).
/// </summary>
public sealed class SystemdSwitchTests(SystemdHost host) : IClassFixture<SystemdHost>
{
    private SystemdContainer Container => host.Container!;

    private async Task<(Scenario S, string Dir, GatedHost Gate)> GatedAppAsync(string name, string services)
    {
        var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp(name, dataFiles: 2);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {name}
                    paths: [{dir}]
                    hooks:
                      stopServices: [{services}]
                      composeDirectory: {dir}
            """);
        return (s, dir, gate);
    }

    internal static AppConfig StoppingDb(Scenario s, string name, string dir)
    {
        File.WriteAllText(Path.Combine(dir, ".running"), "db\n");
        return s.App(name) with { Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = dir } };
    }

    /// <summary>The runner killed while db is stopped; returns the switch the host armed, a waiting systemd timer.</summary>
    internal static async Task<string[]> KillWhileStoppedAsync(SystemdHost host, Scenario s, JobConfig config, string dir, string name)
    {
        await FaultTests.KillWhileStoppedAsync(s, config, dir);
        var timer = host.SwitchFile(name);
        Assert.Equal("systemd", timer[0]);
        Assert.Contains(timer[1] + ".timer", await host.TimersAsync());
        return timer;
    }

    [Fact]
    public async Task The_gate_arms_a_transient_systemd_timer_where_systemd_is_pid_1_that_cancel_and_recover_stop_and_that_fires_unless_cancelled()
    {
        Assert.Equal("systemd", (await host.InsideAsync("cat", "/proc/1/comm")).Trim());
        var name = HostState.UniqueApp("sd-arm");
        var (s, dir, gate) = await GatedAppAsync(name, "db, web");
        await using var _ = s;
        var b = gate.BackupKey;
        var running = Path.Combine(dir, ".running");
        bool Running(string service) => File.Exists(running) && File.ReadAllLines(running).Contains(service);

        // Armed: the gate says which timer, systemd lists it as waiting, the marker names the services.
        var armed = await GateTests.SshAsync(s.Ssh, b, RemoteCommands.GateSwitchArm(name, GatedHost.SwitchBoundSeconds, ["db", "web"]));
        Assert.True(armed.ExitCode == 0, armed.Stderr + gate.Log);
        var timer = armed.Stdout.Trim().Split(' ');
        Assert.Equal("systemd", timer[0]);
        Assert.StartsWith($"manifestgen-restart-{name}-", timer[1]);
        Assert.Equal(timer, host.SwitchFile(name));
        Assert.Contains(timer[1] + ".timer", await host.TimersAsync());
        Assert.Equal("active", (await host.InsideAsync("systemctl", "show", "-P", "ActiveState", timer[1] + ".timer")).Trim());
        Assert.Equal(["db", "web"], RemoteCommands.MarkerServices((await GateTests.SshAsync(s.Ssh, b, RemoteCommands.GateSwitchMarker(name))).Stdout));

        // Cancelled (the runner started the services itself): the timer is gone, and so are the marker and the switch file.
        var cancelled = await GateTests.SshAsync(s.Ssh, b, RemoteCommands.GateSwitchCancel(name));
        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr + gate.Log);
        Assert.DoesNotContain(timer[1], await host.TimersAsync());
        Assert.False(File.Exists(host.StateFile(name, ".stopped")));
        Assert.False(File.Exists(host.StateFile(name, ".switch")));
        Assert.True(Running("db") && Running("web"), "a cancel starts what the marker named (a no-op after a run started them)");
        File.WriteAllText(running, ""); // both down again, so the fire below shows what it starts

        // Armed and not cancelled (the pod is gone): systemd runs the gate's fire after the delay, which starts db.
        var fired = await GateTests.SshAsync(s.Ssh, b, RemoteCommands.GateSwitchArm(name, 2, ["db"]));
        Assert.True(fired.ExitCode == 0, fired.Stderr + gate.Log);
        Assert.StartsWith("systemd ", fired.Stdout);
        Assert.True(await HostState.EventuallyAsync(() => Running("db"), Patience.Progress),
            "systemd's timer started db\n" + gate.Log + await host.InsideAsync("journalctl", "--no-pager", "-n", "50"));
        Assert.True(await HostState.EventuallyAsync(() => !File.Exists(host.StateFile(name, ".stopped")), Patience.Progress), "the fire removes the marker");
        Assert.False(Running("web"), "only the services the switch was armed with are started");
        Assert.Contains($"switch of {name} fired", gate.Log);

        // A previous run's marker: recover starts its services and stops its timer.
        var again = await GateTests.SshAsync(s.Ssh, b, RemoteCommands.GateSwitchArm(name, GatedHost.SwitchBoundSeconds, ["web"]));
        var unit = again.Stdout.Trim().Split(' ')[1];
        Assert.Contains(unit + ".timer", await host.TimersAsync());
        var recovered = await GateTests.SshAsync(s.Ssh, b, RemoteCommands.GateSwitchRecover(name));
        Assert.True(recovered.ExitCode == 0, recovered.Stderr + gate.Log);
        Assert.True(Running("web"));
        Assert.DoesNotContain(unit, await host.TimersAsync());
        Assert.False(File.Exists(host.StateFile(name, ".stopped")));
        Assert.DoesNotContain("refused", gate.Log);
    }

    [Fact]
    public async Task Should_have_systemd_start_the_services_within_the_heartbeats_delay_when_a_gated_runner_is_killed_while_they_are_stopped()
    {
        var name = HostState.UniqueApp("sd-kill");
        var (s, dir, gate) = await GatedAppAsync(name, "db");
        await using var _ = s;
        // An hour's deadline: the heartbeat's delay, not the deadline, decides when systemd starts db (so the
        // time the run takes to reach the stop on a loaded machine does not matter).
        var config = gate.Gated(s.Backup(Heartbeat.WithDelay(StoppingDb(s, name, dir)))) with { ActiveDeadlineSeconds = 3600 };
        await KillWhileStoppedAsync(host, s, config, dir, name);

        Assert.True(await HostState.EventuallyAsync(() => FaultTests.Running(dir, "db"), Heartbeat.Within), "systemd started db within the delay\n" + gate.Log);
        await gate.AssertSwitchFiredAndNextRunSucceedsAsync(s, config, dir, name, host.StateFile(name, ".stopped"));
    }

    [Fact]
    public async Task Should_start_services_a_killed_gated_run_left_stopped_on_the_next_run_and_stop_its_systemd_timer()
    {
        var name = HostState.UniqueApp("sd-next");
        var (s, dir, gate) = await GatedAppAsync(name, "db");
        await using var _ = s;
        var config = gate.Gated(s.Backup(StoppingDb(s, name, dir))) with { ActiveDeadlineSeconds = 3600 };
        var timer = await KillWhileStoppedAsync(host, s, config, dir, name);

        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next + "\n" + gate.Log);
        Assert.Equal(["db"], next.Summary.ServicesRecovered.ToArray());
        Assert.Equal(Outcome.Warning, next.Summary.Outcome);
        Assert.True(FaultTests.Running(dir, "db"));
        Assert.False(File.Exists(host.StateFile(name, ".stopped")));
        Assert.DoesNotContain(timer[1], await host.TimersAsync());
        Assert.NotNull(next.Summary.SnapshotId);
        Assert.DoesNotContain("refused", gate.Log);
    }

    /// <summary>
    /// systemd-run is installed, but no systemd answers: /run/systemd is an empty tmpfs (systemd is not the
    /// init), or it holds a left-over `system` folder without the manager's socket (systemd is gone). The
    /// switch (the gate's, or the runner's own shell text) is armed in a mount namespace of its own on the
    /// same host, so everything else is the same; an ordinary session cancels the sleeper.
    /// </summary>
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public async Task The_switch_falls_back_to_a_detached_sleeper_where_systemd_run_exists_but_systemd_does_not_run(bool staleRuntimeFolder, bool gated)
    {
        var name = HostState.UniqueApp("sd-none");
        var (s, dir, gate) = await GatedAppAsync(name, "db");
        await using var __ = s;
        var allow = Path.Combine(s.Dir.Path, "gate", HostGatePlan.BackupAllowFile);
        var hide = "mount -t tmpfs tmpfs /run/systemd && " + (staleRuntimeFolder ? "mkdir /run/systemd/system && " : "") +
                   "command -v systemd-run >&2 && " + (gated ? "exec bash \"$0\" \"$1\"" : "exec sh -c \"$0\"");
        string[] run = gated
            ? [GatedHost.GateProgram, allow]
            : [RemoteCommands.DeadMansSwitchArm(name, Guid.NewGuid().ToString("N")[..12], dir, ["db"], 600)];
        var r = await Proc.RunAsync(Container.Enter[0],
            [.. Container.Enter.Skip(1), "unshare", "-m", "--propagation", "private", "--", "sh", "-c", hide, .. run],
            Patience.Command, new Dictionary<string, string?>
            {
                ["SSH_ORIGINAL_COMMAND"] = RemoteCommands.GateSwitchArm(name, GatedHost.SwitchBoundSeconds, ["db"]),
                ["PATH"] = host.FakeBin + ":/usr/local/bin:/usr/bin:/bin",
                ["HOME"] = "/root",
                ["SHELL"] = "/bin/sh",
            });
        Assert.True(r.ExitCode == 0, r.Stderr + gate.Log);
        Assert.Contains("/systemd-run", r.Stderr);
        var timer = r.Stdout.Trim().Split(' ');
        Assert.Equal("nohup", timer[0]);
        Assert.Equal(timer, host.SwitchFile(name));
        Assert.DoesNotContain($"manifestgen-restart-{name}", await host.TimersAsync());
        // The sleeper's pid is the host's (the container's PID namespace); its /proc is the container's.
        var sleeper = Container.HostPath("/proc/" + timer[1]);
        Assert.True(Directory.Exists(sleeper), "the sleeper waits on the host");

        var cancelled = gated
            ? await GateTests.SshAsync(s.Ssh, gate.BackupKey, RemoteCommands.GateSwitchCancel(name))
            : await GateTests.SshAsync(s.Ssh, s.Ssh.IdentityFile, RemoteCommands.DeadMansSwitchDisarm(name));
        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr + gate.Log);
        Assert.True(await HostState.EventuallyAsync(() => !Directory.Exists(sleeper), Patience.Progress), "the cancelled sleeper is gone");
        Assert.False(File.Exists(host.StateFile(name, ".stopped")));
    }
}

/// <summary>
/// The runner's own switch (no gate: the shell text of <see cref="RemoteCommands.DeadMansSwitchArm"/>) on a
/// host whose PID 1 is systemd. A class of its own, with its own boot, so its wait for the timer runs beside
/// the gate's.
/// </summary>
public sealed class SystemdRunnerSwitchTests(SystemdHost host) : IClassFixture<SystemdHost>
{
    [Fact]
    public async Task Should_have_systemd_start_the_services_within_the_heartbeats_delay_when_an_ungated_runner_is_killed_while_they_are_stopped()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = HostState.UniqueApp("sd-open");
        var dir = s.CreateApp(name, dataFiles: 2);
        // The runner's own switch (no gate): the same systemd-run, sent as shell text by the runner; an hour's
        // deadline, so the heartbeat's delay decides when systemd acts.
        var config = s.Backup(Heartbeat.WithDelay(SystemdSwitchTests.StoppingDb(s, name, dir))) with { ActiveDeadlineSeconds = 3600 };
        await SystemdSwitchTests.KillWhileStoppedAsync(host, s, config, dir, name);

        Assert.True(await HostState.EventuallyAsync(() => FaultTests.Running(dir, "db"), Heartbeat.Within),
            "systemd started db again\n" + await host.InsideAsync("journalctl", "--no-pager", "-n", "50"));
        Assert.True(await HostState.EventuallyAsync(() => !File.Exists(host.StateFile(name, ".stopped")), Patience.Progress), "the fire removes its marker");
        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Empty(next.Summary.ServicesRecovered);
    }
}
