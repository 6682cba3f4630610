using System.Collections.Immutable;
using System.Text.Json;

namespace ManifestGen.Diagnostics.Formatting;

/// <summary>
/// SARIF 2.1.0 with one run: the whole catalogue as the driver's rules (so ruleIndex is stable) and one
/// result per diagnostic. `results` is always present, also when empty: consumers read an absent array
/// as "the tool did not run".
/// </summary>
internal static class SarifReport
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    public static void Write(ImmutableArray<Diagnostic> diagnostics, TextWriter output, FormatOptions options)
    {
        var rules = DiagnosticCatalogue.All;
        var index = rules.Select((r, i) => (r.Code, i)).ToDictionary(x => x.Code, x => x.i, StringComparer.Ordinal);
        var fingerprints = Fingerprint.Compute(diagnostics, options);
        output.Write(JsonText.Build(json =>
        {
            json.WriteStartObject();
            json.WriteString("$schema", SchemaUri);
            json.WriteString("version", "2.1.0");
            json.WriteStartArray("runs");
            json.WriteStartObject();
            json.WriteStartObject("tool");
            json.WriteStartObject("driver");
            json.WriteString("name", "ManifestGen");
            json.WriteStartArray("rules");
            foreach (var rule in rules)
                WriteRule(json, rule);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("results");
            for (int i = 0; i < diagnostics.Length; i++)
                WriteResult(json, diagnostics[i], fingerprints[i], index, options);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }));
    }

    private static void WriteRule(Utf8JsonWriter json, DiagnosticRule rule)
    {
        json.WriteStartObject();
        json.WriteString("id", rule.Code);
        json.WriteString("name", PascalName(rule.Title));
        json.WriteStartObject("shortDescription");
        json.WriteString("text", rule.Title);
        json.WriteEndObject();
        json.WriteStartObject("fullDescription");
        json.WriteString("text", rule.Description);
        json.WriteEndObject();
        if (rule.Fix is not null)
        {
            json.WriteStartObject("help");
            json.WriteString("text", rule.Fix);
            json.WriteEndObject();
        }
        json.WriteStartObject("defaultConfiguration");
        json.WriteString("level", Level(rule.DefaultSeverity));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter json, Diagnostic d, string fingerprint, Dictionary<string, int> index, FormatOptions options)
    {
        json.WriteStartObject();
        json.WriteString("ruleId", d.Code);
        if (index.TryGetValue(d.Code, out var ruleIndex))
            json.WriteNumber("ruleIndex", ruleIndex);
        json.WriteString("level", Level(d.Severity));
        json.WriteStartObject("message");
        json.WriteString("text", d.Hint is null ? d.Message : $"{d.Message} Hint: {d.Hint}");
        json.WriteEndObject();
        json.WriteStartArray("locations");
        json.WriteStartObject();
        json.WriteStartObject("physicalLocation");
        json.WriteStartObject("artifactLocation");
        json.WriteString("uri", UriOf(DiagnosticFormatter.DisplayPath(d.Location.File, options)));
        json.WriteEndObject();
        if (d.Location.Line > 0)
        {
            json.WriteStartObject("region");
            json.WriteNumber("startLine", d.Location.Line);
            json.WriteNumber("startColumn", Math.Max(1, d.Location.Column));
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("partialFingerprints");
        json.WriteString("manifestgen/v1", fingerprint);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string Level(Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "note",
    };

    // A relative reference: each segment escaped, '/' kept.
    private static string UriOf(string path) =>
        string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string PascalName(string title) =>
        string.Concat(title.Split(' ', '-', '`', '/', '(', ')', '.', ',')
            .Where(w => w.Length > 0 && char.IsLetterOrDigit(w[0]))
            .Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
}
