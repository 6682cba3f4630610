using System.Collections.Immutable;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>What the transfer stores is what the host has: one exclude meaning, no torn file, no lasting damage.</summary>
[Collection(TransferHostCollection.Name)]
public sealed class TransferTests(RealHost host)
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The snapshot's paths below <paramref name="root"/>, whatever the strategy stored.</summary>
    private static async Task<string[]> ListAsync(Scenario s, RunSummary summary, TransferStrategy strategy, string root)
    {
        IEnumerable<string> paths;
        if (strategy == TransferStrategy.Tar)
        {
            var archive = s.Dir.Write(Unique("list") + ".tar", "");
            var dump = await Proc.RunAsync("sh", ["-c", "restic dump \"$1\" \"$2\" > \"$3\" && tar -tf \"$3\"", "sh", summary.SnapshotId!, "/" + summary.App + ".tar", archive],
                env: s.Repo.Environment);
            Assert.True(dump.Succeeded, dump.Stderr);
            paths = dump.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => "/" + p.TrimEnd('/'));
        }
        else
        {
            var ls = await s.Repo.CheckedAsync("ls", summary.SnapshotId!);
            paths = ls.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('/'));
        }
        return [.. paths.Where(p => p == root || p.StartsWith(root + "/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task Should_give_one_exclude_list_the_same_meaning_in_rsync_tar_and_sshfs()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = Unique("excl");
        var dir = s.CreateApp(name, dataFiles: 2);
        foreach (var f in new[] { "logs/app.log", "logs/old/x.log", "cache/a.tmp", "data/keep.txt", "data/nested/b.tmp", "sub/logs/kept.log" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, f))!);
            File.WriteAllText(Path.Combine(dir, f), f);
        }
        // The README's form: an absolute path (anchored at the host's root) and a pattern for any depth.
        var excludes = new[] { dir + "/logs", "*.tmp" }.ToImmutableArray();
        var expected = Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Append(dir)
            .Where(p => !p.StartsWith(dir + "/logs", StringComparison.Ordinal) && !p.EndsWith(".tmp", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Contains(dir + "/sub/logs/kept.log", expected);

        foreach (var strategy in new[] { TransferStrategy.Rsync, TransferStrategy.Tar, TransferStrategy.Sshfs })
        {
            var app = s.App(name, strategy) with { Name = name + "-" + strategy.ToString().ToLowerInvariant(), Paths = [dir], Excludes = excludes };
            var r = await s.RunAsync(s.Backup(app), "backup");
            Assert.True(r.ExitCode == 0, strategy + ": " + r);
            Assert.Equal(expected, await ListAsync(s, r.Summary, strategy, dir));
        }
    }

    /// <summary>Link targets of the snapshot's symlinks below <paramref name="root"/>, from `restic ls -l` ("PATH -> TARGET").</summary>
    private static async Task<Dictionary<string, string>> LinkTargetsAsync(Scenario s, string snapshotId, string root)
    {
        var ls = await s.Repo.CheckedAsync("ls", "-l", snapshotId, root);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in ls.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('L')))
        {
            var path = line.IndexOf(" " + root, StringComparison.Ordinal);
            var arrow = line.IndexOf(" -> ", StringComparison.Ordinal);
            if (path >= 0 && arrow > path) links[line[(path + 1)..arrow]] = line[(arrow + 4)..];
        }
        return links;
    }

    [Fact]
    public async Task Should_store_absolute_and_relative_symlinks_read_through_sshfs_exactly_as_the_host_has_them()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = Unique("links");
        var dir = s.CreateApp(name, dataFiles: 1);
        Directory.CreateDirectory(Path.Combine(dir, "releases", "3"));
        File.WriteAllText(Path.Combine(dir, "releases", "3", "VERSION"), "3\n");
        // Absolute links inside and outside the app, a relative one, and one that dangles.
        File.CreateSymbolicLink(Path.Combine(dir, "current"), Path.Combine(dir, "releases", "3"));
        File.CreateSymbolicLink(Path.Combine(dir, "resolv"), "/etc/resolv.conf");
        File.CreateSymbolicLink(Path.Combine(dir, "previous"), "releases/2");
        File.CreateSymbolicLink(Path.Combine(dir, "up"), "../" + name + "/releases/3/VERSION");
        var onHost = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var link in new[] { "current", "resolv", "previous", "up" })
            onHost[Path.Combine(dir, link)] = new FileInfo(Path.Combine(dir, link)).LinkTarget!;
        Assert.StartsWith("/", onHost[Path.Combine(dir, "current")]);

        // (rsync's mirror keeps links as files with their type in an xattr, --fake-super: they become links on the host.)
        var r = await s.RunAsync(s.Backup(s.App(name, TransferStrategy.Sshfs)), "backup");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(Outcome.Success, r.Summary.Outcome);
        var stored = await LinkTargetsAsync(s, r.Summary.SnapshotId!, dir);
        Assert.True(onHost.OrderBy(k => k.Key, StringComparer.Ordinal).SequenceEqual(stored.OrderBy(k => k.Key, StringComparer.Ordinal)),
            $"stored {string.Join(", ", stored)}\n{await s.Repo.CheckedAsync("ls", "-l", r.Summary.SnapshotId!)}");
    }

    [Fact]
    public async Task Should_fail_naming_the_files_the_ssh_user_cannot_read_through_sshfs_and_only_warn_with_the_opt_out()
    {
        // The host's SSH user is not root here, so the host's permissions apply to what sshfs can read.
        var login = new LoginUser("mgbackup", 59998, 59998);
        await using var sshd = await SshHost.StartAsync(new SshHostOptions { ExtraPath = [host.FakeBin], LoginUser = login });
        await using var s = await Scenario.CreateAsync(host);
        var name = Unique("unreadable");
        var dir = s.CreateApp(name, dataFiles: 2);
        // The way down to the app is open to everyone, as on a host; two entries are root's alone.
        for (var d = dir; d.Length > s.Dir.Path.Length - 1; d = Path.GetDirectoryName(d)!)
            File.SetUnixFileMode(d, File.GetUnixFileMode(d) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var secret = Path.Combine(dir, "secret.key");
        File.WriteAllText(secret, "root only\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var closed = Path.Combine(dir, "private");
        Directory.CreateDirectory(closed);
        File.WriteAllText(Path.Combine(closed, "inner.txt"), "hidden\n");
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var readable = Path.Combine(dir, "app.conf");
        var probe = await Proc.RunAsync("ssh", [.. sshd.SshArgs(), "id -u; cat " + ShellQuote.Quote(readable) + "; cat " + ShellQuote.Quote(secret)], Patience.Command);
        Assert.StartsWith("59998\n", probe.Stdout);
        Assert.Contains("Permission denied", probe.Stderr);

        var app = s.App(name, TransferStrategy.Sshfs);
        var config = s.Backup(app) with { Host = sshd.ToHostConfig(s.HostName) };
        var failed = await s.RunAsync(config, "backup");
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Equal(Outcome.Failure, failed.Summary.Outcome);
        Assert.Contains(secret, failed.Summary.Error);
        Assert.Contains(closed, failed.Summary.Error);
        Assert.Contains("partialIsFailure", failed.Summary.Error);
        Assert.Contains(failed.Summary.Warnings, w => w.Contains(secret, StringComparison.Ordinal));

        var warned = await s.RunAsync(config with { App = app with { PartialIsFailure = false } }, "backup");
        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Equal(Outcome.Warning, warned.Summary.Outcome);
        Assert.Contains(warned.Summary.Warnings, w => w.Contains(secret, StringComparison.Ordinal) && w.Contains(closed, StringComparison.Ordinal));
        // What the user can read is stored as the host has it.
        Assert.Equal(File.ReadAllText(readable), await s.Repo.CheckedAsync("dump", warned.Summary.SnapshotId!, readable));
    }

    /// <summary>
    /// While <paramref name="hot"/> keeps changing, a backup fails naming it and stores nothing; with
    /// changedFileIsFailure false it succeeds with a warning that names it.
    /// </summary>
    private static async Task AssertKeptChangingAsync(Scenario s, AppConfig app, string hot)
    {
        app = app with { ChangedFileRecopies = 2 };
        var failed = await s.RunAsync(s.Backup(app), "backup");
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.True(failed.Summary.Error?.Contains("kept changing during the transfer", StringComparison.Ordinal) == true, failed.ToString());
        Assert.Contains(hot, failed.Summary.Error);
        Assert.Empty(await s.Repo.SnapshotsAsync());

        var warned = await s.RunAsync(s.Backup(app with { ChangedFileIsFailure = false }), "backup");
        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.Equal(Outcome.Warning, warned.Summary.Outcome);
        Assert.Contains(warned.Summary.Warnings, w => w.Contains(hot, StringComparison.Ordinal));
    }

    /// <param name="mtimePutBack">
    /// false: the writer rewrites the file in place back to back (same size, new bytes and modification time),
    /// as a database file is rewritten; rsync's quick check sees it. true: after every write it puts the
    /// modification time back to the nanosecond (touch -r, as cp -p or a database that keeps its file times
    /// does), so only the change time and the bytes move: the host's file states see it. Bounded in count,
    /// stopped with the test.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_not_succeed_with_a_file_that_is_rewritten_during_its_own_transfer(bool mtimePutBack)
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = Unique("torn");
        var dir = s.CreateApp(name, dataFiles: 1);
        var hot = Path.Combine(dir, "hot.db");
        File.WriteAllBytes(hot, new byte[65536]);
        var stamp = s.Dir.Write(Unique("stamp"), "");
        var putBack = mtimePutBack ? "touch -r \"$2\" \"$1\"; " : "";
        await using var writer = new BackgroundProcess("sh",
            ["-c", "touch -r \"$1\" \"$2\"; i=0; while [ $i -lt 200000 ]; do dd if=/dev/urandom of=\"$1\" bs=65536 count=1 conv=notrunc status=none; " + putBack + "i=$((i+1)); done", "sh", hot, stamp]);
        await AssertKeptChangingAsync(s, s.App(name), hot);
    }

    [Fact]
    public async Task Should_fetch_a_mirror_file_damaged_with_the_same_size_and_mtime_again_at_the_next_run_and_warn()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = Unique("damage");
        var dir = s.CreateApp(name, dataFiles: 2);
        var file = Path.Combine(dir, "app.conf");
        var config = s.Backup(s.App(name));
        var first = await s.RunAsync(config, "backup");
        Assert.True(first.ExitCode == 0, first.ToString());
        // The first copy fetches every file whole: no comparison by content against an empty mirror.
        Assert.DoesNotContain("comparing every file by checksum", first.Stderr);
        Assert.Contains("every file is fetched whole", first.Stderr);

        // Damage the mirror's copy: same size, same mtime, other bytes.
        var mirror = Path.Combine(s.Mounts(config)[0].Source, "app.conf");
        // The timestamp is kept to the nanosecond with touch -r (.NET's 100 ns ticks would change it).
        var reference = mirror + ".mtime";
        Assert.True((await Proc.RunAsync("cp", ["-p", mirror, reference], Patience.Command)).ExitCode == 0);
        var good = File.ReadAllBytes(mirror);
        var bad = (byte[])good.Clone();
        bad[0] ^= 0x20;
        File.WriteAllBytes(mirror, bad);
        Assert.True((await Proc.RunAsync("touch", ["-r", reference, mirror], Patience.Command)).ExitCode == 0);
        File.Delete(reference);

        // The checksum pass is not due (weekly by default) and rsync's quick check would keep the damage; the
        // mirror file's change time, after the end of the last pull, gives it away: fetched again, warned.
        var second = await s.RunAsync(config, "backup");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.DoesNotContain("comparing every file by checksum", second.Stderr);
        Assert.Equal(File.ReadAllText(file), await s.Repo.CheckedAsync("dump", second.Summary.SnapshotId!, file));
        Assert.Equal(good, File.ReadAllBytes(mirror));
        Assert.Equal(Outcome.Warning, second.Summary.Outcome);
        Assert.Contains(second.Summary.Warnings, w => w.Contains("changed since the last run without a transfer", StringComparison.Ordinal) && w.Contains(file, StringComparison.Ordinal));

        // A run with nothing damaged warns about nothing; the periodic checksum pass still runs when due.
        var third = await s.RunAsync(s.Backup(config.App! with { ChecksumIntervalDays = 0 }), "backup");
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Empty(third.Summary.Warnings);
        Assert.Contains("comparing every file by checksum", third.Stderr);
    }
}
