using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

public sealed class FixtureTests
{
    [Fact]
    public async Task I_can_run_the_ssh_host_inside_a_network_namespace_and_it_is_gone_after_dispose()
    {
        await using var ns = await NetworkNamespace.CreateAsync();
        int port;
        await using (var ssh = await SshHost.StartAsync(new SshHostOptions { CommandPrefix = ns.Prefix, ListenAddress = "127.0.0.1", Port = 2222 }))
        {
            port = ssh.Port;
            var r = await Proc.RunAsync("ip", [.. ns.Prefix.Skip(1), "ssh", .. ssh.SshArgs(), "--", "echo reached"]);
            Assert.True(r.Succeeded, r.Stderr);
            Assert.Equal("reached", r.Stdout.Trim());
            // Outside the namespace nothing listens on that port.
            var outside = await Proc.RunAsync("ssh", [.. ssh.SshArgs(), "--", "true"], Patience.Command);
            Assert.Equal(255, outside.ExitCode);
        }
        var after = await Proc.RunAsync("ip", [.. ns.Prefix.Skip(1), "ssh-keyscan", "-T", "2", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1"]);
        Assert.DoesNotContain("ssh-ed25519", after.Stdout);
    }
}

public sealed class PrivateUserDatabaseTests
{
    /// <summary>
    /// The machine replaces /etc/passwd by rename whenever a user is added (useradd, a package install) while
    /// a test runs: the test's user stays. The machine's /etc here is an overlay in a namespace of the test's
    /// own, so the real one is not touched; the steps are ordered by fifos, not by time.
    /// </summary>
    [Fact]
    public async Task A_test_user_outlives_the_machine_replacing_its_passwd_file()
    {
        using var dir = new TempDir("mgtest-pud-");
        const string inner = "set -e; mg_etc=$1/etc; mg_passwd='runner:x:10001:10001::/nonexistent:/usr/sbin/nologin'; mg_group='runner:x:10001:'; " +
            PrivateUserDatabase.Script + "echo ready > \"$1/ready\"; read go < \"$1/go\"; getent passwd 10001; getent group 10001";
        var outer = "set -e; w=$1; mount -t tmpfs mgtest \"$w\"; mkdir \"$w/upper\" \"$w/work\" \"$w/etc\"; mkfifo \"$w/ready\" \"$w/go\"; " +
            "mount -t overlay mgtest -o \"lowerdir=/etc,upperdir=$w/upper,workdir=$w/work\" /etc; " +
            "unshare -m --propagation private -- sh -c \"$2\" sh \"$w\" & read r < \"$w/ready\"; " +
            // What useradd does: the new file is renamed over the old one.
            "cp -p /etc/passwd /etc/passwd+; mv /etc/passwd+ /etc/passwd; cp -p /etc/group /etc/group+; mv /etc/group+ /etc/group; " +
            "echo go > \"$w/go\"; wait $!";
        var r = await Proc.RunAsync("unshare", ["-m", "--propagation", "private", "--", "sh", "-c", outer, "sh", dir.Path, inner], Patience.Command);
        Assert.True(r.Succeeded, $"exit {r.ExitCode}: {r.Stdout}{r.Stderr}");
        Assert.Equal(["runner:x:10001:10001::/nonexistent:/usr/sbin/nologin", "runner:x:10001:"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

public sealed class ResticKeyFileTests
{
    [Fact]
    public void Scrypt_gives_the_test_vector_of_RFC_7914()
    {
        var key = ResticKeyFile.Scrypt("password"u8.ToArray(), "NaCl"u8.ToArray(), 1024, 8, 16, 64);
        Assert.Equal("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
            Convert.ToHexStringLower(key));
    }

    [Fact]
    public async Task A_test_repository_opens_with_its_own_password_only_and_holds_nothing_of_another()
    {
        using var one = await ResticRepo.CreateAsync();
        using var two = await ResticRepo.CreateAsync();
        var data = one.WriteWrongPassword();
        await one.CheckedAsync("backup", "--host", "t", data);
        Assert.Single(await one.SnapshotsAsync());
        Assert.Empty(await two.SnapshotsAsync());
        var key = Assert.Single(Directory.GetFiles(Path.Combine(one.Location, "keys")));
        Assert.Contains($"\"N\":{ResticKeyFile.N}", File.ReadAllText(key));
        var wrong = await one.RunAsync("snapshots", "--password-file", data);
        Assert.Equal(12, wrong.ExitCode);
    }
}
