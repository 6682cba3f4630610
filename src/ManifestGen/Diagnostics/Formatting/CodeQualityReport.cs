using System.Collections.Immutable;

namespace ManifestGen.Diagnostics.Formatting;

/// <summary>
/// GitLab Code Quality (a subset of the Code Climate spec): a JSON array of
/// {description, check_name, fingerprint, severity, location: {path, lines: {begin}}}. Paths are
/// repository-relative; no BOM (GitLab rejects the artifact otherwise).
/// </summary>
internal static class CodeQualityReport
{
    public static void Write(ImmutableArray<Diagnostic> diagnostics, TextWriter output, FormatOptions options)
    {
        var fingerprints = Fingerprint.Compute(diagnostics, options);
        output.Write(JsonText.Build(json =>
        {
            json.WriteStartArray();
            for (int i = 0; i < diagnostics.Length; i++)
            {
                var d = diagnostics[i];
                json.WriteStartObject();
                json.WriteString("description", $"{d.Code}: {d.Message}");
                json.WriteString("check_name", d.Code);
                json.WriteString("fingerprint", fingerprints[i]);
                json.WriteString("severity", d.Severity switch
                {
                    Severity.Error => "major",
                    Severity.Warning => "minor",
                    _ => "info",
                });
                json.WriteStartObject("location");
                json.WriteString("path", DiagnosticFormatter.DisplayPath(d.Location.File, options));
                json.WriteStartObject("lines");
                json.WriteNumber("begin", Math.Max(1, d.Location.Line));
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }));
    }
}
