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
            var outside = await Proc.RunAsync("ssh", [.. ssh.SshArgs(), "--", "true"], TimeSpan.FromSeconds(30));
            Assert.Equal(255, outside.ExitCode);
        }
        var after = await Proc.RunAsync("ip", [.. ns.Prefix.Skip(1), "ssh-keyscan", "-T", "2", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1"]);
        Assert.DoesNotContain("ssh-ed25519", after.Stdout);
    }
}
