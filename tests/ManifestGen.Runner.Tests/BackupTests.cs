using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;
using Xunit.Abstractions;

namespace ManifestGen.Runner.Tests;

[Collection(RealHostCollection.Name)]
public sealed class BackupTests(RealHost host, ITestOutputHelper output)
{
    internal static string LocalPath(string root, string hostPath) => Path.Join(root, hostPath);

    [Fact]
    public async Task I_can_back_up_twice_and_the_second_run_reads_only_the_changed_files()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("shop", dataFiles: 40, fileSize: 256 * 1024);
        var config = s.Backup(s.App("shop"));

        var first = await s.RunAsync(config, "backup");
        Assert.True(first.ExitCode == 0, first.ToString());
        var one = first.Summary;
        Assert.Equal(Outcome.Success, one.Outcome);
        Assert.Equal(42, one.FilesNew);
        Assert.Equal(0, one.FilesChanged);

        // Change one file's content, add one, leave the other 41 alone.
        var changed = Path.Combine(dir, "data", "blob-007.bin");
        var bytes = File.ReadAllBytes(changed);
        bytes[1000] ^= 0xFF;
        File.WriteAllBytes(changed, bytes);
        File.WriteAllText(Path.Combine(dir, "new.txt"), "added between runs\n");

        var second = await s.RunAsync(config, "backup");
        Assert.True(second.ExitCode == 0, second.ToString());
        var two = second.Summary;
        Assert.Equal(1, two.FilesNew);
        Assert.Equal(1, two.FilesChanged);
        Assert.Equal(41, two.FilesUnmodified);
        Assert.True(two.BytesOverWire < one.BytesOverWire / 10,
            $"second run sent {two.BytesOverWire} bytes, first {one.BytesOverWire}");
        output.WriteLine($"wire bytes: first {one.BytesOverWire}, second {two.BytesOverWire}; added: first {one.BytesAdded}, second {two.BytesAdded}");

        // Snapshot paths are the host's own paths, and both runs are one group (host + app tag).
        var snaps = await s.Repo.SnapshotsAsync("--tag", "app=shop");
        Assert.Equal(2, snaps.Length);
        Assert.All(snaps, x => Assert.Equal([dir], x.Paths));
        Assert.All(snaps, x => Assert.Equal("kvm-test", x.Hostname));
        var ls = await s.Repo.CheckedAsync("ls", two.SnapshotId!, dir + "/app.conf");
        Assert.Contains(dir + "/app.conf", ls);
    }

    [Fact]
    public async Task I_can_restore_one_file_byte_for_byte_and_an_existing_file_is_not_overwritten_without_force()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("wiki");
        var config = s.Backup(s.App("wiki"));
        Assert.Equal(0, (await s.RunAsync(config, "backup")).ExitCode);

        var target = s.Dir.Combine("restore");
        var file = Path.Combine(dir, "data", "blob-003.bin");
        var restore = await s.RunAsync(config, "restore", "--path", file, "--target", target);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var restored = LocalPath(target, file);
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(restored));
        Assert.True(restore.Summary.FilesRestored >= 1, restore.ToString());
        Assert.False(File.Exists(LocalPath(target, Path.Combine(dir, "app.conf"))), "only the asked-for file is restored");

        File.WriteAllText(restored, "local edit");
        var again = await s.RunAsync(config, "restore", "--path", file, "--target", target);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("--force", again.Summary.Error);
        Assert.Equal("local edit", File.ReadAllText(restored));

        var forced = await s.RunAsync(config, "restore", "--path", file, "--target", target, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(restored));
    }

    [Fact]
    public async Task I_can_restore_a_deleted_file_and_a_whole_folder_back_onto_the_host()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("blog");
        var config = s.Backup(s.App("blog"));
        Assert.Equal(0, (await s.RunAsync(config, "backup")).ExitCode);
        var conf = Path.Combine(dir, "app.conf");
        var original = File.ReadAllBytes(conf);
        File.Delete(conf);

        var r = await s.RunAsync(config, "restore", "--path", conf, "--to-host");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(original, File.ReadAllBytes(conf));

        // The data folder exists on the host: refused without --force, restored with it.
        var data = Path.Combine(dir, "data");
        var blob = Path.Combine(data, "blob-001.bin");
        var blobBytes = File.ReadAllBytes(blob);
        File.WriteAllText(blob, "damaged");
        var refused = await s.RunAsync(config, "restore", "--path", data, "--to-host");
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("damaged", File.ReadAllText(blob));
        var forced = await s.RunAsync(config, "restore", "--path", data, "--to-host", "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(blobBytes, File.ReadAllBytes(blob));
    }

    [Fact]
    public async Task Should_run_hooks_in_order_and_restart_only_the_stopped_services_when_the_transfer_fails()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("crm");
        var extra = s.CreateApp("crm-uploads");
        File.WriteAllText(Path.Combine(dir, ".running"), "db\nweb\n");
        var calls = Path.Combine(dir, ".calls");
        var app = s.App("crm", paths: [dir, extra]) with
        {
            Hooks = new HooksConfig
            {
                Before = [new HookCommand { Run = $"cd '{dir}' && echo before-1 >> .calls" },
                          new HookCommand { Run = $"cd '{dir}' && echo before-2 >> .calls" }],
                StopServices = ["db", "web", "worker"],
                ComposeDirectory = dir,
                After = [new HookCommand { Run = $"cd '{dir}' && echo after-1 >> .calls" }],
            },
        };
        // The live pass copies both paths; one of them is gone by the pass under the stop, which fails.
        File.WriteAllText(Path.Combine(dir, ".on-stop"), $"rm -rf '{extra}'\n");
        var r = await s.RunAsync(s.Backup(app), "backup");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(Outcome.Failure, r.Summary.Outcome);
        Assert.Contains("rsync", r.Summary.Error);
        Assert.Equal(
            ["before-1", "before-2", "compose ps --services --status running", "compose stop db web", "compose start db web", "after-1"],
            File.ReadAllLines(calls));
        Assert.Equal(["db", "web"], File.ReadAllLines(Path.Combine(dir, ".running")).Order());
        Assert.Empty(await s.Repo.SnapshotsAsync());
    }

    [Fact]
    public async Task Should_fail_the_run_but_name_the_snapshot_when_an_after_hook_fails()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("cleanup");
        var app = s.App("cleanup") with
        {
            Hooks = new HooksConfig { After = [new HookCommand { Run = "echo cleaning up; exit 7" }] },
        };
        var r = await s.RunAsync(s.Backup(app), "backup");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(Outcome.Failure, r.Summary.Outcome);
        Assert.Contains("hook after[1] failed (exit 7)", r.Summary.Error);
        var snapshot = Assert.Single(await s.Repo.SnapshotsAsync());
        Assert.Equal(snapshot.Id, r.Summary.SnapshotId);
    }

    [Fact]
    public async Task I_can_stream_a_dump_into_its_own_snapshot_tagged_dump()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("pg");
        var app = s.App("pg") with
        {
            Hooks = new HooksConfig { Dumps = [new DumpStream { Name = "db", Command = $"cat '{dir}/app.conf'; echo '-- end of dump'", FileName = "pg-db.sql" }] },
        };
        var r = await s.RunAsync(s.Backup(app), "backup");
        Assert.True(r.ExitCode == 0, r.ToString());
        var dumpId = Assert.Single(r.Summary.DumpSnapshotIds);
        var dump = Assert.Single(await s.Repo.SnapshotsAsync("--tag", "dump"));
        Assert.Equal(dumpId, dump.Id);
        Assert.Contains("dump=db", dump.Tags!);
        Assert.Contains("app=pg", dump.Tags!);
        var content = await s.Repo.CheckedAsync("dump", dumpId, "/pg-db.sql");
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "app.conf")) + "-- end of dump\n", content);
        // "latest" for a restore means the newest file snapshot, not the dump.
        var restore = await s.RunAsync(s.Backup(app), "restore", "--path", Path.Combine(dir, "app.conf"), "--target", s.Dir.Combine("r"));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(r.Summary.SnapshotId, restore.Summary.SnapshotId);
    }

    [Fact]
    public async Task Should_leave_no_snapshot_when_the_tar_stream_fails()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("legacy");
        var gone = s.CreateApp("legacy-gone");
        // The second path disappears after the path check: tar has streamed the first one and then fails.
        var app = s.App("legacy", TransferStrategy.Tar, [dir, gone]) with
        {
            Hooks = new HooksConfig { Before = [new HookCommand { Run = $"rm -rf '{gone}'" }] },
        };
        var r = await s.RunAsync(s.Backup(app), "backup");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal(Outcome.Failure, r.Summary.Outcome);
        Assert.Null(r.Summary.SnapshotId);
        Assert.Empty(await s.Repo.SnapshotsAsync());
    }

    [Fact]
    public async Task I_can_back_up_with_the_tar_stream_and_it_resends_everything_each_run()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("old");
        var config = s.Backup(s.App("old", TransferStrategy.Tar));
        var first = await s.RunAsync(config, "backup");
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = await s.RunAsync(config, "backup");
        Assert.True(second.ExitCode == 0, second.ToString());
        var snaps = await s.Repo.SnapshotsAsync("--tag", "app=old");
        Assert.Equal(2, snaps.Length);
        Assert.All(snaps, x => Assert.Equal(["/old.tar"], x.Paths));
        output.WriteLine($"tar stream bytes: first {first.Summary.BytesOverWire}, second {second.Summary.BytesOverWire}; added: first {first.Summary.BytesAdded}, second {second.Summary.BytesAdded}");
        Assert.True(second.Summary.BytesOverWire >= first.Summary.BytesOverWire * 9 / 10,
            $"the stream sends everything again: {first.Summary.BytesOverWire} then {second.Summary.BytesOverWire}");
    }

    [Fact]
    public async Task I_can_back_up_over_sshfs_and_the_second_run_reads_only_the_changed_file()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("media");
        var config = s.Backup(s.App("media", TransferStrategy.Sshfs));
        var first = await s.RunAsync(config, "backup");
        Assert.True(first.ExitCode == 0, first.ToString());
        File.AppendAllText(Path.Combine(dir, "app.conf"), "changed = yes\n");
        var second = await s.RunAsync(config, "backup");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(1, second.Summary.FilesChanged);
        Assert.Equal(first.Summary.FilesNew - 1, second.Summary.FilesUnmodified);
        Assert.All(await s.Repo.SnapshotsAsync(), x => Assert.Equal([dir], x.Paths));
    }

}

/// <summary>Refusals, interruptions and reporting of a backup; a collection of its own, so it runs beside <see cref="BackupTests"/>.</summary>
[Collection(BackupFaultHostCollection.Name)]
public sealed class BackupRefusalAndReportingTests(RealHost host)
{
    [Fact]
    public async Task Should_refuse_a_host_whose_key_differs_from_the_pinned_one()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("pinned");
        var wrong = await host.Ssh.WriteWrongKnownHostsAsync();
        var app = s.App("pinned") with { Hooks = new HooksConfig { Before = [new HookCommand { Run = $"touch '{dir}/hook-ran'" }] } };
        var r = await s.RunAsync(s.Backup(app, knownHosts: wrong), "backup");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("host key", r.Summary.Error);
        Assert.False(File.Exists(Path.Combine(dir, "hook-ran")));
        Assert.Empty(await s.Repo.SnapshotsAsync());
    }

    [Fact]
    public async Task Should_exit_12_on_a_wrong_repository_password()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("locked");
        var r = await s.RunAsync(s.Backup(s.App("locked"), passwordFile: s.Repo.WriteWrongPassword()), "backup");
        Assert.Equal(12, r.ExitCode);
        Assert.Equal(Outcome.Failure, r.Summary.Outcome);
        Assert.Contains("password", r.Summary.Error);
        Assert.DoesNotContain("not-the-password", r.Stderr + r.Stdout);
    }

    [Fact]
    public async Task Should_exit_10_when_the_repository_does_not_exist_and_init_creates_it_once()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        s.CreateApp("fresh");
        var missing = await s.RunAsync(s.Backup(s.App("fresh")), "backup");
        Assert.Equal(10, missing.ExitCode);

        var init = s.Backup(s.App("fresh")) with { Kind = JobKind.Init, Host = null, App = null };
        var first = await s.RunAsync(init, "init");
        Assert.True(first.ExitCode == 0, first.ToString());
        var config = File.ReadAllBytes(Path.Combine(s.Repo.Location, "config"));
        var second = await s.RunAsync(init, "init");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("already exists", second.Stderr);
        Assert.Equal(config, File.ReadAllBytes(Path.Combine(s.Repo.Location, "config")));
        Assert.Equal(0, (await s.RunAsync(s.Backup(s.App("fresh")), "backup")).ExitCode);
    }

    [Fact]
    public async Task Should_fail_naming_a_path_that_is_missing_on_the_host()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("partial");
        var missing = s.AppDir("partial") + "-nope";
        var r = await s.RunAsync(s.Backup(s.App("partial", paths: [dir, missing])), "backup");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(missing, r.Summary.Error);
        Assert.DoesNotContain(dir + ",", r.Summary.Error);
        Assert.Empty(await s.Repo.SnapshotsAsync());
    }

    [Fact]
    public async Task I_can_back_up_two_apps_into_one_repository_at_once()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("one", dataFiles: 30, seed: 1);
        s.CreateApp("two", dataFiles: 30, seed: 2);
        var runs = await Task.WhenAll(s.RunAsync(s.Backup(s.App("one")), "backup"), s.RunAsync(s.Backup(s.App("two")), "backup"));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Single(await s.Repo.SnapshotsAsync("--tag", "app=one"));
        Assert.Single(await s.Repo.SnapshotsAsync("--tag", "app=two"));
        Assert.Empty(s.Repo.Locks());
        await s.Repo.CheckedAsync("check");

        // `snapshots` lists only the configured app's snapshots; --all lists the repository's.
        var listed = await s.RunAsync(s.Backup(s.App("one")), "snapshots", "--json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var one = System.Text.Json.JsonSerializer.Deserialize<Restic.SnapshotInfo[]>(listed.Stdout)!;
        Assert.Equal(runs[0].Summary.SnapshotId, Assert.Single(one).Id);
        var all = await s.RunAsync(s.Backup(s.App("one")), "snapshots", "--all", "--json");
        Assert.Equal(2, System.Text.Json.JsonSerializer.Deserialize<Restic.SnapshotInfo[]>(all.Stdout)!.Length);
    }

    [Fact]
    public async Task Should_leave_no_lock_when_terminated_mid_backup_and_the_next_run_succeeds()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("term");
        File.WriteAllText(Path.Combine(dir, ".running"), "db\n");
        // The dump streams a little and then hangs: restic is mid-backup, holding its lock.
        var app = s.App("term") with
        {
            Hooks = new HooksConfig
            {
                Dumps = [new DumpStream { Name = "db", Command = "head -c 100000 /dev/zero; sleep 1800", FileName = "db.sql", TimeoutSeconds = 3600 }],
            },
        };
        var config = s.Backup(app);
        await using (var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], s.Mounts(config)))
        {
            Assert.True(await runner.WaitForStderrAsync("restic backup started", Patience.Progress), runner.Stderr);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (s.Repo.Locks().IsEmpty && sw.Elapsed < Patience.Progress) await Task.Delay(50);
            Assert.NotEmpty(s.Repo.Locks());
            runner.Signal(Processes.Signals.SIGTERM);
            var code = await runner.WaitForExitAsync(Patience.Progress);
            Assert.Equal(130, code);
            Assert.Contains("\"outcome\":\"failure\"", runner.Stdout);
        }
        Assert.Empty(s.Repo.Locks());
        Assert.Empty(await s.Repo.SnapshotsAsync());

        var next = await s.RunAsync(config with { App = app with { Hooks = new HooksConfig() } }, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Single(await s.Repo.SnapshotsAsync());
    }

    [Fact]
    public async Task Should_stop_cleanly_when_terminated_mid_transfer_and_the_next_run_succeeds()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("big", dataFiles: 3);
        // Incompressible data, so the transfer lasts long enough to be interrupted.
        var rnd = new Random(42);
        var chunk = new byte[4 << 20];
        await using (var f = File.Create(Path.Combine(dir, "data", "large.bin")))
            for (var i = 0; i < 80; i++) { rnd.NextBytes(chunk); f.Write(chunk); }
        var config = s.Backup(s.App("big"));
        var mounts = s.Mounts(config);
        var mirror = Path.Combine(mounts[0].Source, "data");
        await using (var runner = RunnerProcess.Start(s.WriteConfig(config), ["backup"], mounts))
        {
            // rsync writes into a hidden temporary file next to the target: the transfer is under way.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (sw.Elapsed < Patience.Progress && !runner.HasExited &&
                   !(Directory.Exists(mirror) && Directory.EnumerateFiles(mirror, ".large.bin.*").Any()))
                await Task.Delay(10);
            Assert.False(runner.HasExited, runner.Stderr);
            runner.Signal(Processes.Signals.SIGTERM);
            Assert.Equal(130, await runner.WaitForExitAsync(Patience.Progress));
            Assert.Contains("interrupted", runner.Stdout);
        }
        Assert.Empty(await s.Repo.SnapshotsAsync());
        Assert.Empty(s.Repo.Locks());

        var next = await s.RunAsync(config, "backup");
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(6, next.Summary.FilesNew);
        var restored = s.Dir.Combine("r");
        var large = Path.Combine(dir, "data", "large.bin");
        Assert.Equal(0, (await s.RunAsync(config, "restore", "--path", large, "--target", restored)).ExitCode);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(large)),
            System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Join(restored, large))));
    }

    [Fact]
    public async Task Should_refuse_restic_older_than_0_17_with_a_clear_message()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("old-restic");
        var bin = s.Dir.Combine("fake-restic");
        Directory.CreateDirectory(bin);
        var fake = s.Dir.Write("fake-restic/restic", "#!/bin/sh\necho 'restic 0.14.0 compiled with go1.19.8 on linux/amd64'\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var r = await s.RunAsync(s.Backup(s.App("old-restic")), ["backup"], bin);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("restic 0.14.0", r.Summary.Error);
        Assert.Contains("requires restic >= 0.17", r.Summary.Error);
    }

    [Fact]
    public async Task Should_ping_start_and_success_and_write_metrics_with_the_last_success_time()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("pinged");
        using var server = new LoopbackHttpServer();
        var pingFile = s.Dir.Write("ping-url", server.BaseUrl + "ping/token-123\n");
        var metrics = s.Dir.Combine("metrics.prom");
        var reporting = new ReportingConfig { PingUrlFile = pingFile, MetricsFile = metrics };
        var ok = await s.RunAsync(s.Backup(s.App("pinged"), reporting: reporting), "backup");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(["POST /ping/token-123/start", "POST /ping/token-123"], server.Requests.Select(r => r.Method + " " + r.Path));
        var text = File.ReadAllText(metrics);
        Assert.Contains("manifestgen_last_run_success{command=\"backup\",app=\"pinged\",host=\"kvm-test\"} 1", text);
        var lastSuccess = text.Split('\n').Single(l => l.StartsWith(Notifier.LastSuccessMetric + "{", StringComparison.Ordinal));
        Assert.DoesNotContain("token-123", ok.Stderr + ok.Stdout);

        var failed = await s.RunAsync(s.Backup(s.App("pinged", paths: ["/nonexistent/x"]), reporting: reporting), "backup");
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal("POST /ping/token-123/fail", server.Requests.Select(r => r.Method + " " + r.Path).Last());
        var after = File.ReadAllText(metrics);
        Assert.Contains(lastSuccess + "\n", after);
        Assert.Contains("manifestgen_last_run_success{command=\"backup\",app=\"pinged\",host=\"kvm-test\"} 0", after);
    }

    [Fact]
    public async Task Should_push_metrics_to_a_pushgateway_replacing_on_success_and_keeping_last_success_on_failure()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("pushed");
        using var server = new LoopbackHttpServer();
        var reporting = new ReportingConfig { PushgatewayUrl = server.BaseUrl };
        Assert.Equal(0, (await s.RunAsync(s.Backup(s.App("pushed"), reporting: reporting), "backup")).ExitCode);
        Assert.Equal(1, (await s.RunAsync(s.Backup(s.App("pushed", paths: ["/nonexistent/y"]), reporting: reporting), "backup")).ExitCode);
        var all = server.Requests;
        Assert.Equal(2, all.Length);
        Assert.Equal(("PUT", "/metrics/job/manifestgen/command/backup/host/kvm-test/app/pushed"), (all[0].Method, all[0].Path));
        Assert.Contains(Notifier.LastSuccessMetric + "{", all[0].Body);
        Assert.Equal("POST", all[1].Method);
        Assert.DoesNotContain(Notifier.LastSuccessMetric, all[1].Body);
        Assert.Contains("manifestgen_last_run_success{command=\"backup\",app=\"pushed\",host=\"kvm-test\"} 0", all[1].Body);
    }

}
