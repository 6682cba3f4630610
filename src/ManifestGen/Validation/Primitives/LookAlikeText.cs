using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace ManifestGen.Validation.Primitives;

/// <summary>One character that makes text look like something it is not.</summary>
/// <param name="Index">UTF-16 index in the text.</param>
/// <param name="LooksLike">For a look-alike letter, the Latin letter it imitates; null for an invisible character.</param>
public sealed record SuspiciousCharacter(int Index, int CodePoint, string Name, string? LooksLike)
{
    /// <summary>"U+200B ZERO WIDTH SPACE".</summary>
    public string Label => $"U+{CodePoint:X4} {Name}";

    /// <summary>A space other than U+0020 (no-break, thin, ideographic): meant as a plain space.</summary>
    public bool IsSpace => CodePoint <= 0xFFFF && CharUnicodeInfo.GetUnicodeCategory(CodePoint) == UnicodeCategory.SpaceSeparator;

    public string Describe() => LooksLike is null ? Label : $"{Label} (looks like Latin `{LooksLike}`)";
}

/// <summary>
/// Finds the characters that make a name, address, path or command look right when it is not: invisible
/// and formatting characters (zero-width, byte order mark, bidi controls, soft hyphen), spaces other than
/// U+0020 (no-break, thin, ideographic), control characters other than tab and line breaks, and Cyrillic
/// or Greek letters that look like Latin ones inside an otherwise Latin word (`ехample`: the first two
/// letters are Cyrillic). A word written wholly in Cyrillic or Greek is left alone: that is a language,
/// not a look-alike. .NET carries no Unicode name table, so the names come from the table below; every
/// character found has one.
/// </summary>
public static class LookAlikeText
{
    private static readonly FrozenDictionary<int, string> Invisible = new Dictionary<int, string>
    {
        [0x00A0] = "NO-BREAK SPACE", [0x00AD] = "SOFT HYPHEN", [0x034F] = "COMBINING GRAPHEME JOINER",
        [0x061C] = "ARABIC LETTER MARK", [0x115F] = "HANGUL CHOSEONG FILLER", [0x1160] = "HANGUL JUNGSEONG FILLER",
        [0x1680] = "OGHAM SPACE MARK", [0x180E] = "MONGOLIAN VOWEL SEPARATOR",
        [0x2000] = "EN QUAD", [0x2001] = "EM QUAD", [0x2002] = "EN SPACE", [0x2003] = "EM SPACE",
        [0x2004] = "THREE-PER-EM SPACE", [0x2005] = "FOUR-PER-EM SPACE", [0x2006] = "SIX-PER-EM SPACE",
        [0x2007] = "FIGURE SPACE", [0x2008] = "PUNCTUATION SPACE", [0x2009] = "THIN SPACE", [0x200A] = "HAIR SPACE",
        [0x200B] = "ZERO WIDTH SPACE", [0x200C] = "ZERO WIDTH NON-JOINER", [0x200D] = "ZERO WIDTH JOINER",
        [0x200E] = "LEFT-TO-RIGHT MARK", [0x200F] = "RIGHT-TO-LEFT MARK",
        [0x2028] = "LINE SEPARATOR", [0x2029] = "PARAGRAPH SEPARATOR",
        [0x202A] = "LEFT-TO-RIGHT EMBEDDING", [0x202B] = "RIGHT-TO-LEFT EMBEDDING", [0x202C] = "POP DIRECTIONAL FORMATTING",
        [0x202D] = "LEFT-TO-RIGHT OVERRIDE", [0x202E] = "RIGHT-TO-LEFT OVERRIDE", [0x202F] = "NARROW NO-BREAK SPACE",
        [0x205F] = "MEDIUM MATHEMATICAL SPACE", [0x2060] = "WORD JOINER", [0x2061] = "FUNCTION APPLICATION",
        [0x2062] = "INVISIBLE TIMES", [0x2063] = "INVISIBLE SEPARATOR", [0x2064] = "INVISIBLE PLUS",
        [0x2066] = "LEFT-TO-RIGHT ISOLATE", [0x2067] = "RIGHT-TO-LEFT ISOLATE", [0x2068] = "FIRST STRONG ISOLATE",
        [0x2069] = "POP DIRECTIONAL ISOLATE", [0x3000] = "IDEOGRAPHIC SPACE", [0x3164] = "HANGUL FILLER",
        [0xFE0F] = "VARIATION SELECTOR-16", [0xFEFF] = "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
        [0xFFA0] = "HALFWIDTH HANGUL FILLER",
    }.ToFrozenDictionary();

    // Cyrillic and Greek letters that render like a Latin letter in common fonts (Unicode's confusables
    // for these scripts, reduced to the ones that are indistinguishable in a monospace editor).
    private static readonly FrozenDictionary<int, (string Name, string Latin)> LookAlikes = new Dictionary<int, (string, string)>
    {
        [0x0430] = ("CYRILLIC SMALL LETTER A", "a"), [0x0435] = ("CYRILLIC SMALL LETTER IE", "e"),
        [0x043E] = ("CYRILLIC SMALL LETTER O", "o"), [0x0440] = ("CYRILLIC SMALL LETTER ER", "p"),
        [0x0441] = ("CYRILLIC SMALL LETTER ES", "c"), [0x0443] = ("CYRILLIC SMALL LETTER U", "y"),
        [0x0445] = ("CYRILLIC SMALL LETTER HA", "x"), [0x0456] = ("CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I", "i"),
        [0x0458] = ("CYRILLIC SMALL LETTER JE", "j"), [0x0455] = ("CYRILLIC SMALL LETTER DZE", "s"),
        [0x0501] = ("CYRILLIC SMALL LETTER KOMI DE", "d"), [0x051B] = ("CYRILLIC SMALL LETTER QA", "q"),
        [0x051D] = ("CYRILLIC SMALL LETTER WE", "w"), [0x04BB] = ("CYRILLIC SMALL LETTER SHHA", "h"),
        [0x0410] = ("CYRILLIC CAPITAL LETTER A", "A"), [0x0412] = ("CYRILLIC CAPITAL LETTER VE", "B"),
        [0x0415] = ("CYRILLIC CAPITAL LETTER IE", "E"), [0x041A] = ("CYRILLIC CAPITAL LETTER KA", "K"),
        [0x041C] = ("CYRILLIC CAPITAL LETTER EM", "M"), [0x041D] = ("CYRILLIC CAPITAL LETTER EN", "H"),
        [0x041E] = ("CYRILLIC CAPITAL LETTER O", "O"), [0x0420] = ("CYRILLIC CAPITAL LETTER ER", "P"),
        [0x0421] = ("CYRILLIC CAPITAL LETTER ES", "C"), [0x0422] = ("CYRILLIC CAPITAL LETTER TE", "T"),
        [0x0425] = ("CYRILLIC CAPITAL LETTER HA", "X"), [0x0406] = ("CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I", "I"),
        [0x0408] = ("CYRILLIC CAPITAL LETTER JE", "J"), [0x0405] = ("CYRILLIC CAPITAL LETTER DZE", "S"),
        [0x0391] = ("GREEK CAPITAL LETTER ALPHA", "A"), [0x0392] = ("GREEK CAPITAL LETTER BETA", "B"),
        [0x0395] = ("GREEK CAPITAL LETTER EPSILON", "E"), [0x0396] = ("GREEK CAPITAL LETTER ZETA", "Z"),
        [0x0397] = ("GREEK CAPITAL LETTER ETA", "H"), [0x0399] = ("GREEK CAPITAL LETTER IOTA", "I"),
        [0x039A] = ("GREEK CAPITAL LETTER KAPPA", "K"), [0x039C] = ("GREEK CAPITAL LETTER MU", "M"),
        [0x039D] = ("GREEK CAPITAL LETTER NU", "N"), [0x039F] = ("GREEK CAPITAL LETTER OMICRON", "O"),
        [0x03A1] = ("GREEK CAPITAL LETTER RHO", "P"), [0x03A4] = ("GREEK CAPITAL LETTER TAU", "T"),
        [0x03A5] = ("GREEK CAPITAL LETTER UPSILON", "Y"), [0x03A7] = ("GREEK CAPITAL LETTER CHI", "X"),
        [0x03BF] = ("GREEK SMALL LETTER OMICRON", "o"), [0x03BD] = ("GREEK SMALL LETTER NU", "v"),
        [0x03B9] = ("GREEK SMALL LETTER IOTA", "i"), [0x03C1] = ("GREEK SMALL LETTER RHO", "p"),
        [0x03BA] = ("GREEK SMALL LETTER KAPPA", "k"), [0x03C5] = ("GREEK SMALL LETTER UPSILON", "u"),
        [0x0391 + 0x20] = ("GREEK SMALL LETTER ALPHA", "a"),
        [0xFF0E] = ("FULLWIDTH FULL STOP", "."), [0xFF0F] = ("FULLWIDTH SOLIDUS", "/"), [0xFF1A] = ("FULLWIDTH COLON", ":"),
        [0x2024] = ("ONE DOT LEADER", "."), [0x2010] = ("HYPHEN", "-"), [0x2011] = ("NON-BREAKING HYPHEN", "-"),
        [0x2012] = ("FIGURE DASH", "-"), [0x2013] = ("EN DASH", "-"), [0x2212] = ("MINUS SIGN", "-"),
        [0x2215] = ("DIVISION SLASH", "/"), [0x2044] = ("FRACTION SLASH", "/"),
    }.ToFrozenDictionary();

    /// <summary>Every suspicious character of <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<SuspiciousCharacter> Find(string text)
    {
        List<SuspiciousCharacter>? found = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80)
            {
                if (c < 0x20 && c is not ('\t' or '\n' or '\r') || c == 0x7F)
                    (found ??= []).Add(new(i, c, ControlName(c), null));
                continue;
            }
            var codePoint = char.IsHighSurrogate(c) && i + 1 < text.Length ? char.ConvertToUtf32(c, text[i + 1]) : c;
            if (Invisible.TryGetValue(codePoint, out var name))
                (found ??= []).Add(new(i, codePoint, name, null));
            else if (codePoint is >= 0xE0000 and <= 0xE007F)
                (found ??= []).Add(new(i, codePoint, "TAG CHARACTER", null));
            else if (codePoint is >= 0xFE00 and <= 0xFE0E)
                (found ??= []).Add(new(i, codePoint, $"VARIATION SELECTOR-{codePoint - 0xFE00 + 1}", null));
            else if (codePoint is >= 0x80 and <= 0x9F)
                (found ??= []).Add(new(i, codePoint, "C1 CONTROL CHARACTER", null));
            else if (LookAlikes.TryGetValue(codePoint, out var lookAlike) && InLatinContext(text, i, lookAlike.Latin))
                (found ??= []).Add(new(i, codePoint, lookAlike.Name, lookAlike.Latin));
            if (codePoint > 0xFFFF)
                i++;
        }
        return found ?? (IReadOnlyList<SuspiciousCharacter>)[];
    }

    /// <summary>The text with every suspicious character written as <c>&lt;U+200B&gt;</c>, so a message shows what the eye cannot.</summary>
    public static string Visible(string text)
    {
        var found = Find(text);
        if (found.Count == 0)
            return text;
        var builder = new StringBuilder(text.Length + 8 * found.Count);
        var from = 0;
        foreach (var c in found)
        {
            builder.Append(text, from, c.Index - from).Append(CultureInfo.InvariantCulture, $"<U+{c.CodePoint:X4}>");
            from = c.Index + (c.CodePoint > 0xFFFF ? 2 : 1);
        }
        return builder.Append(text, from, text.Length - from).ToString();
    }

    /// <summary>The text as it was meant: invisible characters removed, other spaces made plain, look-alikes replaced by the Latin letter they imitate.</summary>
    public static string Skeleton(string text)
    {
        var found = Find(text);
        if (found.Count == 0)
            return text;
        var builder = new StringBuilder(text.Length);
        var from = 0;
        foreach (var c in found)
        {
            builder.Append(text, from, c.Index - from).Append(c.LooksLike ?? (c.IsSpace ? " " : ""));
            from = c.Index + (c.CodePoint > 0xFFFF ? 2 : 1);
        }
        return builder.Append(text, from, text.Length - from).ToString();
    }

    // A letter look-alike counts inside a word that also has an ASCII letter (`ехample`, `kvm-рrod`); a
    // punctuation look-alike (a fullwidth dot, a dash) counts when it touches ASCII text (`–exclude`,
    // `example．org`), not between spaces, where a dash in a message is just typography.
    private static bool InLatinContext(string text, int index, string latin)
    {
        if (!char.IsAsciiLetter(latin[0]))
            return (index > 0 && IsAsciiWordOrPunctuation(text[index - 1])) || (index + 1 < text.Length && IsAsciiWordOrPunctuation(text[index + 1]));
        int start = index, end = index;
        while (start > 0 && char.IsLetterOrDigit(text[start - 1]))
            start--;
        while (end + 1 < text.Length && char.IsLetterOrDigit(text[end + 1]))
            end++;
        for (var i = start; i <= end; i++)
            if (char.IsAsciiLetter(text[i]))
                return true;
        // A word made only of look-alikes in an otherwise ASCII value (`kvm.ехаmрlе.org` has none left,
        // but `ехе` in `/usr/bin/ехе` has): the surrounding value decides.
        return Enumerable.Range(start, end - start + 1).All(i => LookAlikes.ContainsKey(text[i]))
            && text.Where(char.IsLetter).All(ch => char.IsAscii(ch) || LookAlikes.ContainsKey(ch))
            && text.Any(char.IsAsciiLetter);
    }

    private static bool IsAsciiWordOrPunctuation(char c) => char.IsAscii(c) && !char.IsWhiteSpace(c) && !char.IsControl(c);

    private static string ControlName(char c) => c switch
    {
        '\0' => "NULL",
        '\b' => "BACKSPACE",
        '\v' => "LINE TABULATION",
        '\f' => "FORM FEED",
        (char)0x1B => "ESCAPE",
        (char)0x7F => "DELETE",
        _ => "CONTROL CHARACTER",
    };
}
