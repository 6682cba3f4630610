using System.Collections.Immutable;
using System.Text;

namespace ManifestGen.PodHarness.Scenarios;

/// <summary>
/// A small compose-style application written into a folder that the SSH host shows at the app's absolute
/// paths: a compose file, configuration, a 1 MiB "database" file and names that need quoting.
/// Content is generated from a fixed seed, so every run writes the same bytes.
/// </summary>
public static class SampleApp
{
    /// <summary>Files written under each app path, relative to it.</summary>
    public static readonly ImmutableArray<string> Files =
        ["config.yaml", "automations.yaml", "data/app.db", "data/notes with spaces.txt", "data/ünïcode-$(name).txt", "app.log"];

    public static void Write(string hostRoot, string? composeDirectory, IEnumerable<string> appPaths)
    {
        if (composeDirectory is not null)
        {
            var compose = Local(hostRoot, composeDirectory);
            Directory.CreateDirectory(compose);
            File.WriteAllText(Path.Combine(compose, "compose.yaml"),
                "services:\n  app:\n    image: registry.invalid/sample-app:1\n    volumes:\n      - ./config:/config\n");
        }
        var seed = 1;
        foreach (var p in appPaths)
        {
            var dir = Local(hostRoot, p);
            Directory.CreateDirectory(Path.Combine(dir, "data"));
            File.WriteAllText(Path.Combine(dir, "config.yaml"), "name: sample\nunits: metric\nlanguage: en\n");
            File.WriteAllText(Path.Combine(dir, "automations.yaml"), "- id: '1'\n  alias: lights off at midnight\n");
            var db = new byte[1 << 20];
            new Random(seed++).NextBytes(db);
            File.WriteAllBytes(Path.Combine(dir, "data", "app.db"), db);
            File.WriteAllText(Path.Combine(dir, "data", "notes with spaces.txt"), "a file whose name needs quoting\n");
            File.WriteAllText(Path.Combine(dir, "data", "ünïcode-$(name).txt"), "non-ASCII and shell syntax in a name\n", Encoding.UTF8);
            File.WriteAllText(Path.Combine(dir, "app.log"), "log lines the inventory may exclude\n");
        }
    }

    /// <summary>The test-side folder behind a path on the host.</summary>
    public static string Local(string hostRoot, string hostPath) => Path.Join(hostRoot, hostPath);
}
