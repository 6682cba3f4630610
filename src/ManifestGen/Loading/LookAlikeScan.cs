using ManifestGen.Diagnostics;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Loading;

/// <summary>
/// MG0006: every key and scalar of one file, checked for invisible and look-alike characters before the
/// file is layered and bound, so a key that differs from a known one only by such a character is named
/// for what it is, and the position is the character's own line and column in the file.
/// </summary>
internal static class LookAlikeScan
{
    public static void Scan(YNode root, ICollection<Diagnostic> diagnostics)
    {
        var reported = new HashSet<SourceSpan>();
        Walk(root, "", diagnostics, reported);
    }

    /// <summary>Where character <paramref name="found"/> of the scalar's value was written, when it appears literally in the file.</summary>
    public static SourceSpan Locate(YScalar scalar, SuspiciousCharacter found)
    {
        // The k-th occurrence in the value is the k-th in the raw text, unless it was written as an escape
        // ("\u200B"): then the raw text has fewer and the scalar's start is the best place to point at.
        var occurrence = 0;
        for (var i = scalar.Value.IndexOf(scalar.Value[found.Index], StringComparison.Ordinal); i >= 0 && i < found.Index;
             i = scalar.Value.IndexOf(scalar.Value[found.Index], i + 1))
            occurrence++;
        var at = -1;
        for (var n = 0; n <= occurrence; n++)
        {
            at = scalar.Raw.IndexOf(scalar.Value[found.Index], at + 1);
            if (at < 0)
                return scalar.Span;
        }
        var lineStart = scalar.Raw.LastIndexOf('\n', Math.Max(0, at - 1));
        var newlines = scalar.Raw.AsSpan(0, at).Count('\n');
        return newlines == 0
            ? scalar.Span with { Column = scalar.Span.Column + at }
            : scalar.Span with { Line = scalar.Span.Line + newlines, Column = at - lineStart };
    }

    private static void Walk(YNode node, string path, ICollection<Diagnostic> diagnostics, HashSet<SourceSpan> reported)
    {
        switch (node)
        {
            case YScalar scalar:
                Check(scalar, path, "value", diagnostics, reported);
                break;
            case YSequence sequence:
                for (var i = 0; i < sequence.Items.Length; i++)
                    Walk(sequence.Items[i], SourceMap.Item(path, i), diagnostics, reported);
                break;
            case YMapping mapping:
                foreach (var entry in mapping.Entries)
                {
                    var child = SourceMap.Child(path, LookAlikeText.Visible(entry.Key.Value));
                    Check(entry.Key, child, "key", diagnostics, reported);
                    Walk(entry.Value, child, diagnostics, reported);
                }
                break;
        }
    }

    private static void Check(YScalar scalar, string path, string what, ICollection<Diagnostic> diagnostics, HashSet<SourceSpan> reported)
    {
        foreach (var found in LookAlikeText.Find(scalar.Value))
        {
            var at = Locate(scalar, found);
            if (!reported.Add(at))
                continue;
            var intended = LookAlikeText.Skeleton(scalar.Value);
            var where = at == scalar.Span && found.Index > 0 ? $"character {found.Index + 1} of the {what} (written as an escape)" : $"column {at.Column}";
            var label = path.Length == 0 ? "" : path + ": ";
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.InvisibleCharacter, at,
                $"{label}{found.Describe()} at {where} in the {what} `{LookAlikeText.Visible(scalar.Value)}`",
                found.LooksLike is not null ? $"type the Latin letter `{found.LooksLike}`: `{intended}`"
                : found.IsSpace && found.Index > 0 && found.Index < scalar.Value.Length - 1 ? $"type a plain space: `{intended}`"
                : found.IsSpace ? $"delete it: `{intended.Trim()}`"
                : $"delete the invisible character{(intended.Length > 0 ? $": `{intended}`" : "")}"));
        }
    }
}
