using System.Text.Json.Nodes;
using ManifestGen.Diagnostics;
using ManifestGen.Loading;
using ManifestGen.Output;
using ManifestGen.Rendering;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// The direct canonical writer against the reference (YamlDotNet's emitter): the same bytes for every
/// committed manifest and for strings built to hit each rule of scalar style.
/// </summary>
public sealed class CanonicalYamlTests
{
    /// <summary>
    /// Every committed YAML file but the Helm chart's templates (chart/templates/: text with template
    /// actions, YAML only once Helm renders it; HelmChartTests cover them).
    /// </summary>
    public static TheoryData<string> CommittedManifests()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { RepoPaths.Out, RepoPaths.Snapshots })
            foreach (var file in Directory.EnumerateFiles(dir, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                if (!IsChartTemplate(file))
                    data.Add(Path.GetRelativePath(RepoPaths.Root, file));
        return data;
    }

    private static bool IsChartTemplate(string file) =>
        Path.GetFileName(Path.GetDirectoryName(file)) == "templates"
        && Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(file))) == "chart";

    [Theory]
    [MemberData(nameof(CommittedManifests))]
    public void Should_write_every_committed_manifest_as_the_emitter_does(string file)
    {
        var diagnostics = new List<Diagnostic>();
        var root = YamlTreeReader.Read(File.ReadAllText(Path.Combine(RepoPaths.Root, file)), file, diagnostics);
        Assert.True(root is not null, $"{file} does not parse: {string.Join("\n", diagnostics)}");
        var json = ObjectReader.ToJson(root!);
        Assert.True(json is JsonObject, $"{file} is not one mapping document");
        Assert.Equal(CanonicalYaml.WriteWithEmitter((JsonObject)json), CanonicalYaml.Write((JsonObject)json));
    }

    private static IEnumerable<string> TrickyStrings()
    {
        for (var c = (char)0x20; c <= 0x7E; c++)
            foreach (var form in new[] { "{0}", "a{0}", "{0}a", "a{0}b", "a {0}b", "a{0} b", "{0}{0}", "1{0}2" })
                yield return string.Format(System.Globalization.CultureInfo.InvariantCulture, form, c);
        string[] special =
        [
            "", " ", "a  b", "...", "...a", "---", "--- a", "- a", "-a", "a: b", "a:b", "a:", "http://x.org:80/p?q=1&r=2#f",
            "15 2 * * *", "*", "*a", "&a", "!a", "%a", "@a", "`a", "|", ">", "?", "? a", "a #b", "a#b",
            "true", "True", "no", "on", "null", "~", "0", "007", "1.5", "1e3", "0x1F", ".inf", "2024-01-01", "12:30",
            "café", "tab\there", "line\nbreak", "line\nbreak\n", "line\n\nbreak", "two\n\n", "\nleading", " lead\nx",
            "a\n b", "trailing \nspace", "x\r\ny", "{\n  \"a\": 1\n}\n", "#!/bin/sh\nset -e\n", "quote\"d", "back\\slash",
            "a\n  b\n", "a\n\n  b", "x\n    deep\n  less\n", "{\n  \"a\": [\n    1\n  ]\n}", "a\n b \n",
            new string('x', 1100), "a" + new string(' ', 3) + "b",
        ];
        foreach (var s in special)
            yield return s;
    }

    [Fact]
    public void Should_write_each_kind_of_string_as_the_emitter_does_as_value_key_and_item()
    {
        var mismatches = new List<string>();
        foreach (var s in TrickyStrings())
        {
            JsonObject[] shapes =
            [
                new() { ["apiVersion"] = "v1", ["data"] = new JsonObject { ["k"] = s } },
                new() { ["apiVersion"] = "v1", ["data"] = new JsonObject { [s] = "v" } },
                new() { ["apiVersion"] = "v1", ["items"] = new JsonArray(s, new JsonObject { ["k"] = s, ["n"] = 1 }) },
            ];
            foreach (var shape in shapes)
            {
                var expected = CanonicalYaml.WriteWithEmitter(shape);
                var actual = CanonicalYaml.Write(shape);
                if (expected != actual)
                    mismatches.Add($"{System.Text.Json.JsonSerializer.Serialize(s)}:\n--- emitter\n{expected}--- direct\n{actual}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(10)));
    }

    [Fact]
    public void Should_write_nested_shapes_and_empty_collections_as_the_emitter_does()
    {
        var obj = new JsonObject
        {
            ["kind"] = "X",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = "n", ["labels"] = new JsonObject() },
            ["spec"] = new JsonObject
            {
                ["empty"] = new JsonArray(),
                ["flag"] = true,
                ["count"] = 3,
                ["nested"] = new JsonArray(new JsonArray("a", "b"), new JsonObject(), new JsonArray()),
                ["list"] = new JsonArray(new JsonObject { ["b"] = new JsonArray("x"), ["a"] = new JsonObject { ["c"] = "d" }, ["script"] = "one\ntwo\n" }),
                ["skipped"] = null,
            },
        };
        Assert.Equal(CanonicalYaml.WriteWithEmitter(obj), CanonicalYaml.Write(obj));
    }
}
