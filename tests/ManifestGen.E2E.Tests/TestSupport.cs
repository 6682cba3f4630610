using System.Collections.Immutable;
using System.Text;
using ManifestGen.PodHarness.Manifests;
using ManifestGen.PodHarness.Pods;
using ManifestGen.Testing;

namespace ManifestGen.E2E.Tests;

internal static class TestSupport
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static RenderedManifests LoadFixture(string name) => RenderedManifests.FromYaml(File.ReadAllText(Fixture(name)), name);

    /// <summary>The fixture's YAML with one textual replacement: how the contract tests break a manifest.</summary>
    public static RenderedManifests LoadFixture(string name, string find, string replace)
    {
        var text = File.ReadAllText(Fixture(name));
        Assert.Contains(find, text);
        return RenderedManifests.FromYaml(text.Replace(find, replace, StringComparison.Ordinal), name);
    }

    public static ImmutableDictionary<string, byte[]> Keys(params (string Key, string Value)[] pairs) =>
        pairs.ToImmutableDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value), StringComparer.Ordinal);

    public static PodRunOptions Options(TempDir state, params (string Name, ImmutableDictionary<string, byte[]> Keys)[] secrets) => new()
    {
        StateDirectory = state.Combine("state"),
        Secrets = secrets.ToImmutableDictionary(s => s.Name, s => s.Keys, StringComparer.Ordinal),
        Timeout = Patience.Progress,
    };

    /// <summary>"key=value" lines of a probe's report.</summary>
    public static IReadOnlyDictionary<string, string> Report(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
}
