using System.Security.Cryptography;
using ManifestGen.Contracts;
using ManifestGen.Runner.Restore;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// Restores that give back what the host had: an archive written by the non-root pod user holds the host's
/// types, owners, modes, devices, xattrs and hard links (the mirror keeps them in rsync's fake-super
/// records); a recovery from a plain copy of the repository on a machine without the cluster; dumps to a
/// folder, to standard output and onto the host.
/// </summary>
[Collection(RestoreHostCollection.Name)]
public sealed class FaithfulRestoreTests(RealHost host)
{
    /// <summary>A host app with every kind of entry a compose folder may hold, owned by several users.</summary>
    private static async Task<string> VariedAppAsync(Scenario s, string app)
    {
        var dir = s.CreateApp(app, dataFiles: 3);
        var conf = Path.Combine(dir, "app.conf");
        FileOwnership.Chown(conf, 1234, 2345);
        File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        FileOwnership.SetXattr(conf, "user.origin", "kvm");
        var data = Path.Combine(dir, "data");
        FileOwnership.Chown(data, 33, 33);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.StickyBit);
        await Proc.CheckedAsync("ln", Path.Combine(dir, "data", "blob-000.bin"), Path.Combine(dir, "blob-000.hardlink"));
        var tool = Path.Combine(dir, "tool");
        File.WriteAllText(tool, "#!/bin/sh\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.SetUser |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        await Proc.CheckedAsync("mknod", "-m", "0640", Path.Combine(dir, "null-device"), "c", "1", "3");
        await Proc.CheckedAsync("mknod", "-m", "0600", Path.Combine(dir, "loop-device"), "b", "7", "0");
        await Proc.CheckedAsync("mkfifo", "-m", "0620", Path.Combine(dir, "queue"));
        var link = Path.Combine(dir, "current");
        File.CreateSymbolicLink(link, "data/blob-001.bin");
        FileOwnership.Chown(link, 1234, 2345);
        File.CreateSymbolicLink(Path.Combine(dir, "dangling"), "/nowhere/at/all");
        return dir;
    }

    /// <summary>Every entry below <paramref name="dir"/>: type, owner, mode, device, link target, content hash, user xattrs, mtime; and its hard-link group.</summary>
    private static SortedDictionary<string, string> Describe(string dir)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var inodes = new Dictionary<(ulong, ulong), string>();
        void Walk(string path, string rel)
        {
            var m = Native.Lstat(path);
            var content = m.Type switch
            {
                FileMeta.Regular => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))[..16],
                FileMeta.Link => "-> " + new FileInfo(path).LinkTarget,
                FileMeta.CharDevice or FileMeta.BlockDevice => "dev " + (Proc.CheckedAsync("stat", "-c", "%t,%T", path).Result.Trim()),
                _ => "",
            };
            var xattrs = string.Join(",", Native.Xattrs(path).Where(x => x.Key.StartsWith("user.", StringComparison.Ordinal))
                .Select(x => x.Key + "=" + System.Text.Encoding.UTF8.GetString(x.Value)));
            var hard = "";
            if (m.Type == FileMeta.Regular && m.Links > 1)
                hard = inodes.TryGetValue((m.Device, m.Inode), out var first) ? " hardlink-of " + first : " (" + m.Links + " links)";
            if (m.Type == FileMeta.Regular && m.Links > 1) inodes.TryAdd((m.Device, m.Inode), rel);
            var mtime = m.Type == FileMeta.Link ? "" : " mtime " + m.MtimeSeconds;
            result[rel] = $"{Convert.ToString(m.Mode, 8)} {m.Uid}:{m.Gid} {content} [{xattrs}]{hard}{mtime}";
            if (m.Type == FileMeta.Directory)
                foreach (var child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
                    Walk(child, rel + "/" + Path.GetFileName(child));
        }
        Walk(dir, ".");
        return result;
    }

    private static async Task<string> ExtractAsRootAsync(string archive, string into)
    {
        Directory.CreateDirectory(into);
        await Proc.CheckedAsync("tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", archive, "-C", into);
        return into;
    }

    private static void AssertSameTree(string expected, string actual)
    {
        var want = Describe(expected);
        var got = Describe(actual);
        Assert.Equal(string.Join("\n", want.Select(kv => kv.Key + " " + kv.Value)), string.Join("\n", got.Select(kv => kv.Key + " " + kv.Value)));
    }

    [Fact]
    public async Task I_can_restore_a_whole_app_as_the_pod_user_into_an_archive_that_holds_the_hosts_types_owners_modes_xattrs_and_hard_links()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = await VariedAppAsync(s, "faithful");
        await s.RunAsPodUserAsync();
        var config = s.Backup(s.App("faithful"));
        var backup = await s.RunAsync(config, "backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var claim = s.Dir.Combine("claim");
        Directory.CreateDirectory(claim);
        FileOwnership.Chown(claim, PodIdentity.RunnerUid, PodIdentity.RunnerGid);
        var restore = await s.RunAsync(config, "restore", "--archive", claim);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var archive = Assert.Single(Directory.GetFiles(claim));
        Assert.Equal($"{s.HostName}-faithful-{restore.Summary.SnapshotId![..8]}.tar", Path.GetFileName(archive));
        Assert.Empty(Directory.GetFiles(claim, "*.partial"));

        var extracted = await ExtractAsRootAsync(archive, s.Dir.Combine("extracted"));
        AssertSameTree(dir, extracted + dir);
        // Entries in path order, each folder before what it holds.
        var listing = (await Proc.CheckedAsync("tar", "-tf", archive)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(listing.Order(StringComparer.Ordinal), listing);
    }

    [Fact]
    public async Task I_can_recover_the_hosts_tree_from_a_plain_copy_of_the_repository_on_a_machine_without_the_cluster()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = await VariedAppAsync(s, "recover");
        await s.RunAsPodUserAsync();
        var config = s.Backup(s.App("recover"));
        var backup = await s.RunAsync(config, "backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        // The cluster is gone: a plain copy of the repository's files (as from the NAS), the password,
        // and the app's job configuration from out/; the runner runs as root on this machine, outside any pod.
        using var machine = new TempDir("mgtest-recovery-");
        var copy = machine.Combine("repository");
        await Proc.CheckedAsync("cp", "-r", s.Repo.Location, copy);
        var password = machine.Write("password", File.ReadAllText(s.Repo.PasswordFile));
        var jobConfig = RunnerProcess.WriteConfig(machine.Path, config);
        Directory.Delete(s.Repo.Location, recursive: true); // nothing reads the original any more

        var listed = await RunnerProcess.RunAsync(jobConfig, ["snapshots", "--json", "--repository", copy, "--password-file", password]);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains(backup.Summary.SnapshotId!, listed.Stdout);

        var output = machine.Combine("out");
        Directory.CreateDirectory(output);
        var restore = await RunnerProcess.RunAsync(jobConfig, ["restore", "--archive", output, "--repository", copy, "--password-file", password]);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var extracted = await ExtractAsRootAsync(Assert.Single(Directory.GetFiles(output)), machine.Combine("root"));
        AssertSameTree(dir, extracted + dir);

        // What plain `restic restore` gives instead: the mirror's encoding, links and devices as small files.
        var plain = machine.Combine("plain");
        var env = new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = copy, ["RESTIC_PASSWORD_FILE"] = password, ["RESTIC_CACHE_DIR"] = machine.Combine("cache") };
        var plainRestore = await Proc.RunAsync("restic", ["restore", "latest", "--target", plain], env: env);
        Assert.True(plainRestore.Succeeded, plainRestore.Stderr);
        Assert.Equal(FileMeta.Regular, Native.Lstat(plain + dir + "/current").Type);
        Assert.Equal(FileMeta.Regular, Native.Lstat(plain + dir + "/null-device").Type);
        Assert.Equal($"{PodIdentity.RunnerUid}:{PodIdentity.RunnerGid}", $"{Native.Lstat(plain + dir + "/app.conf").Uid}:{Native.Lstat(plain + dir + "/app.conf").Gid}");
        Assert.Equal("100640 0,0 1234:2345", FileOwnership.Xattr(plain + dir + "/app.conf", HostArchive.StatXattr));
    }

    [Fact]
    public async Task I_can_restore_a_dump_into_a_folder_to_standard_output_and_onto_the_host_below_the_apps_paths()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("dumped");
        var app = s.App("dumped") with
        {
            Hooks = new HooksConfig { Dumps = [new DumpStream { Name = "db", Command = $"cat '{dir}/app.conf'; echo '-- end of dump'", FileName = "dumped.sql" }] },
        };
        var config = s.Backup(app);
        var backup = await s.RunAsync(config, "backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var dumpId = Assert.Single(backup.Summary.DumpSnapshotIds);
        var expected = File.ReadAllText(Path.Combine(dir, "app.conf")) + "-- end of dump\n";

        // Into a folder: the dump's own name below it.
        var folder = s.Dir.Combine("claim");
        var intoFolder = await s.RunAsync(config, "restore", "--dump", "db", "--target", folder);
        Assert.True(intoFolder.ExitCode == 0, intoFolder.ToString());
        Assert.Equal(dumpId, intoFolder.Summary.SnapshotId);
        Assert.Equal(expected, File.ReadAllText(Path.Combine(folder, "dumped.sql")));

        // To standard output: the dump and nothing else, on either stream.
        var toStdout = await s.RunAsync(config, "restore", "--dump", "db", "--stdout");
        Assert.True(toStdout.ExitCode == 0, toStdout.ToString());
        Assert.Equal(expected, toStdout.Stdout);
        Assert.Equal("", toStdout.Stderr);

        // Onto the host: only below the app's paths, and not over an existing file without --force.
        var outside = await s.RunAsync(config, "restore", "--dump", "db", "--to-host", "--path", "/dumped.sql");
        Assert.Equal(2, outside.ExitCode);
        Assert.Contains("is not one of app dumped's paths", outside.Summary.Error);
        var onHost = Path.Combine(dir, "restored", "dumped.sql");
        var toHost = await s.RunAsync(config, "restore", "--dump", "db", "--to-host", "--path", onHost);
        Assert.True(toHost.ExitCode == 0, toHost.ToString());
        Assert.Equal(expected, File.ReadAllText(onHost));
        var again = await s.RunAsync(config, "restore", "--dump", "db", "--to-host", "--path", onHost);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("pass --force", again.Summary.Error);

        // A dump nobody took is named as such.
        var unknown = await s.RunAsync(config, "restore", "--dump", "nightly", "--stdout");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no snapshot of dump nightly", unknown.Stderr);
    }
}
