using ManifestGen.Pipeline;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Rendering;

public sealed class ExampleSnapshotTests
{
    internal static SortedDictionary<string, string> RenderInMemory(Generator generator, string environment)
    {
        var generation = generator.Generate(new GenerationRequest(environment));
        Assert.False(generation.HasErrors, string.Join("\n", generation.Diagnostics));
        var result = Assert.Single(generation.Environments);
        return new SortedDictionary<string, string>(
            result.Files.ToDictionary(f => f.Path[(environment.Length + 1)..], f => f.Content), StringComparer.Ordinal);
    }

    [Theory]
    [InlineData("test-cluster")]
    [InlineData("production")]
    public void Should_render_each_example_exactly_as_its_golden_tree(string environment)
    {
        var files = RenderInMemory(new Generator(new GeneratorPaths(RepoPaths.Root)), environment);
        Golden.AssertTree("examples/" + environment, files);
    }

    [Fact]
    public void Should_have_committed_output_that_is_current()
    {
        var generator = new Generator(new GeneratorPaths(RepoPaths.Root));
        var generation = generator.Generate(new GenerationRequest());
        Assert.False(generation.HasErrors, string.Join("\n", generation.Diagnostics));
        var drift = generator.Compare(generation).Drift;
        Assert.True(drift.IsEmpty, "out/ is not current; run `make render`: " + string.Join(", ", drift.Select(d => $"{d.Path} ({d.Kind})")));
    }

    [Fact]
    public void Should_keep_the_argo_cd_application_outside_the_synced_folder()
    {
        var files = RenderInMemory(new Generator(new GeneratorPaths(RepoPaths.Root)), "production");
        Assert.Contains("application.yaml", files.Keys);
        Assert.DoesNotContain(files.Keys, k => k.StartsWith("manifests/", StringComparison.Ordinal) && files[k].Contains("kind: Application\n"));
        Assert.Contains("path: out/production/manifests\n", files["application.yaml"]);
    }
}
