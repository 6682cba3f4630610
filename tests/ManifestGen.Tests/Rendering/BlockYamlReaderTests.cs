using System.Text.Json.Nodes;
using ManifestGen.Diagnostics;
using ManifestGen.Loading;
using ManifestGen.Planning;
using ManifestGen.Rendering;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// The direct reader of the templates' block YAML must give exactly the YAML parser's result whenever it
/// gives one, and give one for everything the shipped templates render (else the speed is lost unseen).
/// </summary>
public sealed class BlockYamlReaderTests
{
    private static readonly Lazy<List<(string Name, string Text)>> Rendered = new(RenderEverything);

    [Fact]
    public void Should_read_every_object_the_examples_and_the_cases_render_exactly_as_the_yaml_parser_does()
    {
        Assert.True(Rendered.Value.Count > 100, $"only {Rendered.Value.Count} objects rendered");
        foreach (var (name, text) in Rendered.Value)
        {
            var direct = BlockYamlReader.TryRead(text);
            Assert.True(direct is not null, $"{name}: not read directly:\n{text}");
            Assert.True(JsonNode.DeepEquals(General(text), direct), $"{name}: differs from the YAML parser");
        }
    }

    [Fact]
    public void Should_give_the_yaml_parsers_result_or_none_for_damaged_copies_of_rendered_objects()
    {
        // Each mutation is one slip a template could make: a character removed, one of YAML's indicators
        // inserted, a line repeated or dropped, an indentation changed.
        const string Indicators = " :-#\"'|>{}[]&*!%@`,?\\\n\tu0/";
        var random = new Random(1201);
        var texts = Rendered.Value;
        int read = 0, declined = 0;
        for (var i = 0; i < 4000; i++)
        {
            var (name, text) = texts[random.Next(texts.Count)];
            var mutated = Mutate(text, random, Indicators);
            var direct = BlockYamlReader.TryRead(mutated);
            if (direct is null)
            {
                declined++;
                continue;
            }
            read++;
            var general = General(mutated);
            Assert.True(general is not null && JsonNode.DeepEquals(general, direct),
                $"{name}: the direct reader gave {direct.ToJsonString()} where the YAML parser gave {general?.ToJsonString() ?? "an error"} for\n{mutated}");
        }
        // Both outcomes must occur, or the test proves nothing about one of them.
        Assert.True(read > 100 && declined > 100, $"read {read}, declined {declined}");
    }

    [Theory]
    [InlineData("a: 1\na: 2\n")]
    [InlineData("a: &x 1\nb: *x\n")]
    [InlineData("a: 'single'\n")]
    [InlineData("a: [1, 2]\n")]
    [InlineData("a: >\n  folded\n")]
    [InlineData("a:\n  plain\n  on two lines\n")]
    [InlineData("a: \"\\x41\"\n")]
    [InlineData("a: b: c\n")]
    [InlineData("a: x # comment\n")]
    [InlineData("- a\n")]
    [InlineData("a: 1")]
    [InlineData("a: |\n    two\n  one\n")]
    public void Should_leave_to_the_yaml_parser_what_is_not_plain_block_yaml(string text) =>
        Assert.Null(BlockYamlReader.TryRead(text));

    [Fact]
    public void Should_leave_a_document_nested_deeper_than_the_parser_allows_to_the_parser()
    {
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => new string(' ', i) + "a:\n")) + new string(' ', 5000) + "b: 1\n";
        Assert.Null(BlockYamlReader.TryRead(text));
        Assert.True(BlockYamlReader.TryRead(string.Concat(Enumerable.Range(0, 60).Select(i => new string(' ', i) + "a:\n")) + new string(' ', 60) + "b: 1\n") is not null);
    }

    [Fact]
    public void Should_read_literal_blocks_sequences_of_mappings_and_empty_collections()
    {
        const string Text = "a:\n  b: |\n    one\n\n      two\n\n  c: |-\n    x\n  d:\n  - k: \"v\\n\\u00e9\"\n    l: 2\n  - true\n  e: {}\n  f: []\n  g:\n# note\nh: null\n";
        var direct = BlockYamlReader.TryRead(Text);
        Assert.NotNull(direct);
        Assert.Equal("""{"a":{"b":"one\n\n  two\n","c":"x","d":[{"k":"v\né","l":2},true],"e":{},"f":[],"g":null},"h":null}""",
            direct.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.True(JsonNode.DeepEquals(General(Text), direct));
    }

    private static JsonNode? General(string text)
    {
        var diagnostics = new List<Diagnostic>();
        var root = YamlTreeReader.Read(text, "t", diagnostics);
        return diagnostics.Count > 0 || root is null ? null : ObjectReader.ToJson(root);
    }

    private static string Mutate(string text, Random random, string indicators)
    {
        var at = random.Next(text.Length);
        var lines = text.Split('\n').ToList();
        var line = random.Next(lines.Count);
        switch (random.Next(5))
        {
            case 0:
                return text.Remove(at, 1);
            case 1:
                return text.Insert(at, indicators[random.Next(indicators.Length)].ToString());
            case 2:
                lines.Insert(line, lines[line]);
                return string.Join('\n', lines);
            case 3:
                lines.RemoveAt(line);
                return string.Join('\n', lines);
            default:
                lines[line] = random.Next(2) == 0 ? " " + lines[line] : lines[line].TrimStart(' ').PadLeft(Math.Max(0, lines[line].Length - 1));
                return string.Join('\n', lines);
        }
    }

    private static List<(string Name, string Text)> RenderEverything()
    {
        var files = Directory.EnumerateFiles(RepoPaths.Values, "*.yaml")
            .Concat(Directory.EnumerateDirectories(Path.Combine(RepoPaths.Snapshots, "cases"))
                .SelectMany(c => Directory.EnumerateFiles(Path.Combine(c, "values"), "*.yaml")))
            .Where(f => !Path.GetFileName(f).StartsWith('_'))
            .Order(StringComparer.Ordinal);
        var renderer = new TemplateRenderer(RepoPaths.Templates);
        var rendered = new List<(string, string)>();
        foreach (var file in files)
        {
            var load = new InventoryLoader(Path.GetDirectoryName(Path.GetDirectoryName(file))!).Load(file);
            if (load.Inventory is null)
                continue;
            var plan = Planner.Plan(load.Inventory, []);
            foreach (var unit in plan.Manifests.Append(plan.Application))
                if (renderer.Render(unit.Template, unit.Model, []) is { } text)
                    rendered.Add(($"{Path.GetFileName(file)} {unit.Template} {unit.SourcePath}", text));
        }
        return rendered;
    }
}
