using System.Text.Json;
using ManifestGen.Diagnostics;
using ManifestGen.Diagnostics.Formatting;

namespace ManifestGen.Tests.Validation;

public sealed class FormatterTests
{
    private const string File1 = "values/production.yaml";
    private static readonly SourceSet Sources = new(new Dictionary<string, string>
    {
        [File1] = "namespace: backup\nhosts:\n  - name: kvm1\n    user: root\n    schedule: ${SCHEDULE}\n",
    });

    private static readonly Diagnostic[] Findings =
    [
        DiagnosticCatalogue.Create(DiagnosticCatalogue.Placeholder, new SourceSpan(File1, 5, 15), "hosts[0].schedule: unreplaced placeholder `${SCHEDULE}`"),
        DiagnosticCatalogue.Create(DiagnosticCatalogue.UserRoot, new SourceSpan(File1, 4, 11), "hosts[0].user: logging in as root"),
    ];

    private static string Write(ReportFormat format, IEnumerable<Diagnostic> diagnostics, SourceSet? sources = null, FormatOptions? options = null)
    {
        var output = new StringWriter { NewLine = "\n" };
        DiagnosticFormatter.Write(format, diagnostics, sources ?? Sources, output, options);
        return output.ToString();
    }

    [Fact]
    public void Should_write_text_with_location_code_source_line_caret_and_hint_sorted_by_position()
    {
        var text = Write(ReportFormat.Text, Findings);
        var expected =
            "values/production.yaml(4,11): warning MG0705: hosts[0].user: logging in as root\n" +
            " 4 |     user: root\n" +
            "   |           ^\n" +
            "  hint: " + DiagnosticCatalogue.UserRoot.Fix + "\n" +
            "values/production.yaml(5,15): error MG0201: hosts[0].schedule: unreplaced placeholder `${SCHEDULE}`\n" +
            " 5 |     schedule: ${SCHEDULE}\n" +
            "   |               ^\n" +
            "  hint: " + DiagnosticCatalogue.Placeholder.Fix + "\n" +
            "1 error, 1 warning, 0 info\n";
        Assert.Equal(expected, text);
        Assert.False(text.Contains('\u001b'), "escape codes in uncoloured text");
    }

    [Fact]
    public void Should_colour_text_only_when_asked()
    {
        var text = Write(ReportFormat.Text, Findings, options: new FormatOptions(Color: true));
        Assert.Contains("\u001b[31merror\u001b[0m", text);
        Assert.Contains("\u001b[33mwarning\u001b[0m", text);
    }

    [Fact]
    public void Should_write_json_with_code_position_message_and_counts()
    {
        using var doc = JsonDocument.Parse(Write(ReportFormat.Json, Findings));
        var first = doc.RootElement.GetProperty("diagnostics")[0];
        Assert.Equal("MG0705", first.GetProperty("code").GetString());
        Assert.Equal("warning", first.GetProperty("severity").GetString());
        Assert.Equal(4, first.GetProperty("line").GetInt32());
        Assert.Equal(11, first.GetProperty("column").GetInt32());
        Assert.Equal(File1, first.GetProperty("file").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("summary").GetProperty("errors").GetInt32());
    }

    [Fact]
    public void Should_write_gitlab_code_quality_with_repo_relative_paths_and_no_bom()
    {
        var root = Path.Combine(Path.GetTempPath(), "repo");
        var absolute = new Diagnostic("MG0201", Severity.Error, new SourceSpan(Path.Combine(root, "values", "a.yaml"), 7, 3), "x: placeholder");
        var json = Write(ReportFormat.CodeQuality, [absolute], SourceSet.Empty, new FormatOptions(RepositoryRoot: root));
        Assert.NotEqual('\uFEFF', json[0]);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        var issue = doc.RootElement[0];
        Assert.Equal("MG0201", issue.GetProperty("check_name").GetString());
        Assert.Equal("major", issue.GetProperty("severity").GetString());
        Assert.Equal("values/a.yaml", issue.GetProperty("location").GetProperty("path").GetString());
        Assert.Equal(7, issue.GetProperty("location").GetProperty("lines").GetProperty("begin").GetInt32());
        Assert.Contains("placeholder", issue.GetProperty("description").GetString());
    }

    [Fact]
    public void Should_keep_the_code_quality_fingerprint_when_the_line_moves()
    {
        var before = new SourceSet(new Dictionary<string, string> { ["a.yaml"] = "x: 1\nuser: root\n" });
        var after = new SourceSet(new Dictionary<string, string> { ["a.yaml"] = "# comment\nx: 1\n\nuser: root\n" });
        string FingerprintOf(SourceSet s, int line)
        {
            var d = DiagnosticCatalogue.Create(DiagnosticCatalogue.UserRoot, new SourceSpan("a.yaml", line, 7), "user: root");
            using var doc = JsonDocument.Parse(Write(ReportFormat.CodeQuality, [d], s));
            return doc.RootElement[0].GetProperty("fingerprint").GetString()!;
        }
        Assert.Equal(FingerprintOf(before, 2), FingerprintOf(after, 4));
        var other = DiagnosticCatalogue.Create(DiagnosticCatalogue.UserRoot, new SourceSpan("b.yaml", 2, 7), "user: root");
        using var otherDoc = JsonDocument.Parse(Write(ReportFormat.CodeQuality, [other], before));
        Assert.NotEqual(FingerprintOf(before, 2), otherDoc.RootElement[0].GetProperty("fingerprint").GetString());
    }

    [Fact]
    public void Should_give_identical_findings_distinct_fingerprints()
    {
        var d1 = new Diagnostic("MG0201", Severity.Error, new SourceSpan("a.yaml", 1, 1), "same");
        var d2 = d1 with { Location = new SourceSpan("a.yaml", 1, 9) };
        using var doc = JsonDocument.Parse(Write(ReportFormat.CodeQuality, [d1, d2], SourceSet.Empty));
        Assert.NotEqual(doc.RootElement[0].GetProperty("fingerprint").GetString(), doc.RootElement[1].GetProperty("fingerprint").GetString());
    }

    [Fact]
    public void Should_write_sarif_2_1_0_with_results_even_when_there_are_none()
    {
        using var empty = JsonDocument.Parse(Write(ReportFormat.Sarif, []));
        Assert.Equal("2.1.0", empty.RootElement.GetProperty("version").GetString());
        var run = empty.RootElement.GetProperty("runs")[0];
        Assert.Equal(0, run.GetProperty("results").GetArrayLength());
        Assert.Equal(DiagnosticCatalogue.All.Length, run.GetProperty("tool").GetProperty("driver").GetProperty("rules").GetArrayLength());

        using var doc = JsonDocument.Parse(Write(ReportFormat.Sarif, Findings));
        var results = doc.RootElement.GetProperty("runs")[0].GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        var first = results[0];
        Assert.Equal("MG0705", first.GetProperty("ruleId").GetString());
        Assert.Equal("warning", first.GetProperty("level").GetString());
        var rules = doc.RootElement.GetProperty("runs")[0].GetProperty("tool").GetProperty("driver").GetProperty("rules");
        Assert.Equal("MG0705", rules[first.GetProperty("ruleIndex").GetInt32()].GetProperty("id").GetString());
        var physical = first.GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.Equal("values/production.yaml", physical.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal(4, physical.GetProperty("region").GetProperty("startLine").GetInt32());
    }

    [Fact]
    public void Should_write_the_same_bytes_under_another_culture()
    {
        var before = Write(ReportFormat.Sarif, Findings) + Write(ReportFormat.Text, Findings);
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("ar-SA");
            Assert.Equal(before, Write(ReportFormat.Sarif, Findings) + Write(ReportFormat.Text, Findings));
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = culture; }
    }

    [Theory]
    [InlineData("json", ReportFormat.Json)]
    [InlineData("CodeQuality", ReportFormat.CodeQuality)]
    [InlineData("sarif", ReportFormat.Sarif)]
    [InlineData("text", ReportFormat.Text)]
    public void I_can_name_a_format(string name, ReportFormat expected)
    {
        Assert.True(DiagnosticFormatter.TryParseFormat(name, out var format));
        Assert.Equal(expected, format);
        Assert.False(DiagnosticFormatter.TryParseFormat("xml", out _));
    }
}
