using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Pipeline;
using ManifestGen.Planning;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// A host whose keys go through the gate exactly as the generator renders it: an inventory with
/// <c>hostGate</c> is rendered by the real generator, its allow-lists are installed in a folder and its
/// authorized_keys lines (restrict, from=, command= the real host/manifestgen-gate) in the real sshd.
/// </summary>
public sealed class GatedHost
{
    public required string BackupKey { get; init; }
    public required string RestoreKey { get; init; }
    public required string LogFile { get; init; }
    public required ImmutableDictionary<string, string> Files { get; init; }
    /// <summary>The installed restore allow-list (the one `open-restore` reads).</summary>
    public required string RestoreAllowList { get; init; }

    /// <summary>The checkout (<see cref="RepoPaths.Root"/>; kept for the tests that call it).</summary>
    public static string RepoRoot() => RepoPaths.Root;

    public static string GateProgram => Path.Combine(RepoRoot(), "host", "manifestgen-gate");

    /// <summary>The apps' activeDeadlineSeconds in the rendered inventory (the job configurations say the same).</summary>
    public const int DeadlineSeconds = 7200;

    /// <summary>The switch's total bound the allow-list states: the deadline plus the default grace period.</summary>
    public const int SwitchTotalSeconds = DeadlineSeconds + ShutdownBudget.DefaultGracePeriodSeconds;

    /// <summary>The longest delay an arm or renewal may ask for: the default switch delay.</summary>
    public const int SwitchBoundSeconds = HooksConfig.DefaultSwitchDelaySeconds;

    /// <summary>Renders <paramref name="appsYaml"/> (the host's `apps:` items) and installs the result.</summary>
    public static async Task<GatedHost> InstallAsync(Scenario s, string appsYaml, bool coverage = false)
    {
        var ssh = s.Ssh;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var backupKey = await ssh.NewClientKeyAsync("backup-" + tag);
        var restoreKey = await ssh.NewClientKeyAsync("restore-" + tag);
        var gateDir = s.Dir.Combine("gate");
        Directory.CreateDirectory(gateDir);
        var log = Path.Combine(gateDir, "gate.log");
        // Restore windows in the scenario's own folder (root's, as the gate requires), not the machine's /run.
        var windows = Path.Combine(gateDir, "windows");
        var hostKey = string.Join(' ', ssh.HostPublicKey.Split(' ').Take(2));
        var yaml = $"""
            namespace: backup-gate-test
            gitOps:
              repoURL: https://git.example.org/platform/backup-gitops.git
            image:
              repository: registry.example.org/platform/manifestgen-runner
              tag: "1.4.2"
              digest: sha256:5f0d3c1e8a9b7d6c4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d
            repository:
              passwordSecret:
                name: restic-repository
              storage:
                local:
                  path: /var/lib/manifestgen/restic
                  node: lab-node-1
              capacity: 1Gi
              storageClassName: manifestgen-local
              accessModes: [ReadWriteOnce]
            defaults:
              # A fixed hour clear of the maintenance jobs' windows (app names are random, so H would vary).
              schedule: "0 1 * * *"
              activeDeadlineSeconds: {DeadlineSeconds.ToString(CultureInfo.InvariantCulture)}
            hostGate:
              sourceRanges: [127.0.0.1/32]
              program: {GateProgram}
              configDirectory: {gateDir}
              logFile: {log}
              # The gate runs as root here: the distribution's bwrap is privileged for it.
              sandboxProgram: /usr/bin/bwrap
              restoreWindowDirectory: {windows}
            hosts:
              - name: {s.HostName}
                address: {ssh.Address}
                port: {ssh.Port.ToString(CultureInfo.InvariantCulture)}
                user: {ssh.User}
                hostKeys: ["{hostKey}"]
                sshKeySecret:
                  name: ssh-{s.HostName}
                backupPublicKey: {(await File.ReadAllTextAsync(backupKey + ".pub")).Trim()}
                restorePublicKey: {(await File.ReadAllTextAsync(restoreKey + ".pub")).Trim()}
                coverage: {(coverage ? "true" : "false")}
                apps:
            {appsYaml}
            """;
        var root = s.Dir.Combine("inventory");
        Directory.CreateDirectory(Path.Combine(root, "values"));
        var envFile = Path.Combine(root, "values", "gate.yaml");
        await File.WriteAllTextAsync(envFile, yaml);
        var generator = new Generator(new GeneratorPaths(root) { Templates = Path.Combine(RepoRoot(), "templates") });
        var generation = generator.Generate(new GenerationRequest("gate"));
        Assert.False(generation.HasErrors, string.Join('\n', generation.Diagnostics.Select(d => d.ToString())));
        var result = Assert.Single(generation.Environments);
        var prefix = $"gate/{HostGatePlan.Folder}/{s.HostName}/";
        var files = result.Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal))
            .ToImmutableDictionary(f => f.Path[prefix.Length..], f => f.Content);
        await File.WriteAllTextAsync(Path.Combine(gateDir, HostGatePlan.BackupAllowFile), files[HostGatePlan.BackupAllowFile]);
        await File.WriteAllTextAsync(Path.Combine(gateDir, HostGatePlan.RestoreAllowFile), files[HostGatePlan.RestoreAllowFile]);
        await ssh.AuthorizeAsync(files[HostGatePlan.AuthorizedKeysFile]);
        // The versions the job configurations carry: read from one rendered configuration.
        var configMap = result.Files.First(f => f.Path.Contains("/manifests/configmap-backup-", StringComparison.Ordinal)).Content;
        var json = string.Join('\n', configMap.Split('\n').SkipWhile(l => l.Trim() != "job.json: |").Skip(1)
            .TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)).Select(l => l[4..]));
        var config = JobConfigJson.Deserialize(json, "rendered job.json");
        return new GatedHost
        {
            BackupKey = backupKey, RestoreKey = restoreKey, LogFile = log, Files = files,
            RestoreAllowList = Path.Combine(gateDir, HostGatePlan.RestoreAllowFile),
            BackupAllowList = Path.Combine(gateDir, HostGatePlan.BackupAllowFile),
            AllowLists = config.Host!.AllowLists!,
        };
    }

    /// <summary>What a person on the host does before a restore: `manifestgen-gate open-restore APP DURATION` as root.</summary>
    public async Task OpenRestoreWindowAsync(string app, string duration = "1h")
    {
        var r = await Proc.RunAsync("bash", [GateProgram, "open-restore", app, duration, RestoreAllowList], Patience.Command);
        Assert.True(r.ExitCode == 0, $"open-restore {app}: exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
    }

    /// <summary>
    /// The configuration as the generator renders it for this host: the key of the command, gated, and the
    /// versions of the rendered allow-lists (which the runner sends first).
    /// </summary>
    public JobConfig Gated(JobConfig config, bool restore = false) => config with
    {
        ActiveDeadlineSeconds = DeadlineSeconds,
        Host = config.Host! with { IdentityFile = restore ? RestoreKey : BackupKey, Gated = true, AllowLists = AllowLists },
    };

    /// <summary>The allow-lists as the rendered job configurations name them.</summary>
    public required GateAllowLists AllowLists { get; init; }

    /// <summary>Where the gate reads the backup key's allow-list (a test replaces it with a stale one).</summary>
    public required string BackupAllowList { get; init; }

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    /// <summary>
    /// After a gated run with db stopped was killed: the gate's switch (whichever timer the host has)
    /// starts db again and removes <paramref name="marker"/>, and the next gated run succeeds with nothing
    /// to recover (its own deadline long enough for a loaded machine).
    /// </summary>
    public async Task AssertSwitchFiredAndNextRunSucceedsAsync(Scenario s, JobConfig config, string dir, string name, string marker)
    {
        Assert.True(await HostState.EventuallyAsync(() => FaultTests.Running(dir, "db"), Heartbeat.Within), "the switch started db again\n" + Log);
        Assert.True(await HostState.EventuallyAsync(() => !File.Exists(marker), Patience.Progress), "the switch removes its marker");
        Assert.Contains($"switch of {name} fired", Log);
        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next + "\n" + Log);
        Assert.Empty(next.Summary.ServicesRecovered);
        Assert.DoesNotContain("refused", Log);
    }
}

[Collection(GateHostCollection.Name)]
public sealed class GateTests(RealHost host)
{
    private static string Yaml(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";


    [Fact]
    public async Task I_can_back_up_with_rsync_hooks_a_dump_and_the_dead_mans_switch_drill_and_restore_to_the_host_through_the_rendered_gate()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = HostState.UniqueApp("shop");
        var dir = s.CreateApp(name);
        await File.WriteAllTextAsync(Path.Combine(dir, ".running"), "db\nweb\n");
        var hook = $"echo hook-ran > {dir}/hook.txt";
        var dump = $"cat {dir}/app.conf";
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {name}
                    paths: [{dir}]
                    strategy: rsync
                    hooks:
                      before: [{Yaml(hook)}]
                      stopServices: [db]
                      composeDirectory: {dir}
                      dumps:
                        - name: conf
                          command: {Yaml(dump)}
                          fileName: app.conf.dump
                          timeoutSeconds: 600
            """);
        Assert.Contains($"switch\t{name}\t{dir}\t{GatedHost.SwitchBoundSeconds.ToString(CultureInfo.InvariantCulture)}\t{GatedHost.SwitchTotalSeconds.ToString(CultureInfo.InvariantCulture)}\n", gate.Files[HostGatePlan.BackupAllowFile]);
        var app = s.App(name) with
        {
            Hooks = new HooksConfig
            {
                Before = [new HookCommand { Run = hook }], StopServices = ["db"], ComposeDirectory = dir,
                Dumps = [new DumpStream { Name = "conf", Command = dump, FileName = "app.conf.dump" }],
            },
        };
        var backup = await s.RunAsync(gate.Gated(s.Backup(app)), "backup");
        Assert.True(backup.ExitCode == 0, backup + "\ngate log:\n" + gate.Log);
        Assert.Single(backup.Summary.DumpSnapshotIds);
        Assert.Equal("hook-ran\n", await File.ReadAllTextAsync(Path.Combine(dir, "hook.txt")));
        var calls = await File.ReadAllTextAsync(Path.Combine(dir, ".calls"));
        Assert.Contains("compose stop db", calls);
        Assert.Contains("compose start db", calls);
        // The gate armed the switch before the stop and cancelled it after the start: no marker is left.
        Assert.Contains("dead man's switch armed", backup.Stderr);
        Assert.Contains($"switch of {name} armed", gate.Log);
        Assert.Contains($"switch of {name} cancelled", gate.Log);
        Assert.False(File.Exists(HostState.StateFile(name, ".stopped")), "the marker is removed");
        Assert.DoesNotContain("refused", gate.Log);

        // The restore drill's size/time and SHA-256 requests pass for the app's files.
        var drill = await s.RunAsync(gate.Gated(s.Backup(app)), "drill");
        Assert.True(drill.ExitCode == 0, drill + "\ngate log:\n" + gate.Log);
        Assert.True(drill.Summary.FilesRestored > 0, drill.ToString());
        Assert.Contains("drill: SHA-256 of", gate.Log);

        // The restore key writes the app's files back; the backup key could not (see the refusals test).
        var conf = Path.Combine(dir, "app.conf");
        await File.WriteAllTextAsync(conf, "damaged\n");
        var closed = await s.RunAsync(gate.Gated(s.Backup(app), restore: true), "restore", "--path", conf, "--to-host", "--force");
        Assert.True(closed.ExitCode != 0, "a restore without an open window: " + closed);
        Assert.Contains("no restore window is open for", gate.Log);
        Assert.Equal("damaged\n", await File.ReadAllTextAsync(conf));
        await gate.OpenRestoreWindowAsync(name);
        var logged = gate.Log.Length;
        var restore = await s.RunAsync(gate.Gated(s.Backup(app), restore: true), "restore", "--path", conf, "--to-host", "--force");
        Assert.True(restore.ExitCode == 0, restore + "\ngate log:\n" + gate.Log);
        Assert.Equal($"name = {name}\nport = 8080\n", await File.ReadAllTextAsync(conf));
        Assert.DoesNotContain("refused", gate.Log[logged..]);
        Assert.Contains("moved into place", gate.Log[logged..]);
    }

    /// <summary>An app whose folder is also its compose folder, with db and web to stop, behind the rendered gate.</summary>
    private static async Task<(string Dir, GatedHost Gate)> InstallWithTwoServicesAsync(Scenario s, string name)
    {
        var dir = s.CreateApp(name, dataFiles: 1);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {name}
                    paths: [{dir}]
                    hooks:
                      stopServices: [db, web]
                      composeDirectory: {dir}
            """);
        return (dir, gate);
    }

    [Fact]
    public async Task The_gate_arms_the_dead_mans_switch_which_starts_the_listed_services_unless_cancelled()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = HostState.UniqueApp("dms");
        var (dir, gate) = await InstallWithTwoServicesAsync(s, name);
        var ssh = host.Ssh;
        var b = gate.BackupKey;
        var running = Path.Combine(dir, ".running");
        bool Running(string service) => File.Exists(running) && File.ReadAllLines(running).Contains(service);

        // Armed and cancelled: the marker names the services, the cancel removes it and the timer with it.
        var armed = await SshAsync(ssh, b, RemoteCommands.GateSwitchArm(name, GatedHost.SwitchBoundSeconds, ["db", "web"]));
        Assert.True(armed.ExitCode == 0, armed.Stderr + gate.Log);
        var marker = await SshAsync(ssh, b, RemoteCommands.GateSwitchMarker(name));
        Assert.Equal(["db", "web"], RemoteCommands.MarkerServices(marker.Stdout));
        var timer = armed.Stdout.Trim().Split(' ');
        var cancelled = await SshAsync(ssh, b, RemoteCommands.GateSwitchCancel(name));
        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr);
        Assert.False(File.Exists(HostState.StateFile(name, ".stopped")));
        Assert.Equal("", (await SshAsync(ssh, b, RemoteCommands.GateSwitchMarker(name))).Stdout);
        if (timer[0] == "nohup")
            Assert.True(await HostState.EventuallyAsync(() => !Directory.Exists("/proc/" + timer[1]), Patience.Progress), "the cancelled sleeper is gone");
        Assert.True(Running("db") && Running("web"), "a cancel starts what the marker named (a no-op after a run started them)");
        File.WriteAllText(running, ""); // both down again, so the fire below shows what it starts

        // Armed and not cancelled (the pod is gone): the gate's timer starts db after the delay.
        Assert.Equal(0, (await SshAsync(ssh, b, RemoteCommands.GateSwitchArm(name, 2, ["db"]))).ExitCode);
        Assert.True(await HostState.EventuallyAsync(() => Running("db"), Patience.Progress), "the switch started db\n" + gate.Log);
        Assert.True(await HostState.EventuallyAsync(() => !File.Exists(HostState.StateFile(name, ".stopped")), Patience.Progress), "the switch removes its marker");
        Assert.False(Running("web"), "only the services the switch was armed with are started");
        Assert.Contains($"switch of {name} fired", gate.Log);

        // A previous run's marker: recover starts its services and clears it.
        Assert.Equal(0, (await SshAsync(ssh, b, RemoteCommands.GateSwitchArm(name, GatedHost.SwitchBoundSeconds, ["web"]))).ExitCode);
        var recovered = await SshAsync(ssh, b, RemoteCommands.GateSwitchRecover(name));
        Assert.True(recovered.ExitCode == 0, recovered.Stderr + gate.Log);
        Assert.True(Running("web"));
        Assert.False(File.Exists(HostState.StateFile(name, ".stopped")));
        Assert.DoesNotContain("refused", gate.Log);
    }

    [Fact]
    public async Task Should_not_let_the_backup_key_stop_services_without_an_armed_switch_or_cancel_one_over_services_it_stopped()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = HostState.UniqueApp("dmsdown");
        var (dir, gate) = await InstallWithTwoServicesAsync(s, name);
        var b = gate.BackupKey;
        File.WriteAllText(Path.Combine(dir, ".running"), "db\nweb\n");

        // A key holder's way to keep the services down for good: stop them with no switch armed, or arm,
        // stop and cancel (the switch that would have started them is gone).
        AssertRefused(await SshAsync(host.Ssh, b, RemoteCommands.ComposeStop(dir, ["db"])), "a stop with no switch armed");
        Assert.True(FaultTests.Running(dir, "db"));
        Assert.Equal(0, (await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchArm(name, GatedHost.SwitchBoundSeconds, ["web"]))).ExitCode);
        AssertRefused(await SshAsync(host.Ssh, b, RemoteCommands.ComposeStop(dir, ["db", "web"])), "a stop of a service the armed switch does not name");
        Assert.True(FaultTests.Running(dir, "db"));

        Assert.Equal(0, (await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchArm(name, GatedHost.SwitchBoundSeconds, ["db", "web"]))).ExitCode);
        var stopped = await SshAsync(host.Ssh, b, RemoteCommands.ComposeStop(dir, ["db", "web"]));
        Assert.True(stopped.ExitCode == 0, stopped.Stderr + gate.Log);
        Assert.False(FaultTests.Running(dir, "db") || FaultTests.Running(dir, "web"), "the runner's stop under its switch works");
        var cancelled = await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchCancel(name));
        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr + gate.Log);
        Assert.True(FaultTests.Running(dir, "db") && FaultTests.Running(dir, "web"), "the cancel started the services the switch named\n" + gate.Log);
        Assert.False(File.Exists(HostState.StateFile(name, ".stopped")));
    }

    [Fact]
    public async Task Should_renew_the_switch_within_the_listed_delay_and_never_past_the_total_bound_from_the_stop()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = HostState.UniqueApp("renew");
        var dir = s.CreateApp(name, dataFiles: 1);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {name}
                    paths: [{dir}]
                    hooks:
                      stopServices: [db]
                      composeDirectory: {dir}
            """);
        var b = gate.BackupKey;
        var inv = CultureInfo.InvariantCulture;
        AssertRefused(await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchRenew(name, 60)), "a renewal with nothing armed");
        Assert.Equal(0, (await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchArm(name, 60, ["db"]))).ExitCode);
        var first = File.ReadAllText(HostState.StateFile(name, ".switch"));
        var renewed = await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchRenew(name, GatedHost.SwitchBoundSeconds));
        Assert.True(renewed.ExitCode == 0, renewed.Stderr + gate.Log);
        Assert.EndsWith(" " + GatedHost.SwitchBoundSeconds.ToString(inv), renewed.Stdout.Trim());
        Assert.NotEqual(first, File.ReadAllText(HostState.StateFile(name, ".switch")));
        AssertRefused(await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchRenew(name, GatedHost.SwitchBoundSeconds + 1)), "a renewal over the listed delay");
        // Arming again while the marker is there keeps its stop time.
        var marker = HostState.StateFile(name, ".stopped");
        var since = File.ReadAllLines(marker).Single(l => l.StartsWith("# since: ", StringComparison.Ordinal));
        Assert.Equal(0, (await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchArm(name, 60, ["db"]))).ExitCode);
        Assert.Contains(since, File.ReadAllLines(marker));

        // The services stopped long ago (the marker's stop time moved back): a renewal is shortened to what is
        // left of the total, then refused once the total is spent, however often the key asks.
        void StoppedSecondsAgo(long seconds) => File.WriteAllLines(marker, File.ReadAllLines(marker)
            .Select(l => l.StartsWith("# since: ", StringComparison.Ordinal) ? "# since: " + (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds).ToString(inv) : l));
        StoppedSecondsAgo(GatedHost.SwitchTotalSeconds - 30);
        var shortened = await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchRenew(name, GatedHost.SwitchBoundSeconds));
        Assert.True(shortened.ExitCode == 0, shortened.Stderr + gate.Log);
        Assert.InRange(int.Parse(shortened.Stdout.Trim().Split(' ')[^1], inv), 1, 30);
        StoppedSecondsAgo(GatedHost.SwitchTotalSeconds + 1);
        for (var i = 0; i < 3; i++)
            AssertRefused(await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchRenew(name, 60)), "a renewal past the total bound");
        Assert.Equal(0, (await SshAsync(host.Ssh, b, RemoteCommands.GateSwitchCancel(name))).ExitCode);
    }

    [Fact]
    public async Task Should_refuse_a_switch_for_another_app_an_unlisted_service_an_out_of_bound_delay_or_an_injection()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = HostState.UniqueApp("dmsref");
        var dir = s.CreateApp(name, dataFiles: 1);
        var other = s.CreateApp(HostState.UniqueApp("other"), dataFiles: 1);
        var pwned = s.Dir.Combine("pwned");
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {name}
                    paths: [{dir}]
                    hooks:
                      stopServices: [db]
                      composeDirectory: {dir}
            """);
        var bound = GatedHost.SwitchBoundSeconds;
        var inv = CultureInfo.InvariantCulture;
        var refused = new Dictionary<string, string>
        {
            ["another app"] = RemoteCommands.GateSwitchArm(Path.GetFileName(other), 60, ["db"]),
            ["an unlisted service"] = RemoteCommands.GateSwitchArm(name, 60, ["web"]),
            ["a delay over the bound"] = RemoteCommands.GateSwitchArm(name, bound + 1, ["db"]),
            ["a delay of 0"] = RemoteCommands.GateSwitchArm(name, 0, ["db"]),
            ["a negative delay"] = $"{RemoteCommands.GateSwitch} arm {name} -5 db",
            ["a delay with a leading zero"] = $"{RemoteCommands.GateSwitch} arm {name} 0{bound.ToString(inv)} db",
            ["a delay that is not a number"] = $"{RemoteCommands.GateSwitch} arm {name} 1e3 db",
            ["no services"] = $"{RemoteCommands.GateSwitch} arm {name} 60",
            ["a command after the request"] = RemoteCommands.GateSwitchArm(name, 60, ["db"]) + $"; touch {pwned}",
            ["command substitution"] = $"{RemoteCommands.GateSwitch} arm {name} 60 $(touch {pwned})",
            ["a newline"] = RemoteCommands.GateSwitchCancel(name) + "\ntouch " + pwned,
            ["a path as the app"] = $"{RemoteCommands.GateSwitch} cancel ../../{name}",
            ["the timer's own entry"] = $"{RemoteCommands.GateSwitch} fire {name} 0123456789ab",
            ["cancel with extra words"] = RemoteCommands.GateSwitchCancel(name) + " " + name,
            ["drill metadata outside the app"] = RemoteCommands.FileMetadata([Path.Combine(other, "app.conf")]),
            ["drill hash of /etc/shadow"] = RemoteCommands.FileHashes(["/etc/shadow"]),
            ["drill hash through .."] = RemoteCommands.FileHashes([dir + "/../" + Path.GetFileName(other) + "/app.conf"]),
            ["drill hash with $()"] = RemoteCommands.FileHashes([dir + $"/$(touch {pwned})"]),
        };
        Directory.CreateSymbolicLink(Path.Combine(dir, "leak"), "/etc/shadow");
        refused["drill hash through a link leading out"] = RemoteCommands.FileHashes([Path.Combine(dir, "leak")]);
        foreach (var (what, request) in refused)
            AssertRefused(await SshAsync(host.Ssh, gate.BackupKey, request), what);
        AssertRefused(await SshAsync(host.Ssh, gate.RestoreKey, RemoteCommands.GateSwitchArm(name, 60, ["db"])), "the switch with the restore key");
        AssertRefused(await SshAsync(host.Ssh, gate.RestoreKey, RemoteCommands.FileHashes([Path.Combine(dir, "app.conf")])), "drill with the restore key");

        Assert.False(File.Exists(pwned), "an injected command ran");
        Assert.False(File.Exists(HostState.StateFile(name, ".stopped")), "no refused request left a marker");
        Assert.False(File.Exists(Path.Combine(dir, ".calls")), "compose ran");
        var refusals = gate.Log.Split('\n').Count(l => l.Contains("refused", StringComparison.Ordinal));
        Assert.True(refusals >= refused.Count + 2, $"{refusals} refusals logged:\n{gate.Log}");
    }

    [Fact]
    public async Task I_can_back_up_with_tar_and_sshfs_through_the_rendered_gate()
    {
        await using var s = await Scenario.CreateAsync(host);
        var tarDir = s.CreateApp("ledger", dataFiles: 3);
        var fsDir = s.CreateApp("media", dataFiles: 3);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: ledger
                    paths: [{tarDir}]
                    strategy: tar
                  - name: media
                    paths: [{fsDir}]
                    strategy: sshfs
                    privileged: true
            """);
        var tar = await s.RunAsync(gate.Gated(s.Backup(s.App("ledger", TransferStrategy.Tar))), "backup");
        Assert.True(tar.ExitCode == 0, tar + "\ngate log:\n" + gate.Log);
        var fs = await s.RunAsync(gate.Gated(s.Backup(s.App("media", TransferStrategy.Sshfs))), "backup");
        Assert.True(fs.ExitCode == 0, fs + "\ngate log:\n" + gate.Log);
        Assert.Equal(5, fs.Summary.FilesNew);
    }

    [Fact]
    public async Task Should_refuse_a_run_before_any_hook_when_the_host_runs_an_allow_list_of_another_commit_and_name_the_file_to_install()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (name, dir) = s.CreateAppWithRunningDb("stale", dataFiles: 2);
        var hook = $"echo hook-ran >> {dir}/hook.txt";
        var hookYaml = $"          before: [{Yaml(hook)}]\n";
        // The commit the host still has: the hook, no stopped services.
        var old = await GatedHost.InstallAsync(s, $"      - name: {name}\n        paths: [{dir}]\n        hooks:\n{hookYaml}");
        // The commit Argo CD synced: the same hook, and db stopped during the copy.
        var gate = await GatedHost.InstallAsync(s, $"      - name: {name}\n        paths: [{dir}]\n        hooks:\n{hookYaml}" +
            $"          stopServices: [db]\n          composeDirectory: {dir}\n");
        Assert.NotEqual(GateAllowList.VersionIn(old.Files[HostGatePlan.BackupAllowFile]), gate.AllowLists.Backup.Version);
        await File.WriteAllTextAsync(gate.BackupAllowList, old.Files[HostGatePlan.BackupAllowFile]);
        var metrics = s.Dir.Combine("metrics.prom");
        var app = s.App(name) with { Hooks = new HooksConfig { Before = [new HookCommand { Run = hook }], StopServices = ["db"], ComposeDirectory = dir } };
        var config = gate.Gated(s.Backup(app)) with { Reporting = new ReportingConfig { MetricsFile = metrics } };

        var stale = await s.RunAsync(config, "backup");
        Assert.True(stale.ExitCode == (int)RunnerExit.HostFilesStale, stale + "\ngate log:\n" + gate.Log);
        Assert.False(File.Exists(Path.Combine(dir, "hook.txt")), "the hook ran before the refusal");
        Assert.False(File.Exists(Path.Combine(dir, ".calls")), "compose ran before the refusal");
        Assert.Equal($"out/gate/{HostGatePlan.Folder}/{s.HostName}/{HostGatePlan.BackupAllowFile}", stale.Summary.InstallHostFile);
        Assert.Contains($"install {stale.Summary.InstallHostFile} on {s.HostName}", stale.Summary.Error);
        Assert.Contains($"the job was rendered with {gate.AllowLists.Backup.Version}: install the backup allow-list rendered with this job as {gate.BackupAllowList}",
            stale.Summary.Error);
        Assert.Contains("refused (allow-list", gate.Log);
        Assert.Matches(@"manifestgen_last_run_host_files_stale\{[^}]*\} 1\n", await File.ReadAllTextAsync(metrics));

        // An allow-list rendered before versions is refused the same way, with what to do.
        await File.WriteAllTextAsync(gate.BackupAllowList, string.Join('\n', old.Files[HostGatePlan.BackupAllowFile].Split('\n')
            .Where(l => !l.StartsWith(GateAllowList.VersionHeader, StringComparison.Ordinal))));
        var unversioned = await s.RunAsync(config, "backup");
        Assert.True(unversioned.ExitCode == (int)RunnerExit.HostFilesStale, unversioned.ToString());
        Assert.Contains("has no version (rendered before versions", unversioned.Summary.Error);
        Assert.False(File.Exists(Path.Combine(dir, "hook.txt")), "the hook ran before the refusal");

        // Once the synced commit's file is installed, the same job runs, hook and all.
        await File.WriteAllTextAsync(gate.BackupAllowList, gate.Files[HostGatePlan.BackupAllowFile]);
        var installed = await s.RunAsync(config, "backup");
        Assert.True(installed.ExitCode == 0, installed + "\ngate log:\n" + gate.Log);
        Assert.Equal("hook-ran\n", await File.ReadAllTextAsync(Path.Combine(dir, "hook.txt")));
        Assert.Null(installed.Summary.InstallHostFile);
        Assert.Matches(@"manifestgen_last_run_host_files_stale\{[^}]*\} 0\n", await File.ReadAllTextAsync(metrics));
    }

    [Fact]
    public async Task Should_refuse_a_restore_to_the_host_before_anything_is_written_when_the_host_runs_a_restore_allow_list_of_another_commit()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = HostState.UniqueApp("stale-restore");
        var dir = s.CreateApp(name, dataFiles: 1);
        var other = s.CreateApp(name + "-media", dataFiles: 1);
        // The commit the host still has: the app with a second path. The commit Argo CD synced: one path.
        var old = await GatedHost.InstallAsync(s, $"      - name: {name}\n        paths: [{dir}, {other}]\n");
        var gate = await GatedHost.InstallAsync(s, $"      - name: {name}\n        paths: [{dir}]\n");
        Assert.NotEqual(GateAllowList.VersionIn(old.Files[HostGatePlan.RestoreAllowFile]), gate.AllowLists.Restore.Version);
        var app = s.App(name);
        var backup = await s.RunAsync(gate.Gated(s.Backup(app)), "backup");
        Assert.True(backup.ExitCode == 0, backup + "\ngate log:\n" + gate.Log);

        await File.WriteAllTextAsync(gate.RestoreAllowList, old.Files[HostGatePlan.RestoreAllowFile]);
        await gate.OpenRestoreWindowAsync(name);
        var conf = Path.Combine(dir, "app.conf");
        var original = await File.ReadAllTextAsync(conf);
        await File.WriteAllTextAsync(conf, "damaged\n");
        var stale = await s.RunAsync(gate.Gated(s.Backup(app), restore: true), "restore", "--path", conf, "--to-host", "--force");
        Assert.True(stale.ExitCode == (int)RunnerExit.HostFilesStale, stale + "\ngate log:\n" + gate.Log);
        Assert.Equal("damaged\n", await File.ReadAllTextAsync(conf));
        Assert.Equal($"out/gate/{HostGatePlan.Folder}/{s.HostName}/{HostGatePlan.RestoreAllowFile}", stale.Summary.InstallHostFile);
        Assert.Contains($"install {stale.Summary.InstallHostFile} on {s.HostName}", stale.Summary.Error);
        Assert.DoesNotContain("rsync receiver", gate.Log);

        // The synced commit's file installed: the same restore writes the file back.
        await File.WriteAllTextAsync(gate.RestoreAllowList, gate.Files[HostGatePlan.RestoreAllowFile]);
        var restored = await s.RunAsync(gate.Gated(s.Backup(app), restore: true), "restore", "--path", conf, "--to-host", "--force");
        Assert.True(restored.ExitCode == 0, restored + "\ngate log:\n" + gate.Log);
        Assert.Equal(original, await File.ReadAllTextAsync(conf));
    }

    /// <summary>One request through the gate with <paramref name="key"/> (no stdin, bounded).</summary>
    internal static async Task<ProcessResultView> SshAsync(SshHost ssh, string key, string? command)
    {
        string[] args = command is null ? [.. ssh.SshArgs(key)] : [.. ssh.SshArgs(key), "--", command];
        var r = await Proc.RunAsync("ssh", args, Patience.Command, stdin: "");
        return new ProcessResultView(r.ExitCode, r.Stdout, r.Stderr);
    }

    internal sealed record ProcessResultView(int ExitCode, string Stdout, string Stderr);

    internal static void AssertRefused(ProcessResultView r, string what)
    {
        Assert.True(r.ExitCode != 0, $"{what}: exit 0\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("manifestgen-gate: refused", r.Stderr + r.Stdout);
    }

    [Fact]
    public async Task Should_refuse_and_log_everything_the_rendered_allow_list_does_not_name()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("vault");
        var outside = s.CreateApp("outside");
        Directory.CreateSymbolicLink(Path.Combine(dir, "escape"), outside);
        var marker = s.Dir.Combine("pwned");
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: vault
                    paths: [{dir}]
                    hooks:
                      stopServices: [db]
                      composeDirectory: {dir}
            """);
        var ssh = host.Ssh;
        var b = gate.BackupKey;
        var shell = new Dictionary<string, string?>
        {
            ["a shell"] = null,
            ["cat /etc/shadow"] = "cat /etc/shadow",
            ["bash -c"] = $"bash -c 'touch {marker}'",
            ["path check followed by a command"] = RemoteCommands.MissingPaths([dir]) + $"; touch {marker}",
            ["path check of another path"] = RemoteCommands.MissingPaths([outside]),
            ["path check with $()"] = $"for p in '$(touch {marker})'; do [ -e \"$p\" ] || [ -L \"$p\" ] || printf '%s\\0' \"$p\"; done",
            ["compose with ;"] = RemoteCommands.ComposeStop(dir, ["db"]) + $"; touch {marker}",
            ["compose of an unlisted service"] = RemoteCommands.ComposeStop(dir, ["web"]),
            ["compose in another folder"] = RemoteCommands.ComposeStop(outside, ["db"]),
            ["compose with a newline"] = RemoteCommands.ComposeStop(dir, ["db"]) + "\ntouch " + marker,
            ["rsync sender of /etc"] = "rsync --server --sender -lHogDtpAXre.iLsfxCIvu --numeric-ids . /etc/shadow",
            ["rsync sender through .."] = $"rsync --server --sender -lHogDtpAXre.iLsfxCIvu --numeric-ids . {dir}/../outside",
            ["rsync sender following links"] = $"rsync --server --sender -LHogDtpAXre.iLsfxCIvu --numeric-ids . {dir}",
            ["rsync sender with $()"] = $"rsync --server --sender -lHogDtpAXre.iLsfxCIvu --numeric-ids . {dir}$(touch {marker})",
            ["rsync sender with a log file"] = $"rsync --server --sender -lHogDtpAXre.iLsfxCIvu --log-file={marker} . {dir}",
            ["rsync receiver with the backup key"] = $"rsync --server -lHogDtpAXre.iLsfxCIvu --numeric-ids . {dir}/",
            ["secluded rsync"] = "rsync --server --sender -slHogDtpAXre.iLsfxCIvu",
        };
        foreach (var (what, command) in shell)
            AssertRefused(await SshAsync(ssh, b, command), what);

        var r = gate.RestoreKey;
        AssertRefused(await SshAsync(ssh, r, $"rsync --server --sender -lHogDtpAXre.iLsfxCIvu --numeric-ids . {dir}"), "read with the restore key");
        AssertRefused(await SshAsync(ssh, r, $"rsync --server -lHogDtpAXre.iLsfxCIvu --numeric-ids . {dir}/escape/"), "write through a symlink");
        AssertRefused(await SshAsync(ssh, r, $"rsync --server -lHogDtpAXre.iLsfxCIvu --numeric-ids . {outside}/"), "write outside the app");
        AssertRefused(await SshAsync(ssh, r, "cat /etc/shadow"), "a command with the restore key");

        // The real rsync client: reading another path and writing with the backup key are refused too.
        var sshCommand = $"ssh -F /dev/null -p {ssh.Port.ToString(CultureInfo.InvariantCulture)} -i {b} -o IdentitiesOnly=yes -o BatchMode=yes " +
                         $"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={ssh.KnownHostsFile} -o GlobalKnownHostsFile=/dev/null";
        var target = s.Dir.Combine("copy");
        Directory.CreateDirectory(target);
        var read = await Proc.RunAsync("rsync", ["-a", "-e", sshCommand, $"{ssh.User}@{ssh.Address}:{outside}/", target + "/"]);
        Assert.NotEqual(0, read.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(target));
        var write = await Proc.RunAsync("rsync", ["-a", "-e", sshCommand, Path.Combine(outside, "app.conf"), $"{ssh.User}@{ssh.Address}:{dir}/"]);
        Assert.NotEqual(0, write.ExitCode);

        Assert.False(File.Exists(marker), "an injected command ran");
        Assert.False(File.Exists(Path.Combine(dir, ".calls")), "compose ran");
        var log = gate.Log;
        var refusals = log.Split('\n').Count(l => l.Contains("refused", StringComparison.Ordinal));
        Assert.True(refusals >= shell.Count + 6, $"{refusals} refusals logged:\n{log}");
        Assert.DoesNotContain("\ntouch", log); // a newline in a request is logged escaped, on one line
    }

    [Fact]
    public async Task Every_request_the_runner_builds_for_an_app_passes_the_gate_with_its_rendered_allow_list()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (books, dir) = s.CreateAppWithRunningDb("books", dataFiles: 20);
        var before = $"echo it\\'s {dir} > /dev/null";
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {books}
                    paths: [{dir}]
                    excludes: ["*.tmp"]
                    strategy: tar
                    hooks:
                      before: [{Yaml(before)}]
                      after: ["true"]
                      stopServices: [db, web]
                      composeDirectory: {dir}
                      dumps:
                        - name: conf
                          command: {Yaml($"cat '{dir}/app.conf'")}
                          fileName: conf.dump
                          timeoutSeconds: 600
            """);
        var allow = Path.Combine(s.Dir.Path, "gate", HostGatePlan.BackupAllowFile);
        var app = s.App(books, TransferStrategy.Tar) with
        {
            Excludes = ["*.tmp"],
            Hooks = new HooksConfig
            {
                Before = [new HookCommand { Run = before }], After = [new HookCommand { Run = "true" }],
                StopServices = ["db", "web"], ComposeDirectory = dir,
                Dumps = [new DumpStream { Name = "conf", Command = $"cat '{dir}/app.conf'", FileName = "conf.dump" }],
            },
        };
        string[] requests =
        [
            .. RemoteCommands.FixedBackupCommands(app),
            RemoteCommands.MissingPaths(app.Paths),
            RemoteCommands.ComposeRunning(dir),
            RemoteCommands.GateSwitchMarker(books),
            RemoteCommands.GateSwitchArm(books, GatedHost.SwitchBoundSeconds, ["db", "web"]),
            RemoteCommands.ComposeStop(dir, ["db", "web"]),
            RemoteCommands.ComposeStart(dir, ["web"]),
            RemoteCommands.FileMetadata([Path.Combine(dir, "app.conf"), Path.Combine(dir, "data")]),
            RemoteCommands.FileHashes([Path.Combine(dir, "app.conf")]),
            RemoteCommands.GateSwitchCancel(books),
        ];
        Assert.Equal(4, RemoteCommands.FixedBackupCommands(app).Count);
        foreach (var request in requests)
        {
            var r = await Proc.RunAsync("bash", [GatedHost.GateProgram, allow], Patience.Command, new Dictionary<string, string?>
            {
                ["SSH_ORIGINAL_COMMAND"] = request,
                ["PATH"] = host.FakeBin + ":/usr/local/bin:/usr/bin:/bin",
                ["SHELL"] = "/bin/sh",
            });
            Assert.True(r.ExitCode == 0, $"request refused or failed: {request}\n{r.Stderr}\n{gate.Log}");
        }
        Assert.Contains("compose stop db web", await File.ReadAllTextAsync(Path.Combine(dir, ".calls")));
    }

    [Fact]
    public async Task Should_refuse_device_files_in_a_restore_unless_the_app_allows_them()
    {
        await using var s = await Scenario.CreateAsync(host);
        var plain = s.CreateApp(HostState.UniqueApp("plain"), dataFiles: 1);
        var devices = s.CreateApp(HostState.UniqueApp("devs"), dataFiles: 1);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {Path.GetFileName(plain)}
                    paths: [{plain}]
                  - name: {Path.GetFileName(devices)}
                    paths: [{devices}]
                    restoreDeviceFiles: true
            """);
        Assert.Contains($"devices\t{Path.GetFileName(devices)}\n", gate.Files[HostGatePlan.RestoreAllowFile]);
        // A tree with a character device (root makes one here; the host's root receiver could too).
        var tree = s.Dir.Combine("with-device");
        Directory.CreateDirectory(tree);
        await File.WriteAllTextAsync(Path.Combine(tree, "file"), "x");
        await Proc.CheckedAsync("mknod", Path.Combine(tree, "null"), "c", "1", "3");
        var sshCommand = $"ssh -F /dev/null -p {host.Ssh.Port.ToString(CultureInfo.InvariantCulture)} -i {gate.RestoreKey} -o IdentitiesOnly=yes " +
                         $"-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile={host.Ssh.KnownHostsFile} -o GlobalKnownHostsFile=/dev/null";
        foreach (var dir in new[] { plain, devices })
        {
            await gate.OpenRestoreWindowAsync(Path.GetFileName(dir));
            var r = await Proc.RunAsync("rsync", ["-aD", "-e", sshCommand, tree + "/", $"{host.Ssh.User}@{host.Ssh.Address}:{dir}/restored/"]);
            var restored = Path.Combine(dir, "restored");
            if (dir == plain)
            {
                Assert.NotEqual(0, r.ExitCode);
                Assert.Contains($"holds device files ({dir}/restored/null)", r.Stderr);
                Assert.False(Directory.Exists(restored), "nothing is moved when a device file is refused");
            }
            else
            {
                Assert.True(r.ExitCode == 0, r.Stderr + gate.Log);
                Assert.Equal("character special file", (await Proc.CheckedAsync("stat", "-c", "%F", Path.Combine(restored, "null"))).Trim());
            }
        }
    }

    [Fact]
    public async Task The_gate_passes_shellcheck()
    {
        var r = await Proc.RunAsync("shellcheck", ["--shell=bash", "--severity=style", GatedHost.GateProgram], Patience.Command);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        await Task.CompletedTask;
    }
}

/// <summary>
/// The gate's dead man's switch after a SIGKILL of a gated runner: about 50 s of waiting for the deadline,
/// in a class of its own (its own sshd, so its own collection) that waits beside the other collections.
/// </summary>
public sealed class GateSwitchAfterKillTests(RealHost host) : IClassFixture<RealHost>
{
    [Fact]
    public async Task Should_have_the_gate_renew_the_switch_and_start_the_services_within_the_delay_when_a_gated_runner_is_killed_while_they_are_stopped()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (name, dir) = s.CreateAppWithRunningDb("dms-gkill", dataFiles: 2);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {name}
                    paths: [{dir}]
                    hooks:
                      stopServices: [db]
                      composeDirectory: {dir}
                      switchDelayMinutes: {Heartbeat.DelaySeconds / 60}
            """);
        // The heartbeat's delay (the allow-list's) under an hour's deadline: the gate acts the delay after the
        // last renewal, not at the deadline.
        var app = Heartbeat.WithDelay(s.App(name) with { Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = dir } });
        // The stop is held while the test waits for a renewal: compose's own bound must not end it first.
        var config = gate.Gated(s.Backup(app with { Hooks = app.Hooks with { ComposeTimeoutSeconds = 3600 } })) with { ActiveDeadlineSeconds = 3600, TerminationGracePeriodSeconds = 20 };
        FaultTests.HoldStop(dir);
        await using (var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config)))
        {
            Assert.True(await HostState.EventuallyAsync(() => File.Exists(Path.Combine(dir, ".stopped-now")) || runner.HasExited, Patience.Progress), runner.Stderr);
            var armed = File.ReadAllText(HostState.StateFile(name, ".switch"));
            Assert.True(await HostState.EventuallyAsync(() => File.ReadAllText(HostState.StateFile(name, ".switch")) != armed || runner.HasExited, Patience.Progress), runner.Stderr);
            Assert.False(runner.HasExited, runner.Stderr);
            await runner.KillTreeAsync();
        }
        FaultTests.ReleaseStop(dir);
        Assert.True(File.Exists(HostState.StateFile(name, ".stopped")), "the gate's marker records the stopped service\n" + gate.Log);
        Assert.Contains($"switch of {name} armed", gate.Log);

        await gate.AssertSwitchFiredAndNextRunSucceedsAsync(s, config, dir, name, HostState.StateFile(name, ".stopped"));
    }
}
