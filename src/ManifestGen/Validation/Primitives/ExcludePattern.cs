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

    /// <summary>
    /// True when restic, given <paramref name="pattern"/> as an exclude, leaves out <paramref name="path"/>
    /// itself (so everything below it): the pattern matches the path or a folder above it. As restic's
    /// filter does: a pattern with a leading '/' is matched from the root, one without at every position
    /// of the path; both may match a leading part (a parent) of it; '**' stands for any number of parts.
    /// </summary>
    public static bool ExcludesWholePath(string pattern, string path)
    {
        if (pattern.Length == 0 || pattern[0] == '!' || WhyInvalid(pattern) is not null)
            return false;
        var anchored = pattern[0] == '/';
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
            return anchored; // "/" is the root, above every path
        for (var start = 0; start <= (anchored ? 0 : segments.Length - 1); start++)
            for (var end = start + 1; end <= segments.Length; end++)
                if (MatchParts(parts, 0, segments, start, end))
                    return true;
        return false;
    }

    private static bool MatchParts(string[] parts, int p, string[] segments, int s, int end)
    {
        if (p == parts.Length)
            return s == end;
        if (parts[p] == "**")
        {
            for (var k = s; k <= end; k++)
                if (MatchParts(parts, p + 1, segments, k, end))
                    return true;
            return false;
        }
        return s < end && MatchSegment(parts[p], 0, segments[s], 0) && MatchParts(parts, p + 1, segments, s + 1, end);
    }

    /// <summary>Go's filepath.Match for one path part: '*', '?', '[class]' (with '^' negation and ranges), '\' escapes.</summary>
    public static bool MatchSegment(string pattern, int p, string text, int t)
    {
        while (p < pattern.Length)
        {
            var c = pattern[p];
            if (c == '*')
            {
                for (var k = t; k <= text.Length; k++)
                    if (MatchSegment(pattern, p + 1, text, k))
                        return true;
                return false;
            }
            if (t >= text.Length)
                return false;
            if (c == '?')
            {
                p++;
                t++;
                continue;
            }
            if (c == '[')
            {
                var i = p + 1;
                var negate = i < pattern.Length && pattern[i] == '^';
                if (negate) i++;
                var matched = false;
                var first = true;
                while (i < pattern.Length && (pattern[i] != ']' || first))
                {
                    first = false;
                    if (!ReadClassChar(pattern, ref i, out var lo)) return false;
                    var hi = lo;
                    if (i + 1 < pattern.Length && pattern[i] == '-' && pattern[i + 1] != ']')
                    {
                        i++;
                        if (!ReadClassChar(pattern, ref i, out hi)) return false;
                    }
                    matched |= text[t] >= lo && text[t] <= hi;
                }
                if (matched == negate)
                    return false;
                p = i + 1;
                t++;
                continue;
            }
            if (c == '\\' && p + 1 < pattern.Length)
                c = pattern[++p];
            if (text[t] != c)
                return false;
            p++;
            t++;
        }
        return t == text.Length;
    }
}
