using ManifestGen.Contracts;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// A restore writes only the app's own data, from the app's own snapshots, and never follows a link out
/// of the restore: real sshd, restic and rsync, the runner as the pods' non-root user.
/// </summary>
[Collection(RestoreHostCollection.Name)]
public sealed class RestoreHardeningTests(RealHost host)
{
    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static string RunContextAppTag(string app) => SnapshotTags.App(app);

    /// <summary>
    /// A snapshot taken before the runner used rsync --fake-super (or by restic directly) holds a real link;
    /// one the pod user takes holds the link as a plain file with its type in an xattr, so the pod never
    /// holds a link to follow. Both must restore the link as a link and copy nothing of the pod.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Should_restore_a_link_to_the_pods_secrets_as_a_link_and_copy_nothing_of_the_pod_onto_the_host(bool snapshotHoldsRealLink)
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("linked", dataFiles: 2);
        // The folder the runner's pod mounts its Secrets from, as the snapshot's link target.
        var secrets = s.Dir.Combine("secrets");
        var config = Path.Combine(dir, "config");
        File.CreateSymbolicLink(config, secrets);
        if (snapshotHoldsRealLink)
            await s.Repo.CheckedAsync("backup", "--host", s.HostName, "--tag", RunContextAppTag("linked"), dir);
        await s.RunAsPodUserAsync();
        var keyFile = Path.Combine(secrets, "ssh-privatekey");
        var job = s.Backup(s.App("linked"));
        if (!snapshotHoldsRealLink)
        {
            var backup = await s.RunAsync(job, "backup");
            Assert.True(backup.ExitCode == 0, backup.ToString());
        }

        File.Delete(config);
        var restore = await s.RunAsync(job, "restore", "--path", config, "--to-host");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.True(IsLink(config), "the link comes back as a link, not as a folder holding copies of its target");
        Assert.Equal(secrets, new FileInfo(config).LinkTarget);

        // A path behind the link would be read from the pod itself: refused, and nothing written.
        File.Delete(config);
        var behind = await s.RunAsync(job, "restore", "--path", Path.Combine(config, Path.GetFileName(keyFile)), "--to-host");
        Assert.Equal(1, behind.ExitCode);
        Assert.False(File.Exists(config) || Directory.Exists(config) || IsLink(config), "nothing was written onto the host");

        // The whole app: the link is restored as a link, the pod's key is nowhere under the app.
        Directory.Delete(dir, recursive: true);
        var whole = await s.RunAsync(job, "restore", "--to-host");
        Assert.True(whole.ExitCode == 0, whole.ToString());
        Assert.True(IsLink(config));
        var key = File.ReadAllBytes(keyFile);
        foreach (var file in Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            if (!IsLink(file) && !IsLink(Path.GetDirectoryName(file)!))
                Assert.NotEqual(key, File.ReadAllBytes(file));
    }

    [Fact]
    public async Task Should_refuse_a_snapshot_of_another_app_or_another_host()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("mine", dataFiles: 1);
        s.CreateApp("theirs", dataFiles: 1);
        var mine = s.Backup(s.App("mine"));
        var theirs = s.Backup(s.App("theirs"));
        Assert.Equal(0, (await s.RunAsync(mine, "backup")).ExitCode);
        var other = await s.RunAsync(theirs, "backup");
        Assert.Equal(0, other.ExitCode);
        var otherHost = mine with { Host = mine.Host! with { Name = "kvm-other" } };
        var elsewhere = await s.RunAsync(otherHost, "backup");
        Assert.Equal(0, elsewhere.ExitCode);

        var target = s.Dir.Combine("restore");
        foreach (var id in new[] { other.Summary.SnapshotId!, other.Summary.SnapshotId![..8], elsewhere.Summary.SnapshotId! })
        {
            var r = await s.RunAsync(mine, "restore", "--snapshot", id, "--target", target);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("is not a snapshot of app mine from host kvm-test", r.Summary.Error);
        }
        Assert.False(Directory.Exists(target), "nothing was restored");
    }

    [Fact]
    public async Task Should_refuse_a_path_outside_the_apps_paths()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("fenced", dataFiles: 1);
        var job = s.Backup(s.App("fenced"));
        Assert.Equal(0, (await s.RunAsync(job, "backup")).ExitCode);
        foreach (var path in new[] { "/etc/shadow", dir + "/../other", dir + "-sibling", Path.GetDirectoryName(dir)! })
        {
            var r = await s.RunAsync(job, "restore", "--path", path, "--to-host", "--force");
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("is not one of app fenced's paths", r.Summary.Error);
        }
        var inside = await s.RunAsync(job, "restore", "--path", Path.Combine(dir, "app.conf"), "--target", s.Dir.Combine("restore"));
        Assert.True(inside.ExitCode == 0, inside.ToString());
    }
}
