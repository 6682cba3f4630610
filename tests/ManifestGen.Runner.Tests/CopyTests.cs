using System.Security.Cryptography;
using System.Text.Json;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The offsite copy against the real restic-rest-server in append-only mode with --private-repos (the
/// recommended form of a copy): the cluster's user adds snapshots below /cluster-a/ and can delete none.
/// The primary is the scenario's local repository, as a copy pod mounts the primary's volume.
/// </summary>
public sealed class CopyTests(RealHost host) : IClassFixture<RealHost>
{
    private const string User = "cluster-a";

    /// <summary>The copy of the scenario's primary on the server, with a throwaway password of its own.</summary>
    private static CopyConfig Copy(Scenario s, RestServer server, bool appendOnly = true)
    {
        var password = s.Dir.Write("copy-password", Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) + "\n");
        return new CopyConfig
        {
            Name = "offsite",
            Repository = s.Repo.ToRepositoryConfig() with
            {
                Location = server.Repository(User), PasswordFile = password, CacheDir = s.Dir.Combine("copy-cache"),
            },
            UsernameFile = s.Dir.Write("copy-username", User + "\n"),
            SecretFile = server.PasswordFiles[User],
            AppendOnly = appendOnly,
            CheckSubsets = 3,
        };
    }

    private static JobConfig CopyJob(Scenario s, CopyConfig copy) =>
        s.Maintenance(new MaintenanceConfig(), JobKind.Copy) with { Maintenance = null, Copies = [copy] };

    /// <summary>restic on the copy with the cluster's (append-only) credential, as an attacker holding the copy pod's Secrets would run it.</summary>
    private static Dictionary<string, string?> CopyEnvironment(CopyConfig copy) => new()
    {
        ["RESTIC_REPOSITORY"] = copy.Repository.Location,
        ["RESTIC_PASSWORD_FILE"] = copy.Repository.PasswordFile,
        ["RESTIC_CACHE_DIR"] = copy.Repository.CacheDir,
        ["RESTIC_REST_USERNAME"] = User,
        ["RESTIC_REST_PASSWORD"] = File.ReadAllText(copy.SecretFile!).Trim(),
    };

    private static async Task<int> CountAsync(Dictionary<string, string?> env)
    {
        var r = await Proc.RunAsync("restic", ["snapshots", "--json", "--no-lock"], Patience.Command, env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.GetArrayLength();
    }

    [Fact]
    public async Task A_copy_adds_only_new_snapshots_restores_byte_identical_and_the_clusters_credential_cannot_forget_or_prune_it()
    {
        await using var s = await Scenario.CreateAsync(host);
        var data = s.Dir.Combine("offsite-data");
        Directory.CreateDirectory(data);
        await using var server = await RestServer.StartAsync(data, [User], appendOnly: true, privateRepos: true);
        var copy = Copy(s, server);
        var dir = s.CreateApp("shop");
        var backup = s.Backup(s.App("shop"));
        Assert.Equal(0, (await s.RunAsync(backup, "backup")).ExitCode);

        var first = await s.RunAsync(CopyJob(s, copy), "copy");
        Assert.True(first.ExitCode == 0, first + server.Log);
        Assert.Equal(1, first.Summary.SnapshotsCopied);
        Assert.Contains("refuses deletions", first.Stderr);

        File.AppendAllText(Path.Combine(dir, "app.conf"), "changed = yes\n");
        Assert.Equal(0, (await s.RunAsync(backup, "backup")).ExitCode);
        var second = await s.RunAsync(CopyJob(s, copy), "copy");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(1, second.Summary.SnapshotsCopied);
        var third = await s.RunAsync(CopyJob(s, copy), "copy");
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Equal(0, third.Summary.SnapshotsCopied);
        foreach (var run in new[] { first, second, third })
            Assert.DoesNotContain(File.ReadAllText(copy.SecretFile!).Trim(), run.Stdout + run.Stderr);

        // The copy's check job reads its subset of the copy, without the primary's password (its pod does not mount it).
        var checkJob = CopyJob(s, copy) with { Kind = JobKind.Check };
        var check = await s.RunAsync(checkJob with { Repository = checkJob.Repository with { PasswordFile = s.Dir.Combine("not-mounted", "password") } }, "check");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Matches("pack subset [1-3] of 3", check.Stderr);

        // A restore from the copy alone (the primary's folder gone) gives the host's files back byte for byte.
        Directory.Delete(Path.GetDirectoryName(s.Repo.Location)!, recursive: true);
        var target = s.Dir.Combine("restored");
        // As the Job `manifestgen restore --from-copy` prints: the copy's Secrets, nothing of the primary (its password is not there).
        var fromCopy = backup with { Copies = [copy], Repository = backup.Repository with { PasswordFile = s.Dir.Combine("not-mounted", "password") } };
        var restore = await s.RunAsync(fromCopy, "restore", "--from-copy", "offsite", "--target", target);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(BackupTests.LocalPath(target, file)));
        // And the app's snapshots in the copy, as `manifestgen restore --list --from-copy` prints them.
        var listed = await s.RunAsync(fromCopy, "snapshots", "--json", "--from-copy", "offsite");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var inCopy = System.Text.Json.JsonSerializer.Deserialize<Restic.SnapshotInfo[]>(listed.Stdout)!;
        Assert.Equal(first.Summary.SnapshotsCopied + second.Summary.SnapshotsCopied, inCopy.Length);
        Assert.Contains(restore.Summary.SnapshotId, inCopy.Select(i => i.Id));

        // forget and prune with the cluster's credential: restic prints the server's 403, every snapshot stays.
        var env = CopyEnvironment(copy);
        var forget = await Proc.RunAsync("restic", ["forget", "--keep-last", "1", "--prune"], Patience.Command, env);
        Assert.Contains("403", forget.Stderr + forget.Stdout);
        Assert.Equal(2, await CountAsync(env));
        var check2 = await Proc.RunAsync("restic", ["check", "--read-data"], Patience.Command, env);
        Assert.True(check2.ExitCode == 0, check2.Stdout + check2.Stderr);
    }

    [Fact]
    public async Task A_copy_killed_with_SIGKILL_midway_is_completed_by_the_next_run()
    {
        await using var s = await Scenario.CreateAsync(host);
        var data = s.Dir.Combine("offsite-data");
        Directory.CreateDirectory(data);
        await using var server = await RestServer.StartAsync(data, [User], appendOnly: true, privateRepos: true);
        var copy = Copy(s, server);
        // Random data in many packs: the copy writes packs one after the other.
        s.CreateApp("media", dataFiles: 120, fileSize: 512 * 1024);
        Assert.Equal(0, (await s.RunAsync(s.Backup(s.App("media")), "backup")).ExitCode);

        var config = CopyJob(s, copy);
        var packs = Path.Combine(data, User, "data");
        await using (var runner = RunnerProcess.Start(s.WriteConfig(config), ["copy"]))
        {
            // The first pack on the server is the event: freeze the server there, kill the runner, thaw it.
            Assert.True(await HostState.EventuallyAsync(
                () => runner.HasExited || (Directory.Exists(packs) && Directory.EnumerateFiles(packs, "*", SearchOption.AllDirectories).Any()),
                Patience.Progress), runner.Stderr);
            Signals.Send(server.Pid, Signals.SIGSTOP);
            try
            {
                Assert.False(runner.HasExited, "the copy ended before it could be killed: " + runner.Stderr);
                await runner.KillTreeAsync();
            }
            finally
            {
                Signals.Send(server.Pid, Signals.SIGCONT);
            }
        }
        var env = CopyEnvironment(copy);
        Assert.Equal(0, await CountAsync(env));

        var rerun = await s.RunAsync(config, "copy");
        Assert.True(rerun.ExitCode == 0, rerun + server.Log);
        Assert.Equal(1, rerun.Summary.SnapshotsCopied);
        // The killed run's lock is stale (its PID is gone); an append-only server lets locks be removed.
        Assert.Equal(0, (await Proc.RunAsync("restic", ["unlock"], Patience.Command, env)).ExitCode);
        var check = await Proc.RunAsync("restic", ["check", "--read-data"], Patience.Command, env);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
    }

    [Fact]
    public async Task A_copy_marked_append_only_on_a_server_that_would_delete_is_refused_before_anything_is_copied()
    {
        await using var s = await Scenario.CreateAsync(host);
        var data = s.Dir.Combine("offsite-data");
        Directory.CreateDirectory(data);
        await using var server = await RestServer.StartAsync(data, [User], appendOnly: false, privateRepos: true);
        s.CreateApp("wiki", dataFiles: 2);
        Assert.Equal(0, (await s.RunAsync(s.Backup(s.App("wiki")), "backup")).ExitCode);

        var refused = await s.RunAsync(CopyJob(s, Copy(s, server)), "copy");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("would delete snapshots", refused.Summary.Error);
        Assert.False(Directory.Exists(Path.Combine(data, User, "keys")), "the copy was initialised on a server that deletes");

        var allowed = await s.RunAsync(CopyJob(s, Copy(s, server, appendOnly: false)), "copy");
        Assert.True(allowed.ExitCode == 0, allowed + server.Log);
        Assert.Equal(1, allowed.Summary.SnapshotsCopied);
    }
}
