namespace ManifestGen.Diagnostics;

/// <summary>A rule: stable code (never reused), default severity, title, documentation.</summary>
public sealed record DiagnosticRule(string Code, Severity DefaultSeverity, string Title, string Description);

/// <summary>
/// The one numbered catalogue of every diagnostic. Codes are stable and never reused; a retired rule
/// keeps its number. Ranges: MG00xx I/O and YAML, MG01xx shape, MG02xx placeholders and secrets,
/// MG03xx names, MG04xx schedules, MG05xx storage, MG06xx repository and retention, MG07xx SSH and paths,
/// MG08xx image, MG09xx rendering and cross-object checks, MG10xx changes Kubernetes rejects in place.
/// </summary>
public static partial class DiagnosticCatalogue
{
    public static readonly DiagnosticRule FileNotReadable = new("MG0001", Severity.Error,
        "File cannot be read", "An inventory file named on the command line or found in values/ cannot be read.");
    public static readonly DiagnosticRule YamlSyntax = new("MG0002", Severity.Error,
        "YAML syntax error", "The file is not valid YAML; the position is where the parser stopped.");
    public static readonly DiagnosticRule TemplateError = new("MG0901", Severity.Error,
        "Template error", "A Scriban template failed to parse or render (unknown variable or member, syntax error). The location is in the template.");
    public static readonly DiagnosticRule RenderedObjectInvalid = new("MG0902", Severity.Error,
        "Rendered object is not a valid Kubernetes object", "A rendered document did not parse strictly into its Kubernetes type (unknown or duplicate field, wrong type).");

    public static Diagnostic Create(DiagnosticRule rule, SourceSpan at, string message, string? hint = null) =>
        new(rule.Code, rule.DefaultSeverity, at, message, hint);
}
