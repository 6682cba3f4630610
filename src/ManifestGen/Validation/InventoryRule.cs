using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Loading;

namespace ManifestGen.Validation;

/// <summary>
/// Base of the validation rules: each rule reads the model and reports through a <see cref="RuleSink"/>
/// that turns model paths into file(line,col). A rule that throws does not take the tool down: the
/// exception becomes an MG0099 diagnostic naming the rule (the generative tests assert there is none).
/// </summary>
public abstract class InventoryRule : IInventoryCheck
{
    public IEnumerable<Diagnostic> Check(LoadedInventory inventory)
    {
        var sink = new RuleSink(inventory);
        try
        {
            Run(inventory, sink);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            sink.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.InternalCheckError, inventory.SourceMap.Root,
                $"rule {GetType().Name} failed: {e.GetType().Name}: {e.Message}"));
        }
        return sink.Diagnostics;
    }

    protected abstract void Run(LoadedInventory inventory, RuleSink sink);
}

/// <summary>
/// Collects diagnostics of one rule run; every message starts with the field it is about. Invisible and
/// look-alike characters in a message are written as <c>&lt;U+200B&gt;</c>: a message quoting a value
/// must not look right when the value is not (MG0006 says where the character is).
/// </summary>
public sealed class RuleSink(LoadedInventory inventory)
{
    private readonly List<Diagnostic> _diagnostics = [];

    public ImmutableArray<Diagnostic> Diagnostics => [.. _diagnostics];

    public SourceMap Map => inventory.SourceMap;

    public void Add(Diagnostic diagnostic) => _diagnostics.Add(diagnostic with { Message = Primitives.LookAlikeText.Visible(diagnostic.Message) });

    /// <summary>Reports at the value of <paramref name="path"/> (or the nearest written parent).</summary>
    public void Report(DiagnosticRule rule, string path, string message, string? hint = null, Severity? severity = null)
    {
        var span = Map.SpanOf(path);
        Add(With(DiagnosticCatalogue.Create(rule, span, $"{path}: {message}{Map.InheritedBy(span)}", hint), severity));
    }

    /// <summary>Reports at the key of <paramref name="path"/>, for findings about the field as a whole.</summary>
    public void ReportKey(DiagnosticRule rule, string path, string message, string? hint = null) =>
        Add(DiagnosticCatalogue.Create(rule, Map.KeySpanOf(path), $"{path}: {message}{Map.InheritedBy(Map.KeySpanOf(path))}", hint));

    /// <summary>Reports at <paramref name="fragment"/> inside the scalar at <paramref name="path"/> when it can be located on the first line.</summary>
    public void ReportInValue(DiagnosticRule rule, string path, string fragment, string message, string? hint = null, Severity? severity = null)
    {
        var span = Map.SpanOf(path);
        if (Map.ScalarAt(path) is { } scalar && span.Line > 0 && fragment.Length > 0)
        {
            var index = scalar.Raw.IndexOf(fragment, StringComparison.Ordinal);
            var newline = scalar.Raw.IndexOf('\n', StringComparison.Ordinal);
            if (index > 0 && (newline < 0 || index < newline))
                span = span with { Column = span.Column + index };
        }
        Add(With(DiagnosticCatalogue.Create(rule, span, $"{path}: {message}{Map.InheritedBy(span)}", hint), severity));
    }

    private static Diagnostic With(Diagnostic d, Severity? severity) => severity is { } s ? d with { Severity = s } : d;
}
