namespace ManifestGen.Validation.Primitives;

/// <summary>
/// restic exclude patterns: Go <c>filepath.Match</c> syntax per path segment plus <c>**</c>, an optional
/// leading <c>!</c> (re-include). Checks what filepath.Match would report as ErrBadPattern.
/// </summary>
public static class ExcludePattern
{
    /// <summary>Null when valid, otherwise why not.</summary>
    public static string? WhyInvalid(string pattern)
    {
        if (pattern.Trim().Length == 0) return "the pattern is empty";
        if (pattern.IndexOfAny(['\0', '\n', '\r']) >= 0) return "the pattern contains a control character";
        var p = pattern[0] == '!' ? pattern[1..] : pattern;
        if (p.Length == 0) return "`!` must be followed by a pattern";
        for (int i = 0; i < p.Length; i++)
        {
            switch (p[i])
            {
                case '\\':
                    if (++i >= p.Length) return "the pattern ends with an escaping backslash";
                    break;
                case '[':
                    var why = SkipClass(p, ref i);
                    if (why is not null) return why;
                    break;
                case ']':
                    // A lone ']' is a literal for filepath.Match; nothing to check.
                    break;
            }
        }
        return null;
    }

    private static string? SkipClass(string p, ref int i)
    {
        int start = i;
        i++;
        if (i < p.Length && p[i] == '^') i++;
        bool any = false;
        while (i < p.Length && (p[i] != ']' || !any))
        {
            if (p[i] == ']' && !any) return "a character class `[]` is empty";
            if (!ReadClassChar(p, ref i, out var lo)) return "a character class ends with a backslash";
            if (i < p.Length && p[i] == '-')
            {
                i++;
                if (i >= p.Length) break;
                if (p[i] == ']') return $"the range in `{p[start..]}` has no end";
                if (!ReadClassChar(p, ref i, out var hi)) return "a character class ends with a backslash";
                if (hi < lo) return $"the range `{lo}-{hi}` is reversed";
            }
            any = true;
        }
        if (i >= p.Length) return $"the bracket `[` at position {start + 1} is not closed";
        return null;
    }

    private static bool ReadClassChar(string p, ref int i, out char c)
    {
        if (p[i] == '\\')
        {
            i++;
            if (i >= p.Length) { c = '\0'; return false; }
        }
        c = p[i++];
        return true;
    }
}
