using ManifestGen.Validation.Primitives;

namespace ManifestGen.Loading;

/// <summary>"Did you mean" suggestions by edit distance (case-insensitive).</summary>
public static class Suggestions
{
    /// <summary>
    /// The closest candidate, or null. Never for input with an invisible or look-alike character: the
    /// suggestion would print exactly like the input ("unknown key 'schedule', did you mean 'schedule'?"),
    /// so the caller names the character instead (see <see cref="Explain"/>).
    /// </summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        if (LookAlikeText.Find(input).Count > 0)
            return null;
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Order(StringComparer.Ordinal))
        {
            var distance = Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        // Only suggest what is plausibly a typo: at most a third of the word differs.
        return best is not null && bestDistance <= Math.Max(2, input.Length / 3) ? best : null;
    }

    /// <summary>
    /// The hint for an unknown word: "did you mean", or, when the word holds invisible or look-alike
    /// characters, what they are and what the word is without them.
    /// </summary>
    public static string? Explain(string input, IReadOnlyCollection<string> candidates)
    {
        var found = LookAlikeText.Find(input);
        if (found.Count == 0)
            return Closest(input, candidates) is { } suggestion ? $"did you mean '{suggestion}'?" : null;
        var skeleton = LookAlikeText.Skeleton(input);
        var what = string.Join(", ", found.Select(f => f.Describe()));
        if (candidates.Contains(skeleton))
            return $"'{skeleton}' with {what} in it: type it again in plain ASCII";
        return Closest(skeleton, candidates) is { } near
            ? $"it contains {what}; without it, did you mean '{near}'?"
            : $"it contains {what}";
    }

    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
