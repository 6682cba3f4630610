using System.Collections.Immutable;

namespace ManifestGen.Diagnostics.Formatting;

/// <summary>
/// The text of the files diagnostics point into, so a report can quote the offending line.
/// Files that are not in the set are simply not quoted.
/// </summary>
public sealed class SourceSet
{
    private readonly ImmutableDictionary<string, string[]> _lines;

    public static SourceSet Empty { get; } = new(ImmutableDictionary<string, string>.Empty);

    public SourceSet(IReadOnlyDictionary<string, string> textByFile) =>
        _lines = textByFile.ToImmutableDictionary(kv => kv.Key, kv => SplitLines(kv.Value), StringComparer.Ordinal);

    /// <summary>
    /// Reads the named files (relative to <paramref name="root"/>, as diagnostics name them) from disk;
    /// unreadable files are skipped (they have their own diagnostic).
    /// </summary>
    public static SourceSet FromFiles(IEnumerable<string> files, string root)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files.Distinct(StringComparer.Ordinal))
        {
            try { texts[file] = File.ReadAllText(Path.Combine(root, file)); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return new SourceSet(texts);
    }

    /// <summary>The 1-based line of the file without its line break, or null.</summary>
    public string? Line(string file, int line) =>
        line > 0 && _lines.TryGetValue(file, out var lines) && line <= lines.Length ? lines[line - 1] : null;

    private static string[] SplitLines(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
}
