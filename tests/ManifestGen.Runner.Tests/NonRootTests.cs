using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The runner as the rendered pods run it: uid and gid 10001, fsGroup as the only supplementary group,
/// no capabilities, no_new_privs; Secrets root-owned with mode 0440. The host side is root (real sshd).
/// </summary>
[Collection(RestoreHostCollection.Name)]
public sealed class NonRootTests(RealHost host)
{
    private const string FakeSuperStat = "user.rsync.%stat";

    /// <summary>A host app whose files belong to several users, with a restricted mode and a device node.</summary>
    private static async Task<(string Conf, string Data, string Device, string Link)> OwnedAppAsync(Scenario s, string app)
    {
        var dir = s.CreateApp(app, dataFiles: 3);
        var conf = Path.Combine(dir, "app.conf");
        var data = Path.Combine(dir, "data");
        var device = Path.Combine(dir, "null-device");
        var link = Path.Combine(dir, "current");
        FileOwnership.Chown(conf, 1234, 2345);
        File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        FileOwnership.Chown(data, 33, 33);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        await Proc.CheckedAsync("mknod", "-m", "0644", device, "c", "1", "3");
        File.CreateSymbolicLink(link, "data");
        FileOwnership.Chown(link, 1234, 2345);
        return (conf, data, device, link);
    }

    [Fact]
    public async Task I_can_back_up_as_the_non_root_pod_user_and_the_mirror_keeps_the_host_owners_modes_and_devices_in_xattrs()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (conf, data, device, _) = await OwnedAppAsync(s, "owned");
        await s.RunAsPodUserAsync();
        var config = s.Backup(s.App("owned"));

        var run = await s.RunAsync(config, "backup");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Outcome.Success, run.Summary.Outcome);

        // The mirror's files belong to the pod user; the host's owners, modes and device numbers are in xattrs.
        var mirror = s.MirrorOf(s.AppDir("owned"));
        string M(string hostPath) => Path.Combine(mirror, Path.GetRelativePath(s.AppDir("owned"), hostPath));
        Assert.StartsWith($"{PodIdentity.RunnerUid}:{PodIdentity.RunnerGid} ", await FileOwnership.StatAsync(M(conf)));
        Assert.Equal("100640 0,0 1234:2345", FileOwnership.Xattr(M(conf), FakeSuperStat));
        Assert.Equal("40750 0,0 33:33", FileOwnership.Xattr(M(data), FakeSuperStat));
        Assert.Equal("20644 1,3 0:0", FileOwnership.Xattr(M(device), FakeSuperStat));
        Assert.Contains("regular", await FileOwnership.StatAsync(M(device)));

        // restic stored the xattrs: a restore by the same user brings them back.
        var target = s.Dir.Combine("restored");
        Directory.CreateDirectory(target);
        FileOwnership.Chown(target, PodIdentity.RunnerUid, PodIdentity.RunnerGid);
        var restore = await s.RunAsync(config, "restore", "--path", conf, "--target", target);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("100640 0,0 1234:2345", FileOwnership.Xattr(target + conf, FakeSuperStat));
    }

    [Fact]
    public async Task I_can_restore_to_the_host_as_the_non_root_pod_user_and_the_host_gets_its_real_owners_modes_and_devices_back()
    {
        await using var s = await Scenario.CreateAsync(host);
        var (conf, data, device, link) = await OwnedAppAsync(s, "giveback");
        var before = new Dictionary<string, string>();
        foreach (var p in new[] { conf, data, device, link })
            before[p] = await FileOwnership.StatAsync(p);
        await s.RunAsPodUserAsync();
        var config = s.Backup(s.App("giveback"));
        var run = await s.RunAsync(config, "backup");
        Assert.True(run.ExitCode == 0, run.ToString());

        // Lose the whole app on the host, then restore it from the snapshot the non-root pod took.
        Directory.Delete(s.AppDir("giveback"), recursive: true);
        var restore = await s.RunAsync(config, "restore", "--to-host");
        Assert.True(restore.ExitCode == 0, restore.ToString());

        foreach (var (p, stat) in before)
            Assert.Equal(stat, await FileOwnership.StatAsync(p));
        Assert.Equal("1234:2345 640 regular file", before[conf]);
        Assert.Equal("0:0 644 character special file", before[device]);
        Assert.Null(FileOwnership.Xattr(conf, FakeSuperStat));
        Assert.Equal("data", new FileInfo(link).LinkTarget);
    }
}
