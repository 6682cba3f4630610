namespace ManifestGen.Contracts;

/// <summary>
/// The one function that quotes anything the runner sends to the remote (POSIX) shell. Single quotes
/// make every byte literal — spaces, double quotes, <c>$()</c>, backticks, globs, newlines, non-ASCII —
/// and a single quote itself is written as <c>'\''</c> (close, escaped quote, reopen).
/// </summary>
public static class ShellQuote
{
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // A NUL byte cannot be part of a command line: refuse instead of silently truncating.
        if (value.Contains('\0'))
            throw new ArgumentException("a NUL character cannot be passed to a remote shell", nameof(value));
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Quotes each word and joins them with spaces: a command line for the remote shell.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));
}
