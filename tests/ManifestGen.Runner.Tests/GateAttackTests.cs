using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Planning;
using ManifestGen.Runner.Processes;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The host boundary attacked by whoever holds a key, through the real sshd with the rendered
/// authorized_keys and allow-lists, as a non-root backup user (its ~/.ssh/authorized_keys is read by sshd:
/// a line written there is a shell). Each attack is run twice: with the host's rsync (Debian 12's) and with
/// rsync 3.2.7 built from Debian's source (scripts/attacker-rsync.sh), which follows links a previous push
/// planted; the client is that build too, which can send a raw filter rule over the protocol.
/// <para>
/// Against the gate before its sandbox (e31abc2), reproduced with the same requests: the merge rule gave
/// the first line of a file in the user's home with the 3.2.7 host rsync ("Unknown filter rule:
/// `TOPSECRET-LINE-1'") and its existence with 3.5.0; the hook's `&gt;` followed the link the restore key
/// planted and overwrote ~/.ssh/authorized_keys; setuid and setgid bits of a restore were kept; a restore
/// needed no window; the reviewer's folder-for-link race wrote ~/.ssh/authorized_keys in 5 of 5 runs.
/// </para>
/// </summary>
public sealed class GateAttackTests(NonRootGateHost host) : IClassFixture<NonRootGateHost>
{
    private const string AttackerLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAttackerAttackerAttackerAttackerAttacker attacker";

    private sealed record Setup(Scenario S, GatedHost Gate, string App, string Dir, string AuthorizedKeys, string Secret, string Client);

    /// <summary>An app owned by the backup user, the gate installed as its setup says, the user's own authorized_keys and a secret in its home.</summary>
    private async Task<Setup> SetUpAsync(string hostRsync, Func<string, string>? hooksYaml = null)
    {
        var client = (await Proc.CheckedAsync("bash", Path.Combine(GatedHost.RepoRoot(), "scripts", "attacker-rsync.sh"))).Trim();
        var hostRsyncLink = Path.Combine(host.HostBin, "rsync");
        File.Delete(hostRsyncLink);
        if (hostRsync == "3.2.7") File.CreateSymbolicLink(hostRsyncLink, client);

        var s = await Scenario.CreateAsync(host);
        var user = NonRootGateHost.User;
        var app = HostState.UniqueApp("vault");
        var dir = s.CreateApp(app, dataFiles: 2);
        // The scenario's folders are passable for the backup user; the app's folder is its own.
        foreach (var d in new[] { s.Dir.Path, s.Dir.Combine("host"), s.Dir.Combine("host", "srv") })
            File.SetUnixFileMode(d, (UnixFileMode)Convert.ToInt32("755", 8));
        await Proc.CheckedAsync("chown", "-R", $"{user.Uid}:{user.Gid}", dir);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {app}
                    paths: [{dir}]
            {hooksYaml?.Invoke(dir) ?? ""}
            """);
        // The host setup creates the log file for the backup user (the gate refuses to run without it).
        File.WriteAllText(gate.LogFile, "");
        FileOwnership.Chown(gate.LogFile, user.Uid, user.Gid);

        var ssh = Path.Combine(host.Ssh.Home, ".ssh");
        Directory.CreateDirectory(ssh);
        var keys = Path.Combine(ssh, "authorized_keys");
        File.WriteAllText(keys, "# the backup user's own keys\n");
        var secret = Path.Combine(host.Ssh.Home, "secret");
        File.WriteAllText(secret, "TOPSECRET-LINE-1\nsecond line\n");
        foreach (var f in new[] { ssh, keys, secret }) FileOwnership.Chown(f, user.Uid, user.Gid);
        return new Setup(s, gate, app, dir, keys, secret, client);
    }

    private string SshCommand(string key) =>
        $"ssh -F /dev/null -p {host.Ssh.Port.ToString(CultureInfo.InvariantCulture)} -i {key} -o IdentitiesOnly=yes -o BatchMode=yes " +
        $"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={host.Ssh.KnownHostsFile} -o GlobalKnownHostsFile=/dev/null";

    private Task<ProcessResult> RsyncAsync(Setup x, string key, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null) =>
        Proc.RunAsync(x.Client, ["-e", SshCommand(key), .. args], Patience.Command, env);

    private string Remote(string path) => $"{host.Ssh.User}@{host.Ssh.Address}:{path}";

    /// <summary>Nothing reached the user's keys, and a key that is not forced through the gate gets no shell.</summary>
    private async Task AssertNoShellAsync(Setup x)
    {
        Assert.Equal("# the backup user's own keys\n", File.ReadAllText(x.AuthorizedKeys));
        Assert.False(File.Exists(Path.Combine(host.Ssh.Home, ".ssh", "authorized_keys2")), "authorized_keys2 was written");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(host.Ssh.Home, "*", SearchOption.AllDirectories),
            p => p.Contains("pwned", StringComparison.Ordinal));
        var shell = await GateTests.SshAsync(host.Ssh, x.Gate.BackupKey, "id -u");
        Assert.DoesNotContain(NonRootGateHost.User.Uid.ToString(CultureInfo.InvariantCulture), shell.Stdout);
    }

    /// <summary>A local tree to push: each entry a relative path and either file content or "-> target" (a link).</summary>
    private static string Tree(Scenario s, params (string Path, string Content)[] entries)
    {
        var root = s.Dir.Combine("push-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        foreach (var (path, content) in entries)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            if (content.StartsWith("-> ", StringComparison.Ordinal)) File.CreateSymbolicLink(full, content[3..]);
            else if (content == "/") Directory.CreateDirectory(full);
            else File.WriteAllText(full, content);
        }
        return root;
    }

    [Theory]
    [InlineData("system")]
    [InlineData("3.2.7")]
    public async Task Should_not_let_a_merge_rule_sent_over_the_protocol_read_a_file_outside_the_app(string hostRsync)
    {
        var x = await SetUpAsync(hostRsync);
        await using var _ = x.S;
        var into = x.S.Dir.Combine("pulled");
        Directory.CreateDirectory(into);
        var r = await RsyncAsync(x, x.Gate.BackupKey, ["-a", "-vvv", Remote(x.Dir), into + "/"],
            new Dictionary<string, string?> { ["RSYNC_RAW_FILTER"] = "merge " + x.Secret });
        var output = r.Stdout + r.Stderr;
        Assert.DoesNotContain("TOPSECRET", output);
        // Not even its existence: inside the sandbox the home folder is not there at all.
        Assert.Contains("No such file or directory", output);
        Assert.Contains("rsync sender of", x.Gate.Log);
        // The restore key's receiver would read filter rules only with --delete, which a restore never sends.
        await x.Gate.OpenRestoreWindowAsync(x.App);
        var push = await RsyncAsync(x, x.Gate.RestoreKey, ["-a", "--delete", Tree(x.S, ("f", "x")) + "/", Remote(x.Dir + "/sub/")],
            new Dictionary<string, string?> { ["RSYNC_RAW_FILTER"] = "merge " + x.Secret });
        Assert.NotEqual(0, push.ExitCode);
        Assert.DoesNotContain("TOPSECRET", push.Stdout + push.Stderr);
        Assert.Contains("manifestgen-gate: refused: rsync option '--delete' with the restore key", push.Stderr);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("3.2.7")]
    public async Task Should_not_write_through_a_link_a_previous_restore_planted(string hostRsync)
    {
        var x = await SetUpAsync(hostRsync);
        await using var _ = x.S;
        var ssh = Path.Combine(host.Ssh.Home, ".ssh");
        await x.Gate.OpenRestoreWindowAsync(x.App);
        // Links are an app's content: the first push plants one that leads to the user's ~/.ssh.
        var plant = await RsyncAsync(x, x.Gate.RestoreKey, ["-a", Tree(x.S, ("x", "-> " + ssh)) + "/", Remote(x.Dir + "/")]);
        Assert.True(plant.ExitCode == 0, plant.Stderr + x.Gate.Log);
        Assert.Equal(ssh, new FileInfo(Path.Combine(x.Dir, "x")).LinkTarget);

        // Into the link: refused, nothing moved.
        var into = await RsyncAsync(x, x.Gate.RestoreKey, ["-a", Tree(x.S, ("authorized_keys", AttackerLine + "\n")) + "/", Remote(x.Dir + "/x/")]);
        Assert.NotEqual(0, into.ExitCode);
        Assert.Contains("is a link; nothing was moved", into.Stderr);
        // A file list naming x/ as a folder: the folder replaces the link, nothing goes through it.
        var over = await RsyncAsync(x, x.Gate.RestoreKey, ["-a", Tree(x.S, ("x/authorized_keys", AttackerLine + "\n")) + "/", Remote(x.Dir + "/")]);
        Assert.True(over.ExitCode == 0, over.Stderr + x.Gate.Log);
        Assert.True(Directory.Exists(Path.Combine(x.Dir, "x")) && new DirectoryInfo(Path.Combine(x.Dir, "x")).LinkTarget is null);
        await AssertNoShellAsync(x);
    }

    [Fact]
    public async Task Should_not_let_two_connections_racing_a_folder_for_a_link_write_outside_the_app()
    {
        var x = await SetUpAsync("3.2.7");
        await using var _ = x.S;
        var ssh = Path.Combine(host.Ssh.Home, ".ssh");
        await x.Gate.OpenRestoreWindowAsync(x.App);
        var asFolder = Tree(x.S, ("x", "/"));
        var asLink = Tree(x.S, ("x", "-> " + ssh));
        var payload = Tree(x.S, ("authorized_keys", AttackerLine + "\n"), ("pwned", "1"));
        // Bounded: a few rounds, each a push into x/ beside pushes that turn x into a link and back.
        for (var round = 0; round < 6; round++)
        {
            var swap = Task.Run(async () =>
            {
                for (var i = 0; i < 3; i++)
                {
                    await RsyncAsync(x, x.Gate.RestoreKey, ["-a", asLink + "/", Remote(x.Dir + "/")]);
                    await RsyncAsync(x, x.Gate.RestoreKey, ["-a", asFolder + "/", Remote(x.Dir + "/")]);
                }
            });
            var writes = Enumerable.Range(0, 3).Select(_ => RsyncAsync(x, x.Gate.RestoreKey, ["-a", payload + "/", Remote(x.Dir + "/x/")])).ToList();
            await Task.WhenAll([swap, .. writes]);
        }
        await AssertNoShellAsync(x);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("3.2.7")]
    public async Task Should_not_let_a_hook_write_through_a_link_the_restore_key_planted(string hostRsync)
    {
        var x = await SetUpAsync(hostRsync, dir => $"        hooks:\n          before: [\"echo dumped > {dir}/dump.sql\"]");
        await using var _ = x.S;
        var hook = $"echo dumped > {x.Dir}/dump.sql";
        Assert.Contains($"exec\t{x.App}\t{x.Dir}/dump.sql\t{hook}\n", x.Gate.Files[HostGatePlan.BackupAllowFile]);
        await x.Gate.OpenRestoreWindowAsync(x.App);
        var plant = await RsyncAsync(x, x.Gate.RestoreKey, ["-a", Tree(x.S, ("dump.sql", "-> " + x.AuthorizedKeys)) + "/", Remote(x.Dir + "/")]);
        Assert.True(plant.ExitCode == 0, plant.Stderr + x.Gate.Log);
        Assert.NotNull(new FileInfo(Path.Combine(x.Dir, "dump.sql")).LinkTarget);

        var ran = await GateTests.SshAsync(host.Ssh, x.Gate.BackupKey, hook);
        Assert.True(ran.ExitCode == 0, ran.Stderr + x.Gate.Log);
        var dump = new FileInfo(Path.Combine(x.Dir, "dump.sql"));
        Assert.Null(dump.LinkTarget);
        Assert.Equal("dumped\n", File.ReadAllText(dump.FullName));
        await AssertNoShellAsync(x);
    }

    [Fact]
    public async Task Should_drop_setuid_and_setgid_bits_and_refuse_a_restore_outside_an_open_window()
    {
        var x = await SetUpAsync("system");
        await using var _ = x.S;
        var tree = Tree(x.S, ("bin/tool", "#!/bin/sh\nid\n"), ("bin/group-tool", "#!/bin/sh\nid\n"), ("shared/", "/"));
        File.SetUnixFileMode(Path.Combine(tree, "bin", "tool"), (UnixFileMode)Convert.ToInt32("4755", 8));
        File.SetUnixFileMode(Path.Combine(tree, "bin", "group-tool"), (UnixFileMode)Convert.ToInt32("2755", 8));
        File.SetUnixFileMode(Path.Combine(tree, "shared"), (UnixFileMode)Convert.ToInt32("2775", 8));
        await Proc.CheckedAsync("chown", "-R", $"{NonRootGateHost.User.Uid}:{NonRootGateHost.User.Gid}", tree);
        string[] push = ["-a", tree + "/", Remote(x.Dir + "/restored/")];

        var closed = await RsyncAsync(x, x.Gate.RestoreKey, push);
        Assert.NotEqual(0, closed.ExitCode);
        Assert.Contains($"no restore window is open for '{x.App}'", closed.Stderr);
        Assert.False(Directory.Exists(Path.Combine(x.Dir, "restored")));

        await x.Gate.OpenRestoreWindowAsync(x.App);
        var open = await RsyncAsync(x, x.Gate.RestoreKey, push);
        Assert.True(open.ExitCode == 0, open.Stderr + x.Gate.Log);
        foreach (var f in new[] { "bin/tool", "bin/group-tool", "shared" })
        {
            var mode = File.GetUnixFileMode(Path.Combine(x.Dir, "restored", f));
            Assert.False(mode.HasFlag(UnixFileMode.SetUser) || mode.HasFlag(UnixFileMode.SetGroup), $"{f}: {mode}");
        }
        Assert.Contains("moved into place", x.Gate.Log);

        var closedAgain = await Proc.RunAsync("bash", [GatedHost.GateProgram, "close-restore", x.App, x.Gate.RestoreAllowList]);
        Assert.Equal(0, closedAgain.ExitCode);
        Assert.NotEqual(0, (await RsyncAsync(x, x.Gate.RestoreKey, push)).ExitCode);
        // The backup user cannot open its own window.
        var byUser = await Proc.RunAsync("setpriv", ["--reuid", NonRootGateHost.User.Uid.ToString(CultureInfo.InvariantCulture),
            "--regid", NonRootGateHost.User.Gid.ToString(CultureInfo.InvariantCulture), "--clear-groups",
            "bash", GatedHost.GateProgram, "open-restore", x.App, "1h", x.Gate.RestoreAllowList]);
        Assert.NotEqual(0, byUser.ExitCode);
        Assert.Contains("run it as root", byUser.Stderr);
    }

    [Fact]
    public async Task Should_not_let_the_drill_hash_a_file_outside_the_app_while_a_folder_is_swapped_for_a_link()
    {
        var x = await SetUpAsync("system");
        await using var _ = x.S;
        var outside = Path.Combine(host.Ssh.Home, "f");
        File.WriteAllText(outside, "outside the app\n");
        var outsideHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("outside the app\n")));
        await x.Gate.OpenRestoreWindowAsync(x.App);
        var asFolder = Tree(x.S, ("sub/f", "inside\n"));
        var asLink = Tree(x.S, ("sub", "-> " + host.Ssh.Home));
        var hash = RemoteCommands.FileHashes([Path.Combine(x.Dir, "sub", "f")]);
        // Planted first: refused by name.
        Assert.Equal(0, (await RsyncAsync(x, x.Gate.RestoreKey, ["-a", asLink + "/", Remote(x.Dir + "/")])).ExitCode);
        GateTests.AssertRefused(await GateTests.SshAsync(host.Ssh, x.Gate.BackupKey, hash), "a hash through the planted link");
        // Raced: whatever the name is when the sandbox binds the app, the home folder is not in it.
        for (var round = 0; round < 6; round++)
        {
            var swap = Task.Run(async () =>
            {
                await RsyncAsync(x, x.Gate.RestoreKey, ["-a", asLink + "/", Remote(x.Dir + "/")]);
                await RsyncAsync(x, x.Gate.RestoreKey, ["-a", asFolder + "/", Remote(x.Dir + "/")]);
            });
            var reads = Enumerable.Range(0, 3).Select(_ => GateTests.SshAsync(host.Ssh, x.Gate.BackupKey, hash)).ToList();
            await Task.WhenAll([swap, .. reads]);
            foreach (var r in reads) Assert.DoesNotContain(outsideHash, (await r).Stdout);
        }
    }

    [Fact]
    public async Task Should_log_requests_and_reasons_in_printable_ascii_only_and_refuse_without_its_log_file()
    {
        var x = await SetUpAsync("system");
        await using var _ = x.S;
        // One request the log quotes whole, one whose refusal reason quotes what the client sent.
        var allow = Path.Combine(x.S.Dir.Path, "gate", HostGatePlan.BackupAllowFile);
        foreach (var evil in new[]
                 {
                     "rsync --server --sender -x\u001b[2J\u001b[1;1Hallowed: everything . /etc\u202Eetc",
                     "cd '/srv\u001b[2J\u001b[1;1Hallowed\u202E' && docker compose ps --services --status running",
                 })
        {
            var env = new Dictionary<string, string?>
            {
                ["SSH_ORIGINAL_COMMAND"] = evil, ["LC_ALL"] = "C.UTF-8", ["LANG"] = "C.UTF-8", ["HOME"] = host.Ssh.Home,
            };
            var r = await Proc.RunAsync("bash", [GatedHost.GateProgram, allow], Patience.Command, env);
            Assert.Equal(126, r.ExitCode);
            Assert.DoesNotContain(r.Stderr, c => c != '\n' && (c < ' ' || c > '~'));
        }
        var log = x.Gate.Log;
        Assert.Contains("\\x1b[2J", log);
        Assert.Contains("\\xe2\\x80\\xae", log);
        Assert.DoesNotContain(log, c => c != '\n' && (c < ' ' || c > '~'));
        Assert.Equal(2, log.Split('\n').Count(l => l.Contains("refused", StringComparison.Ordinal)));

        // The log file gone and its folder not the user's: the gate refuses rather than log nothing.
        File.Delete(x.Gate.LogFile);
        var noLog = await GateTests.SshAsync(host.Ssh, x.Gate.BackupKey, RemoteCommands.MissingPaths([x.Dir]));
        Assert.Equal(126, noLog.ExitCode);
        Assert.Contains("cannot be created or written by mgbackup", noLog.Stderr);
        // An allow-list others may write is not trusted.
        File.WriteAllText(x.Gate.LogFile, "");
        FileOwnership.Chown(x.Gate.LogFile, NonRootGateHost.User.Uid, NonRootGateHost.User.Gid);
        File.SetUnixFileMode(allow, (UnixFileMode)Convert.ToInt32("666", 8));
        var writable = await GateTests.SshAsync(host.Ssh, x.Gate.BackupKey, RemoteCommands.MissingPaths([x.Dir]));
        Assert.Equal(126, writable.ExitCode);
        Assert.Contains("allow-list not trusted", writable.Stderr);
        File.SetUnixFileMode(allow, (UnixFileMode)Convert.ToInt32("644", 8));
        Assert.Equal(0, (await GateTests.SshAsync(host.Ssh, x.Gate.BackupKey, RemoteCommands.MissingPaths([x.Dir]))).ExitCode);
    }

    [Fact]
    public async Task The_self_test_passes_on_a_host_set_up_as_documented_and_names_what_is_wrong()
    {
        var x = await SetUpAsync("system");
        await using var _ = x.S;
        var lists = new[] { HostGatePlan.BackupAllowFile, HostGatePlan.RestoreAllowFile }.Select(f => Path.Combine(x.S.Dir.Path, "gate", f)).ToArray();
        string[] asUser = ["--reuid", NonRootGateHost.User.Uid.ToString(CultureInfo.InvariantCulture),
            "--regid", NonRootGateHost.User.Gid.ToString(CultureInfo.InvariantCulture), "--clear-groups", "env", "HOME=" + host.Ssh.Home];
        var ok = await Proc.RunAsync("setpriv", [.. asUser, "bash", GatedHost.GateProgram, "self-test", .. lists], Patience.Command);
        Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
        Assert.Contains("runs in the sandbox", ok.Stdout);
        Assert.Contains($"app {x.App}: path {x.Dir}, no link on its way", ok.Stdout);
        // Unprivileged bubblewrap: the owners it cannot show are named.
        Assert.Contains("read as owned by nobody", ok.Stdout);

        File.Delete(x.Gate.LogFile);
        var bad = await Proc.RunAsync("setpriv", [.. asUser, "bash", GatedHost.GateProgram, "self-test", .. lists], Patience.Command);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("FAIL", bad.Stdout);
        Assert.Contains("log file", bad.Stdout);
    }
}
