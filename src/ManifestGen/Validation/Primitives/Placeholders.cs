using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace ManifestGen.Validation.Primitives;

/// <summary>A placeholder found in a value: where it starts (0-based) and its text.</summary>
public readonly record struct PlaceholderMatch(int Offset, string Text);

/// <summary>Where a value is used: a plain value, or a command the host's shell runs (hooks, dumps).</summary>
public enum PlaceholderContext { Value, Shell }

/// <summary>
/// The one placeholder detector, for the inventory and for the rendered output. Always a placeholder:
/// <c>{{…}}</c> (Helm, Go templates), <c>&lt;UPPER_CASE&gt;</c> and <c>&lt;your-…&gt;</c>, CHANGEME /
/// CHANGE_ME / REPLACE_ME / REPLACEME (any case), TODO / FIXME / TBD (upper case, as words), a token of
/// only x (<c>xxx</c>), and any extra words the inventory lists (as whole words, case-sensitive). In a
/// plain value also <c>${…}</c>, <c>$NAME</c> and <c>%NAME%</c>; in a shell command those are the shell's
/// own syntax (<c>${VAR:-default}</c>, <c>$(cmd)</c>, <c>date +%Y%m%d</c>) and are left alone.
/// </summary>
public static partial class Placeholders
{
    [GeneratedRegex(@"\{\{.*?(\}\}|$)|<[A-Z][A-Z0-9_]+>|<(?i:your|my|insert|enter)[-_ a-z0-9]*>|(?<![A-Za-z0-9])(?i:CHANGE_?ME|REPLACE_?ME)(?![A-Za-z0-9])|(?<![A-Za-z0-9_])(?:TODO|FIXME|TBD)(?![A-Za-z0-9_])|(?<![A-Za-z0-9+/=_-])(?i:x{3,})(?![A-Za-z0-9+/=_-])", RegexOptions.CultureInvariant)]
    private static partial Regex Always();

    [GeneratedRegex(@"\$\{[^}\n]*\}?|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%", RegexOptions.CultureInvariant)]
    private static partial Regex ValueOnly();

    public static ImmutableArray<PlaceholderMatch> Find(string value, IEnumerable<string>? extraWords = null, PlaceholderContext context = PlaceholderContext.Value)
    {
        var matches = ImmutableArray.CreateBuilder<PlaceholderMatch>();
        foreach (Match m in Always().Matches(value))
            matches.Add(new PlaceholderMatch(m.Index, m.Value));
        if (context == PlaceholderContext.Value)
            foreach (Match m in ValueOnly().Matches(value))
                if (!matches.Any(x => x.Offset <= m.Index && m.Index < x.Offset + x.Text.Length))
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
