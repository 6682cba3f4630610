using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;
using Xunit.Abstractions;

namespace ManifestGen.Runner.Tests;

[Collection(GateHostCollection.Name)]
public sealed class DrillTests(RealHost host, ITestOutputHelper output)
{
    [Fact]
    public async Task The_drill_compares_a_sample_of_unchanged_files_and_skips_the_changed_ones()
    {
        await using var s = await Scenario.CreateAsync(host);
        var dir = s.CreateApp("notes", dataFiles: 8, fileSize: 32 * 1024);
        var config = s.Backup(s.App("notes"));
        Assert.Equal(0, (await s.RunAsync(config, "backup")).ExitCode);
        // Changed since the snapshot: not a mismatch, just not comparable.
        File.AppendAllText(Path.Combine(dir, "app.conf"), "changed = after the backup\n");
        File.SetLastWriteTimeUtc(Path.Combine(dir, "app.conf"), DateTime.UtcNow.AddMinutes(5));

        var drill = await s.RunAsync(config, "drill");
        output.WriteLine(drill.ToString());
        Assert.Equal(0, drill.ExitCode);
        Assert.Equal(Outcome.Success, drill.Summary.Outcome);
        Assert.Equal("drill", drill.Summary.Command);
        Assert.Equal(9, drill.Summary.FilesRestored); // compose.yaml and 8 data files; app.conf changed
        Assert.Contains("identical to host", drill.Stderr);
    }

    [Fact]
    public async Task The_drill_fails_loudly_when_the_snapshot_is_damaged()
    {
        await using var s = await Scenario.CreateAsync(host);
        s.CreateApp("ledger", dataFiles: 8, fileSize: 32 * 1024);
        var config = s.Backup(s.App("ledger"));
        Assert.Equal(0, (await s.RunAsync(config, "backup")).ExitCode);
        Assert.Equal(0, (await s.RunAsync(config, "drill")).ExitCode);

        // Bit rot on the NAS: one byte flipped in every pack file of the repository.
        var packs = Directory.GetFiles(Path.Combine(s.Repo.Location, "data"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(packs);
        foreach (var pack in packs)
        {
            File.SetUnixFileMode(pack, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var bytes = File.ReadAllBytes(pack);
            bytes[bytes.Length / 2] ^= 0x5A;
            File.WriteAllBytes(pack, bytes);
        }

        var drill = await s.RunAsync(config, "drill");
        output.WriteLine(drill.ToString());
        Assert.Equal(1, drill.ExitCode);
        Assert.Equal(Outcome.Failure, drill.Summary.Outcome);
        Assert.Contains("drill", drill.Summary.Error);
    }
}
