using System.Collections.Immutable;
using ManifestGen.Diagnostics;

namespace ManifestGen.Loading;

public enum ScalarStyleKind { Plain, SingleQuoted, DoubleQuoted, Literal, Folded }

/// <summary>
/// A YAML node that remembers where it was written. The loader builds these itself from parser events
/// (not YamlDotNet's representation model) so that duplicate keys become diagnostics instead of
/// exceptions, and so that after layering every value still knows its own file:line:col.
/// </summary>
public abstract record YNode(SourceSpan Span);

/// <summary>A scalar: <paramref name="Value"/> is the parsed text, <paramref name="Raw"/> exactly what the file says.</summary>
public sealed record YScalar(SourceSpan Span, string Value, string Raw, ScalarStyleKind Style, string? Tag) : YNode(Span)
{
    public bool IsPlain => Style == ScalarStyleKind.Plain && Tag is null;
    /// <summary>YAML null: an empty plain scalar, ~ or null.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";
}

public sealed record YSequence(SourceSpan Span, ImmutableArray<YNode> Items) : YNode(Span);

public sealed record YEntry(YScalar Key, YNode Value);

public sealed record YMapping(SourceSpan Span, ImmutableArray<YEntry> Entries) : YNode(Span)
{
    public YEntry? Find(string key)
    {
        foreach (var e in Entries)
            if (e.Key.Value == key)
                return e;
        return null;
    }

    public YMapping Without(string key) => this with { Entries = [.. Entries.Where(e => e.Key.Value != key)] };
}
