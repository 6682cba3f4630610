using System.Collections.Immutable;

namespace ManifestGen.Diagnostics;

public enum Severity { Error, Warning, Info }

/// <summary>A position in a source file (1-based line and column). Line 0 means "whole file".</summary>
public readonly record struct SourceSpan(string File, int Line, int Column)
{
    public static SourceSpan WholeFile(string file) => new(file, 0, 0);
    public override string ToString() => Line > 0 ? $"{File}({Line},{Column})" : File;
}

/// <summary>
/// One finding. Every diagnostic the tool produces is this record, with a code from
/// <see cref="DiagnosticCatalogue"/>; the CLI only formats them.
/// </summary>
public sealed record Diagnostic(string Code, Severity Severity, SourceSpan Location, string Message, string? Hint = null)
{
    public override string ToString() =>
        $"{Location}: {Severity.ToString().ToLowerInvariant()} {Code}: {Message}" + (Hint is null ? "" : $" ({Hint})");
}

/// <summary>Diagnostics in the canonical order: file, line, column, code.</summary>
public static class DiagnosticOrder
{
    public static ImmutableArray<Diagnostic> Sort(IEnumerable<Diagnostic> diagnostics) =>
        [.. diagnostics
            .Distinct()
            .OrderBy(d => d.Location.File, StringComparer.Ordinal)
            .ThenBy(d => d.Location.Line)
            .ThenBy(d => d.Location.Column)
            .ThenBy(d => d.Code, StringComparer.Ordinal)
            .ThenBy(d => d.Message, StringComparer.Ordinal)];
}
