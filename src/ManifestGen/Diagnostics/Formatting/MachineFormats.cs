using ManifestGen.Cli;

namespace ManifestGen.Diagnostics.Formatting;

// The machine formats behind `--format NAME`: the CLI finds these by reflection. Paths in diagnostics
// are already relative to the repository root, which is what GitLab and SARIF consumers expect.

public sealed class JsonDiagnosticFormatter : IDiagnosticFormatter
{
    public string Name => "json";
    public void Write(IReadOnlyList<Diagnostic> diagnostics, TextWriter output) =>
        DiagnosticFormatter.Write(ReportFormat.Json, diagnostics, SourceSet.Empty, output);
}

public sealed class CodeQualityDiagnosticFormatter : IDiagnosticFormatter
{
    public string Name => "codequality";
    public void Write(IReadOnlyList<Diagnostic> diagnostics, TextWriter output) =>
        DiagnosticFormatter.Write(ReportFormat.CodeQuality, diagnostics, SourceSet.Empty, output);
}

public sealed class SarifDiagnosticFormatter : IDiagnosticFormatter
{
    public string Name => "sarif";
    public void Write(IReadOnlyList<Diagnostic> diagnostics, TextWriter output) =>
        DiagnosticFormatter.Write(ReportFormat.Sarif, diagnostics, SourceSet.Empty, output);
}
