using System.Collections.Immutable;
using System.Diagnostics;
using ManifestGen.Tests.Support;
using ManifestGen.Diagnostics;
using Xunit.Abstractions;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Validation;

/// <summary>
/// The corpus under tests/cases: base-valid.yaml yields nothing; each invalid/&lt;case&gt;/ holds an
/// inventory, the codes it must produce (`codes`, written by hand) and the full report
/// (`expected.txt`, rewritten by UPDATE_SNAPSHOTS=1 only where it differs).
/// </summary>
public sealed class ValidationCorpusTests(ITestOutputHelper output)
{
    private static readonly string Cases = Path.Combine(RepoPaths.Root, "tests", "cases");

    public static TheoryData<string> InvalidCases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(Cases, "invalid")).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    public static TheoryData<string> ValidCases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(Cases, "valid")).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void Should_not_flag_near_misses(string name)
    {
        var dir = Path.Combine(Cases, "valid", name);
        var diagnostics = ValidationHarness.Validate(Path.Combine(dir, "inventory.yaml"), dir);
        Assert.True(diagnostics.All(d => d.Severity == Severity.Info), ValidationHarness.Report(diagnostics, dir));
    }

    [Fact]
    public void Should_find_nothing_in_the_base_inventory()
    {
        var diagnostics = ValidationHarness.Validate(Path.Combine(Cases, "base-valid.yaml"), Cases);
        Assert.True(diagnostics.IsEmpty, ValidationHarness.Report(diagnostics, Cases));
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Should_report_the_mistake_of_each_invalid_inventory(string name)
    {
        var dir = Path.Combine(Cases, "invalid", name);
        var diagnostics = ValidationHarness.Validate(Path.Combine(dir, "inventory.yaml"), dir);
        var report = ValidationHarness.Report(diagnostics, dir);
        output.WriteLine(report);
        var codes = ExpectedCodes(dir);
        Assert.NotEmpty(codes);
        foreach (var code in codes)
            Assert.True(diagnostics.Any(d => d.Code == code), $"{name}: expected {code}\n{report}");
        Assert.All(diagnostics, d => Assert.True(d.Location.Line > 0 && d.Location.File.Length > 0, $"{name}: no position: {d}"));
        Assert.DoesNotContain(diagnostics, d => d.Code == DiagnosticCatalogue.InternalCheckError.Code);
        Golden.AssertRepoFile(Path.Combine("tests", "cases", "invalid", name, "expected.txt"), report);
    }

    [Fact]
    public void Should_have_at_least_sixty_invalid_inventories_covering_every_inventory_rule()
    {
        var dirs = Directory.GetDirectories(Path.Combine(Cases, "invalid"));
        Assert.True(dirs.Length >= 60, $"only {dirs.Length} cases");
        var covered = dirs.SelectMany(d => ExpectedCodes(d)).ToImmutableHashSet();
        var uncovered = DiagnosticCatalogue.All.Where(r => IsInventoryRule(r.Code) && !covered.Contains(r.Code)).Select(r => r.Code).ToList();
        Assert.True(uncovered.Count == 0, "rules without a case: " + string.Join(", ", uncovered));
    }

    [Fact]
    public async Task Should_hold_exactly_the_cases_its_script_writes()
    {
        using var fresh = new TempDir();
        var start = new ProcessStartInfo("python3") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Cases, "make-cases.py"));
        start.ArgumentList.Add(fresh.Path);
        using (var process = Process.Start(start)!)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            Assert.True(process.WaitForExit(Patience.Command), "make-cases.py did not finish");
            Assert.True(process.ExitCode == 0, await stderr);
        }
        // expected.txt is the tests' own output (UPDATE_SNAPSHOTS=1), not the script's.
        static SortedDictionary<string, string> Files(string root, string kind) =>
            new(Directory.EnumerateFiles(Path.Combine(root, kind), "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f) != "expected.txt")
                .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText), StringComparer.Ordinal);
        foreach (var kind in new[] { "invalid", "valid" })
        {
            var (committed, written) = (Files(Cases, kind), Files(fresh.Path, kind));
            var stale = committed.Keys.Except(written.Keys).ToList();
            var missing = written.Keys.Except(committed.Keys).ToList();
            var changed = written.Keys.Intersect(committed.Keys).Where(k => written[k] != committed[k]).ToList();
            Assert.True(stale.Count + missing.Count + changed.Count == 0,
                $"tests/cases/{kind} is not what `python3 tests/cases/make-cases.py` writes: stale {string.Join(", ", stale)}; missing {string.Join(", ", missing)}; changed {string.Join(", ", changed)}");
            var withoutReport = Directory.GetDirectories(Path.Combine(Cases, kind)).Where(d => kind == "invalid" && !File.Exists(Path.Combine(d, "expected.txt"))).ToList();
            Assert.True(withoutReport.Count == 0, "cases without expected.txt (run the tests with UPDATE_SNAPSHOTS=1): " + string.Join(", ", withoutReport));
        }
    }

    // Codes that a single inventory can trigger: not I/O, internal, rendering/cross-object or out/ comparison codes.
    private static bool IsInventoryRule(string code) =>
        code is not ("MG0001" or "MG0005" or "MG0099") && !code.StartsWith("MG09", StringComparison.Ordinal) && !code.StartsWith("MG10", StringComparison.Ordinal);

    private static ImmutableArray<string> ExpectedCodes(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, "codes")).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#')];
}
