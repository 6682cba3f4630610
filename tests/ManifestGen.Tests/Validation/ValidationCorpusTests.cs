using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using Xunit.Abstractions;

namespace ManifestGen.Tests.Validation;

/// <summary>
/// The corpus under tests/cases: base-valid.yaml yields nothing; each invalid/&lt;case&gt;/ holds an
/// inventory, the codes it must produce (`codes`, written by hand) and the full report
/// (`expected.txt`, rewritten by UPDATE_SNAPSHOTS=1 only where it differs).
/// </summary>
public sealed class ValidationCorpusTests(ITestOutputHelper output)
{
    private static readonly string Cases = Path.Combine(ValidationTestFiles.RepoRoot, "tests", "cases");

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
        ValidationTestFiles.MatchesFile(Path.Combine("tests", "cases", "invalid", name, "expected.txt"), report);
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

    // Codes that a single inventory can trigger: not I/O, internal, rendering/cross-object or out/ comparison codes.
    private static bool IsInventoryRule(string code) =>
        code is not ("MG0001" or "MG0005" or "MG0099") && !code.StartsWith("MG09", StringComparison.Ordinal) && !code.StartsWith("MG10", StringComparison.Ordinal);

    private static ImmutableArray<string> ExpectedCodes(string dir) =>
        [.. File.ReadAllLines(Path.Combine(dir, "codes")).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#')];
}
