using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace ManifestGen.Validation.Primitives;

/// <summary>A placeholder found in a value: where it starts (0-based) and its text.</summary>
public readonly record struct PlaceholderMatch(int Offset, string Text);

/// <summary>
/// Finds template placeholders left in a value: <c>${…}</c>, <c>{{…}}</c>, <c>&lt;UPPER_CASE&gt;</c>,
/// CHANGEME / CHANGE_ME / REPLACE_ME / REPLACEME (any case), TODO / FIXME / TBD (upper case, as words),
/// and any extra words the inventory lists (as whole words, case-sensitive).
/// </summary>
public static partial class Placeholders
{
    [GeneratedRegex(@"\$\{[^}\n]*\}?|\{\{.*?(\}\}|$)|<[A-Z][A-Z0-9_]+>|(?<![A-Za-z0-9])(?i:CHANGE_?ME|REPLACE_?ME)(?![A-Za-z0-9])|(?<![A-Za-z0-9_])(?:TODO|FIXME|TBD)(?![A-Za-z0-9_])", RegexOptions.CultureInvariant)]
    private static partial Regex Builtin();

    public static ImmutableArray<PlaceholderMatch> Find(string value, IEnumerable<string>? extraWords = null)
    {
        var matches = ImmutableArray.CreateBuilder<PlaceholderMatch>();
        foreach (Match m in Builtin().Matches(value))
            matches.Add(new PlaceholderMatch(m.Index, m.Value));
        foreach (var word in extraWords ?? [])
        {
            if (string.IsNullOrWhiteSpace(word))
                continue;
            var pattern = "(?<![A-Za-z0-9_])" + Regex.Escape(word) + "(?![A-Za-z0-9_])";
            foreach (Match m in Regex.Matches(value, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
                if (!matches.Any(x => x.Offset == m.Index))
                    matches.Add(new PlaceholderMatch(m.Index, m.Value));
        }
        return [.. matches.OrderBy(m => m.Offset)];
    }
}
