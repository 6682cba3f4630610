using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ManifestGen.Diagnostics.Formatting;

/// <summary>Shared JSON writing: indented, LF, no BOM, characters kept readable.</summary>
internal static class JsonText
{
    public static string Build(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            write(json);
        }
        return new UTF8Encoding(false).GetString(buffer.ToArray()) + "\n";
    }

    public static void WriteLocation(Utf8JsonWriter json, Diagnostic d, FormatOptions options)
    {
        json.WriteString("file", DiagnosticFormatter.DisplayPath(d.Location.File, options));
        json.WriteNumber("line", d.Location.Line);
        json.WriteNumber("column", d.Location.Column);
    }
}

/// <summary>`--format json`: the diagnostics as they are, plus counts.</summary>
internal static class JsonReport
{
    public static void Write(ImmutableArray<Diagnostic> diagnostics, TextWriter output, FormatOptions options) =>
        output.Write(JsonText.Build(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteStartArray("diagnostics");
            foreach (var d in diagnostics)
            {
                json.WriteStartObject();
                json.WriteString("code", d.Code);
                json.WriteString("severity", RuleDocumentation.SeverityName(d.Severity));
                if (DiagnosticCatalogue.Find(d.Code) is { } rule)
                    json.WriteString("title", rule.Title);
                JsonText.WriteLocation(json, d, options);
                json.WriteString("message", d.Message);
                if (d.Hint is not null)
                    json.WriteString("hint", d.Hint);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartObject("summary");
            json.WriteNumber("errors", diagnostics.Count(d => d.Severity == Severity.Error));
            json.WriteNumber("warnings", diagnostics.Count(d => d.Severity == Severity.Warning));
            json.WriteNumber("infos", diagnostics.Count(d => d.Severity == Severity.Info));
            json.WriteEndObject();
            json.WriteEndObject();
        }));
}
