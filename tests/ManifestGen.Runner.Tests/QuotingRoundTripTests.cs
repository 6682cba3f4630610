using ManifestGen.Contracts;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>The quoting function against the real remote shell, and whole backups of hostile names (its own sshd and collection).</summary>
public sealed class QuotingRoundTripTests(RealHost host) : IClassFixture<RealHost>
{
    private static readonly string[] Names =
    [
        "with space",
        "it's",
        "\"double\"",
        "$(touch PWNED)",
        "`touch PWNED`",
        "semi;colon&amp|pipe",
        "new\nline",
        "ümlaut ☃ 日本",
        "-leading-dash",
        "*glob?[x]",
        "back\\slash",
    ];

    public static readonly TheoryData<string> NastyNames = new(Names);

    [Theory]
    [MemberData(nameof(NastyNames))]
    public async Task Should_reach_exactly_the_named_file_through_the_real_sshd(string name)
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, name);
        File.WriteAllText(file, "content of " + name);
        var ssh = new SshSession(host.Ssh.ToHostConfig("t"), dir.Path);
        var r = await ssh.RunAsync("cat -- " + ShellQuote.Quote(file), Patience.Command, CancellationToken.None);
        Assert.True(r.Succeeded, r.Stderr);
        Assert.Equal("content of " + name, r.Stdout.TrimEnd('\n'));
        Assert.False(File.Exists(Path.Combine(dir.Path, "PWNED")));
        Assert.False(File.Exists("PWNED"));
        var missing = await RemotePaths.MissingAsync(ssh, [file, file + "-absent"], new Log(TextWriter.Null), CancellationToken.None);
        Assert.Equal([file + "-absent"], missing.ToArray());
    }

    [Theory]
    [InlineData(TransferStrategy.Rsync)]
    [InlineData(TransferStrategy.Tar)]
    public async Task I_can_back_up_and_restore_an_app_whose_path_and_files_have_hostile_names(TransferStrategy strategy)
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.Dir.Combine("host", "srv", "my app's $(touch PWNED) ☃");
        Directory.CreateDirectory(dir);
        foreach (var name in Names) File.WriteAllText(Path.Combine(dir, name), "data " + name);
        var app = s.App("hostile", strategy, [dir]) with { Excludes = [] };
        var r = await s.RunAsync(s.Backup(app), "backup");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(Path.Combine(dir, "PWNED")));
        // rsync gives restic each file; the tar stream is one file.
        Assert.Equal(strategy == TransferStrategy.Tar ? 1 : Names.Length, r.Summary.FilesNew);
        if (strategy == TransferStrategy.Rsync)
        {
            var file = Path.Combine(dir, "new\nline");
            var target = s.Dir.Combine("restored");
            var restore = await s.RunAsync(s.Backup(app), "restore", "--path", file, "--target", target);
            Assert.True(restore.ExitCode == 0, restore.ToString());
            Assert.Equal("data new\nline", File.ReadAllText(Path.Join(target, file)));
        }
    }
}
