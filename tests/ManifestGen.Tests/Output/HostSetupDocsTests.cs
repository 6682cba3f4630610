using ManifestGen.Planning;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Output;

/// <summary>The README's host setup shows the files the generator renders for a host, as rendered.</summary>
public sealed class HostSetupDocsTests
{
    private static string Section()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var start = readme.IndexOf("### Host setup: the gate and its keys", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no host setup section");
        var end = readme.IndexOf("\n### ", start + 1, StringComparison.Ordinal);
        return readme[start..end];
    }

    private static string Rendered(string file) =>
        File.ReadAllText(Path.Combine(RepoPaths.Out, "test-cluster", HostGatePlan.Folder, "kvm-lab", file));

    [Fact]
    public void The_README_shows_the_rendered_backup_allow_list_byte_for_byte()
    {
        Assert.Contains("```\n" + Rendered(HostGatePlan.BackupAllowFile) + "```\n", Section());
    }

    [Fact]
    public void The_README_shows_the_rendered_authorized_keys_options_of_both_keys()
    {
        var section = Section();
        var lines = Rendered(HostGatePlan.AuthorizedKeysFile).Split('\n').Where(l => l.StartsWith("restrict,", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        foreach (var line in lines)
            Assert.Contains(line[..(line.IndexOf("\" ", StringComparison.Ordinal) + 1)] + " ssh-ed25519 AAAA…", section);
        foreach (var file in new[] { HostGatePlan.BackupAllowFile, HostGatePlan.RestoreAllowFile })
            Assert.Contains($"out/<env>/hosts/<host>/{file}", section);
    }
}
