using ManifestGen.Diagnostics;
using Xunit.Abstractions;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Validation;

public sealed class ExampleInventoryTests(ITestOutputHelper output)
{
    public static TheoryData<string> Examples() => ["production.yaml", "test-cluster.yaml"];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Should_find_no_error_in_the_example_inventories(string file)
    {
        var values = Path.Combine(RepoPaths.Root, "values");
        var diagnostics = ValidationHarness.Validate(Path.Combine(values, file), RepoPaths.Root);
        var report = ValidationHarness.Report(diagnostics, RepoPaths.Root);
        output.WriteLine(report);
        Assert.True(diagnostics.All(d => d.Severity != Severity.Error), report);
        Assert.DoesNotContain(diagnostics, d => d.Code == DiagnosticCatalogue.InternalCheckError.Code);
    }
}
