using System.Text;

namespace ManifestGen.Diagnostics;

/// <summary>
/// Documentation generated from <see cref="DiagnosticCatalogue"/>: the text of `explain CODE` and
/// docs/rules.md. The catalogue is the single source; a test fails when the committed file drifts.
/// </summary>
public static class RuleDocumentation
{
    public const string RulesFile = "docs/rules.md";

    /// <summary>The plain text `explain CODE` prints.</summary>
    public static string Explain(DiagnosticRule rule)
    {
        var text = new StringBuilder();
        text.Append(rule.Code).Append(' ').Append(SeverityName(rule.DefaultSeverity)).Append(": ").Append(rule.Title).Append('\n');
        text.Append('\n').Append(rule.Description).Append('\n');
        if (rule.Fix is not null)
            text.Append('\n').Append("Fix: ").Append(rule.Fix).Append('\n');
        return text.ToString();
    }

    /// <summary>docs/rules.md: every rule, ordered by code, LF line endings.</summary>
    public static string RenderMarkdown()
    {
        var md = new StringBuilder();
        md.Append("# Diagnostic rules\n\n");
        md.Append("Generated from `src/ManifestGen/Diagnostics/DiagnosticCatalogue*.cs`; do not edit by hand ")
          .Append("(`UPDATE_SNAPSHOTS=1` rewrites it). `manifestgen explain CODE` prints one entry. ")
          .Append("Codes are stable and never reused.\n\n");
        md.Append("| Code | Severity | Title |\n| --- | --- | --- |\n");
        foreach (var rule in DiagnosticCatalogue.All)
            md.Append("| [").Append(rule.Code).Append("](#").Append(rule.Code.ToLowerInvariant()).Append(") | ")
              .Append(SeverityName(rule.DefaultSeverity)).Append(" | ").Append(rule.Title.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
        foreach (var rule in DiagnosticCatalogue.All)
        {
            md.Append("\n## ").Append(rule.Code).Append("\n\n");
            md.Append("**").Append(rule.Title).Append("** (default severity: ").Append(SeverityName(rule.DefaultSeverity)).Append(")\n\n");
            md.Append(rule.Description).Append('\n');
            if (rule.Fix is not null)
                md.Append("\nFix: ").Append(rule.Fix).Append('\n');
        }
        return md.ToString();
    }

    public static string SeverityName(Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "info",
    };
}
