using System.Diagnostics;
using System.Text;
using ManifestGen.Diagnostics;
using ManifestGen.Pipeline;
using ManifestGen.Tests.Support;
using Xunit.Abstractions;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Validation;

/// <summary>
/// Mutates the valid inventories thousands of times (dropped lines and keys, swapped types, random
/// strings, truncation, binary garbage; seeded, bounded in count and time) and asserts the tool only
/// ever answers with diagnostics: no exception, no internal-error diagnostic, every error placed in a file.
/// A sample of the inventories that survive validation is rendered too, so the planner and templates face them as well.
/// </summary>
public sealed class MutationRobustnessTests(ITestOutputHelper output)
{
    private const int Iterations = 2000;
    private static readonly TimeSpan TimeBudget = TimeSpan.FromMinutes(4);
    // Rendering takes far longer than validating; a sample of the surviving inventories is enough to reach the planner.
    private const int MaxRenders = 40;

    private static readonly string[] Values =
    [
        "", "~", "null", "0", "-1", "65536", "99999999999999999999", "1.5e300", "yes", "no", "on", "true", "0x1F", "0755",
        "\"\"", "''", "[]", "{}", "[a, b]", "{x: 1}", "- item", "*alias", "&anchor x", "!!binary AAAA", "!custom x", "<<: {a: 1}",
        "${PLACEHOLDER}", "{{ x }}", "<SECRET>", "CHANGEME", "\"*/5 * * * *\"", "\"61 * * * *\"", "\"@every 0s\"", "\"H(5-1) * * * *\"",
        "\"TZ=UTC 0 0 * * *\"", "/", "../..", "//x//", "\"[\"", "\"\\\\\"", "\"\\u0000\"", "\"ünïcødé 🙂\"", "|\n  multi\n  line",
        "\"" + new string('a', 300) + "\"", "-----BEGIN RSA PRIVATE KEY-----", "ssh-ed25519 AAAA", "10Gi", "10GB", "-5Gi", "1e999",
    ];

    [Fact]
    public void Should_answer_every_mutated_inventory_with_diagnostics_and_never_crash()
    {
        var seeds = new[]
        {
            File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "cases", "base-valid.yaml")),
            File.ReadAllText(Path.Combine(RepoPaths.Root, "values", "test-cluster.yaml")),
            File.ReadAllText(Path.Combine(RepoPaths.Root, "values", "production.yaml")),
        };
        var baseFile = File.ReadAllText(Path.Combine(RepoPaths.Root, "values", "_base.yaml"));
        var random = new Random(20261127);
        var generator = new Generator(new GeneratorPaths(RepoPaths.Root));
        using var temp = new TempDir();
        var clock = Stopwatch.StartNew();
        int iterations = 0, rendered = 0, failures = 0;
        var codes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (; iterations < Iterations && clock.Elapsed < TimeBudget; iterations++)
        {
            var seed = seeds[random.Next(seeds.Length)];
            var mutated = seed;
            var steps = 1 + random.Next(3);
            for (int s = 0; s < steps; s++)
                mutated = Mutate(mutated, random);
            temp.Write("_base.yaml", random.Next(10) == 0 ? Mutate(baseFile, random) : baseFile);
            var file = temp.Write("env.yaml", mutated);
            try
            {
                var (inventory, diagnostics) = generator.Validate(file);
                foreach (var d in diagnostics)
                    codes[d.Code] = codes.GetValueOrDefault(d.Code) + 1;
                Assert.DoesNotContain(diagnostics, d => d.Code == DiagnosticCatalogue.InternalCheckError.Code);
                Assert.All(diagnostics.Where(d => d.Severity == Severity.Error), d => Assert.False(string.IsNullOrEmpty(d.Location.File)));
                if (inventory is null)
                    Assert.Contains(diagnostics, d => d.Severity == Severity.Error);
                else if (!diagnostics.Any(d => d.Severity == Severity.Error) && rendered < MaxRenders && random.Next(4) == 0)
                {
                    var result = generator.Render(inventory, diagnostics);
                    Assert.True(result.HasErrors || result.Files.Length > 0, "a valid inventory rendered nothing and said nothing");
                    rendered++;
                }
            }
            catch (Exception e)
            {
                failures++;
                output.WriteLine($"iteration {iterations}: {e}\n--- inventory\n{mutated}\n---");
                if (failures >= 5)
                    break;
            }
        }
        output.WriteLine($"{iterations} mutated inventories in {clock.Elapsed.TotalSeconds:0.0}s, {rendered} rendered; codes: " +
                         string.Join(", ", codes.Select(kv => $"{kv.Key}×{kv.Value}")));
        Assert.Equal(0, failures);
        Assert.True(iterations >= 1000, $"only {iterations} iterations within the time budget");
        Assert.True(codes.Count >= 20, "the mutations should reach many different rules");
    }

    private static string Mutate(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        int Line() => random.Next(lines.Count);
        switch (random.Next(9))
        {
            case 0: // drop a line (a key, a list item, part of a block)
                lines.RemoveAt(Line());
                break;
            case 1: // truncate
                return text[..random.Next(text.Length + 1)];
            case 2: // replace a value with something of another type or shape
            case 3:
            {
                var i = Line();
                var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                var value = Values[random.Next(Values.Length)];
                if (colon > 0)
                    lines[i] = lines[i][..(colon + 2)] + value;
                else if (lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal))
                    lines[i] = lines[i][..(lines[i].IndexOf('-') + 2)] + value;
                break;
            }
            case 4: // random printable string in a value
            {
                var i = Line();
                var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                    lines[i] = lines[i][..(colon + 2)] + RandomText(random, printable: true);
                break;
            }
            case 5: // binary garbage somewhere
            {
                var pos = random.Next(text.Length + 1);
                return text[..pos] + RandomText(random, printable: false) + text[pos..];
            }
            case 6: // duplicate a line
            {
                var i = Line();
                lines.Insert(i, lines[i]);
                break;
            }
            case 7: // shift indentation
            {
                var i = Line();
                lines[i] = random.Next(2) == 0 ? "  " + lines[i] : lines[i].TrimStart();
                break;
            }
            default: // an unknown key
                lines.Insert(Line(), new string(' ', 2 * random.Next(4)) + "surprise" + random.Next(100) + ": " + Values[random.Next(Values.Length)]);
                break;
        }
        return string.Join('\n', lines);
    }

    private static string RandomText(Random random, bool printable)
    {
        var text = new StringBuilder();
        var length = 1 + random.Next(40);
        for (int i = 0; i < length; i++)
            text.Append(printable ? (char)random.Next(32, 127) : (char)random.Next(0, 0xD7FF));
        return text.ToString();
    }
}
