using ManifestGen.Tests.Support;
using ManifestGen.Validation.Changes;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Validation;

public sealed class ImmutableChangeTests
{
    private const string File = "out/production/manifests/persistentvolume-backup-restic.yaml";

    private static string Committed() =>
        System.IO.File.ReadAllText(Path.Combine(RepoPaths.Root, File));

    [Fact]
    public void Should_warn_when_the_nfs_source_of_a_volume_changes()
    {
        var rendered = Committed().Replace("path: /volume1/k8s-backup/restic/production", "path: /volume1/k8s-backup/restic/prod", StringComparison.Ordinal);
        var d = Assert.Single(ImmutableFieldChanges.Find(File, Committed(), rendered));
        Assert.Equal("MG1001", d.Code);
        Assert.Contains("spec.nfs", d.Message);
        Assert.Contains("delete the PersistentVolume backup-restic", d.Hint);
        Assert.True(d.Location.Line > 1);
    }

    [Fact]
    public void Should_warn_when_the_class_of_a_volume_changes()
    {
        var rendered = Committed().Replace("storageClassName: manifestgen-static", "storageClassName: nas-static", StringComparison.Ordinal);
        Assert.Equal("MG1002", Assert.Single(ImmutableFieldChanges.Find(File, Committed(), rendered)).Code);
    }

    [Fact]
    public void Should_accept_a_larger_capacity_and_a_claim_that_only_grows()
    {
        var rendered = Committed().Replace("storage: 2Ti", "storage: 3Ti", StringComparison.Ordinal);
        Assert.Empty(ImmutableFieldChanges.Find(File, Committed(), rendered));
        const string claim = "out/production/manifests/persistentvolumeclaim-restic.yaml";
        var before = System.IO.File.ReadAllText(Path.Combine(RepoPaths.Root, claim));
        Assert.Empty(ImmutableFieldChanges.Find(claim, before, before.Replace("storage: 2Ti", "storage: 3Ti", StringComparison.Ordinal)));
        var changedModes = before.Replace("- ReadWriteMany", "- ReadWriteOnce", StringComparison.Ordinal);
        Assert.Equal("MG1003", Assert.Single(ImmutableFieldChanges.Find(claim, before, changedModes)).Code);
    }

    [Fact]
    public void Should_say_in_check_what_must_be_recreated()
    {
        using var root = new TempDir();
        foreach (var dir in new[] { "values", "templates", "out" })
            CopyTree(Path.Combine(RepoPaths.Root, dir), Path.Combine(root.Path, dir));
        var env = Path.Combine(root.Path, "values", "_base.yaml");
        System.IO.File.WriteAllText(env, System.IO.File.ReadAllText(env).Replace("storageClassName: manifestgen-static", "storageClassName: nas-static", StringComparison.Ordinal));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = new ManifestGen.Cli.CliApp(stdout, stderr).Run(["check", "production", "--root", root.Path], root.Path);
        Assert.Equal(1, exit);
        Assert.Contains("MG1002", stderr.ToString());
        Assert.Contains("MG1003", stderr.ToString());
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            System.IO.File.Copy(file, target);
        }
    }
}
