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

    [Fact]
    public async Task Should_not_succeed_with_a_file_that_is_rewritten_during_its_own_transfer()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = Unique("torn");
        var dir = s.CreateApp(name, dataFiles: 1);
        var hot = Path.Combine(dir, "hot.db");
        File.WriteAllBytes(hot, new byte[65536]);
        // A writer that rewrites the file in place back to back for the whole run (same size, new bytes and
        // modification time; bounded in count, stopped with the test), as a database file is rewritten.
        await using var writer = new BackgroundProcess("sh",
            ["-c", "i=0; while [ $i -lt 500000 ]; do dd if=/dev/urandom of=\"$1\" bs=65536 count=1 conv=notrunc status=none; i=$((i+1)); done", "sh", hot]);
        var app = s.App(name) with { ChangedFileRecopies = 2 };
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

    [Fact]
    public async Task Should_repair_a_damaged_mirror_file_with_the_same_size_and_mtime_on_the_periodic_checksum_pass()
    {
        await using var s = await Scenario.CreateAsync(host);
        var name = Unique("damage");
        var dir = s.CreateApp(name, dataFiles: 2);
        var file = Path.Combine(dir, "app.conf");
        var config = s.Backup(s.App(name));
        var first = await s.RunAsync(config, "backup");
        Assert.True(first.ExitCode == 0, first.ToString());

        // Damage the mirror's copy: same size, same mtime, other bytes.
        var mirror = Path.Combine(s.Mounts(config)[0].Source, "app.conf");
        // The timestamp is kept to the nanosecond with touch -r (.NET's 100 ns ticks would change it).
        var reference = mirror + ".mtime";
        Assert.True((await Proc.RunAsync("cp", ["-p", mirror, reference], TimeSpan.FromSeconds(30))).ExitCode == 0);
        var good = File.ReadAllBytes(mirror);
        var bad = (byte[])good.Clone();
        bad[0] ^= 0x20;
        File.WriteAllBytes(mirror, bad);
        Assert.True((await Proc.RunAsync("touch", ["-r", reference, mirror], TimeSpan.FromSeconds(30))).ExitCode == 0);
        File.Delete(reference);

        // The checksum pass is not due (weekly by default): the quick check keeps the damage, as rsync does.
        var second = await s.RunAsync(config, "backup");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(Encoding.UTF8.GetString(bad), await s.Repo.CheckedAsync("dump", second.Summary.SnapshotId!, file));

        var third = await s.RunAsync(s.Backup(config.App! with { ChecksumIntervalDays = 0 }), "backup");
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Equal(File.ReadAllText(file), await s.Repo.CheckedAsync("dump", third.Summary.SnapshotId!, file));
        Assert.Contains("comparing every file by checksum", third.Stderr);
    }
}
