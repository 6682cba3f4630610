using System.Collections.Immutable;
using ManifestGen.Diagnostics;

namespace ManifestGen.Loading;

public enum NodeKind { Scalar, Sequence, Mapping }

/// <summary>What the file says for one scalar: the raw text and how it was written (plain or quoted).</summary>
public sealed record ScalarInfo(string Raw, string Value, ScalarStyleKind Style, string? Tag)
{
    public bool IsPlain => Style == ScalarStyleKind.Plain && Tag is null;
}

/// <summary>One node of the inventory after layering: where its value and its key were written.</summary>
public sealed record SourceEntry(string Path, NodeKind Kind, SourceSpan Span, SourceSpan? KeySpan, ScalarInfo? Scalar);

/// <summary>
/// Maps model paths such as <c>hosts[0].apps[1].schedule</c> to where they were written (after layering,
/// each value keeps the file it came from). Paths use the YAML keys; list items are <c>[i]</c>; keys of
/// free-form maps (secret names) are appended with a dot.
/// </summary>
public sealed class SourceMap
{
    private readonly ImmutableDictionary<string, SourceEntry> _entries;

    public SourceMap(IEnumerable<SourceEntry> entries, SourceSpan root)
    {
        _entries = entries.ToImmutableDictionary(e => e.Path, StringComparer.Ordinal);
        Root = root;
    }

    /// <summary>The start of the environment file (used when nothing more precise is known).</summary>
    public SourceSpan Root { get; }

    public IEnumerable<SourceEntry> Entries => _entries.Values.OrderBy(e => e.Path, StringComparer.Ordinal);

    public SourceEntry? Find(string path) => _entries.GetValueOrDefault(path);

    /// <summary>
    /// Where the value at <paramref name="path"/> was written; for a field that is not set, the span of the
    /// nearest containing object that is.
    /// </summary>
    public SourceSpan SpanOf(string path)
    {
        for (var p = path; p.Length > 0; p = Parent(p))
            if (_entries.TryGetValue(p, out var entry))
                return entry.Span;
        return Root;
    }

    /// <summary>
    /// For a finding at <paramref name="span"/>: when the value was written in a base file, says which
    /// environment file inherits it (the same base may serve several environments), else nothing.
    /// </summary>
    public string InheritedBy(SourceSpan span) =>
        span.File == Root.File || span.File.Length == 0 ? "" : $" (written in {span.File}, inherited by {Root.File})";

    /// <summary>Where the key of the field at <paramref name="path"/> was written (falls back to <see cref="SpanOf"/>).</summary>
    public SourceSpan KeySpanOf(string path) => Find(path)?.KeySpan ?? SpanOf(path);

    /// <summary>Raw text and style of a scalar, or null when the path is not a scalar in the file.</summary>
    public ScalarInfo? ScalarAt(string path) => Find(path)?.Scalar;

    /// <summary>True when the path was written in a file (not a default).</summary>
    public bool IsSet(string path) => _entries.ContainsKey(path);

    public static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }

    public static string Child(string path, string key) => path.Length == 0 ? key : path + "." + key;
    public static string Item(string path, int index) => $"{path}[{index}]";
}
