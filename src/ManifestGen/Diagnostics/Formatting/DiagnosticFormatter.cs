using System.Collections.Immutable;

namespace ManifestGen.Diagnostics.Formatting;

public enum ReportFormat { Text, Json, CodeQuality, Sarif }

/// <summary>How a report is written. <paramref name="RepositoryRoot"/> makes paths repo-relative for CI reports.</summary>
public sealed record FormatOptions(bool Color = false, string? RepositoryRoot = null);

/// <summary>
/// Writes diagnostics for people (text) or machines (JSON, GitLab Code Quality, SARIF 2.1.0).
/// Diagnostics are written in the canonical order whatever order they arrive in.
/// </summary>
public static class DiagnosticFormatter
{
    public static readonly ImmutableArray<string> FormatNames = ["text", "json", "codequality", "sarif"];

    public static bool TryParseFormat(string? name, out ReportFormat format)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "text": format = ReportFormat.Text; return true;
            case "json": format = ReportFormat.Json; return true;
            case "codequality" or "code-quality" or "gitlab": format = ReportFormat.CodeQuality; return true;
            case "sarif": format = ReportFormat.Sarif; return true;
            default: format = ReportFormat.Text; return false;
        }
    }

    public static void Write(ReportFormat format, IEnumerable<Diagnostic> diagnostics, SourceSet sources, TextWriter output, FormatOptions? options = null)
    {
        options ??= new FormatOptions();
        var sorted = DiagnosticOrder.Sort(diagnostics);
        switch (format)
        {
            case ReportFormat.Text: TextReport.Write(sorted, sources, output, options); break;
            case ReportFormat.Json: JsonReport.Write(sorted, output, options); break;
            case ReportFormat.CodeQuality: CodeQualityReport.Write(sorted, output, options); break;
            case ReportFormat.Sarif: SarifReport.Write(sorted, output, options); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    /// <summary>The file as a report shows it: relative to the repository root when under it, with '/' separators.</summary>
    internal static string DisplayPath(string file, FormatOptions options)
    {
        var path = file;
        if (options.RepositoryRoot is { Length: > 0 } root && Path.IsPathRooted(path))
        {
            var relative = Path.GetRelativePath(root, path);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
                path = relative;
        }
        path = path.Replace('\\', '/');
        return path.StartsWith("./", StringComparison.Ordinal) ? path[2..] : path;
    }
}
