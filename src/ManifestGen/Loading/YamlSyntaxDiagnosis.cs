using System.Text.RegularExpressions;
using ManifestGen.Diagnostics;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Loading;

/// <summary>
/// Turns a YAML syntax error into the mistake a person made, at the line and column where they made it.
/// The parser's position is often elsewhere: a tab in the indentation is reported at 1:1, an unclosed
/// quote where the parser finally gives up (sometimes fifty lines later), a missing space after `:` as
/// "did not find expected key". So the text is scanned for the usual causes, in the order in which they
/// hide each other; only when none is found are the parser's position and (rephrased) words used.
/// </summary>
internal static partial class YamlSyntaxDiagnosis
{
    [GeneratedRegex(@"^(?<indent> *)(?:- +)?(?<key>[A-Za-z_][\w.-]*):(?<after>[^\s:/\[{])", RegexOptions.CultureInvariant)]
    private static partial Regex KeyWithoutSpace();

    [GeneratedRegex(@"^(?<indent> *)(?:- +)*(?<key>[^\s#'""\-][^:#]*?):(?:\s|$)", RegexOptions.CultureInvariant)]
    private static partial Regex KeyLine();

    public static Diagnostic Explain(string text, SourceSpan parserAt, string parserMessage)
    {
        try
        {
            return Diagnose(text, parserAt, parserMessage);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or RegexMatchTimeoutException)
        {
            // The scan is a best effort on text that does not parse; the parser's own finding still stands.
            return DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, parserAt, Rephrase(parserMessage));
        }
    }

    private static Diagnostic Diagnose(string text, SourceSpan parserAt, string parserMessage)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var errorLine = Math.Clamp(parserAt.Line, 1, Math.Max(1, lines.Length));
        Diagnostic At(int line, int column, string message, string hint) =>
            DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, parserAt with { Line = line, Column = column }, message, hint);

        if (Tab(lines) is { } tab)
            return At(tab.Line, tab.Column, "a tab in the indentation: YAML indents with spaces only",
                "replace the tab with spaces, as many as the lines around it use");
        if (UnclosedQuote(lines, errorLine) is { } quote)
            return At(quote.Line, quote.Column, $"the {(quote.Quote == '"' ? "double" : "single")} quote opened here is not closed on this line, so everything after it up to the next {quote.Quote} is read as one value",
                $"close it at the end of the value: {quote.Quote}…{quote.Quote}");
        if (UnclosedBracket(lines, errorLine) is { } bracket)
            return At(bracket.Line, bracket.Column, $"the `{bracket.Open}` opened here is never closed",
                $"close it with `{(bracket.Open == '[' ? "]` on the same line: `[a, b]" : "}` on the same line: `{a: 1, b: 2}")}`");

        var line = lines.Length == 0 ? "" : lines[errorLine - 1];
        foreach (var candidate in new[] { errorLine, errorLine - 1 }.Where(n => n >= 1 && n <= lines.Length))
        {
            var found = LookAlikeText.Find(lines[candidate - 1]);
            if (found.Count > 0)
                return At(candidate, found[0].Index + 1,
                    $"{found[0].Describe()} at column {found[0].Index + 1}: YAML does not read it as a space or separator, so `{LookAlikeText.Visible(lines[candidate - 1].Trim())}` does not mean what it shows",
                    found[0].IsSpace ? "type a plain space instead" : "delete the character");
            if (KeyWithoutSpace().Match(lines[candidate - 1]) is { Success: true } m)
            {
                var key = m.Groups["key"].Value;
                var rest = lines[candidate - 1][m.Groups["after"].Index..].TrimEnd();
                return At(candidate, m.Groups["after"].Index + 1,
                    $"no space after `{key}:`, so YAML reads `{key}:{rest}` as one word, not as a key and its value",
                    $"write `{key}: {rest}`");
            }
        }
        if (parserMessage.Contains("expected key", StringComparison.Ordinal) || parserMessage.Contains("expected '-'", StringComparison.Ordinal)
            || parserMessage.Contains("mapping values are not allowed", StringComparison.Ordinal))
        {
            if (Indentation(lines, errorLine) is { } indentation)
                return indentation;
        }
        if (line.TrimStart(' ').StartsWith('-') && line.TrimStart(' ').Length > 1 && line.TrimStart(' ')[1] is not (' ' or '-'))
        {
            var column = line.Length - line.TrimStart(' ').Length + 1;
            return At(errorLine, column, "a list item needs a space after its `-`", $"write `- {line.TrimStart(' ')[1..]}`");
        }
        return DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, parserAt, Rephrase(parserMessage),
            "check the indentation, quotes and brackets of this line and the lines before it");

        Diagnostic? Indentation(string[] all, int at)
        {
            var current = all[at - 1];
            if (current.Trim().Length == 0)
                return null;
            var indent = current.Length - current.TrimStart(' ').Length;
            // The open blocks above: walking up, each line less indented than every line since is an ancestor.
            var ancestors = new List<(int Line, int Indent)>();
            var smallest = int.MaxValue;
            for (var n = at - 1; n >= 1; n--)
            {
                var text = all[n - 1];
                var trimmed = text.TrimStart(' ');
                if (trimmed.Length == 0 || trimmed.StartsWith('#'))
                    continue;
                var i = text.Length - trimmed.Length;
                if (i < smallest)
                {
                    ancestors.Add((n, i));
                    smallest = i;
                }
                if (i == 0)
                    break;
            }
            if (ancestors.Any(a => a.Indent == indent))
                return null;
            var outer = ancestors.Where(a => a.Indent < indent).Select(a => ((int Line, int Indent)?)a).FirstOrDefault();
            var inner = ancestors.Where(a => a.Indent > indent).Select(a => ((int Line, int Indent)?)a).LastOrDefault();
            string Name((int Line, int Indent) a) => all[a.Line - 1].Trim() is var t && KeyLine().Match(all[a.Line - 1]) is { Success: true } k ? $"`{k.Groups["key"].Value}:`" : $"`{t}`";
            var between = (outer, inner) switch
            {
                ({ } o, { } n) => $"between the levels of {Name(o)} ({o.Indent} spaces, line {o.Line}) and {Name(n)} ({n.Indent} spaces, line {n.Line})",
                ({ } o, null) => $"deeper than {Name(o)} ({o.Indent} spaces, line {o.Line}) without a key above it that opens a block",
                (null, { } n) => $"less than {Name(n)} ({n.Indent} spaces, line {n.Line})",
                _ => "matching no block above it",
            };
            var hint = inner is { } sibling
                ? $"indent it by {sibling.Indent} spaces to line it up with {Name(sibling)}" + (outer is { } parent ? $", or by {parent.Indent} for a sibling of {Name(parent)}" : "")
                : outer is { } o2 ? $"indent it by {o2.Indent} spaces to line it up with {Name(o2)}" : "line it up with the keys of its mapping";
            return At(at, indent + 1, $"this line is indented by {indent} space{(indent == 1 ? "" : "s")}, {between}", hint);
        }
    }

    private static (int Line, int Column)? Tab(string[] lines)
    {
        var inBlockScalar = -1;
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            var lead = line.Length - line.TrimStart(' ', '\t').Length;
            var spaces = line.Length - line.TrimStart(' ').Length;
            // Content of a literal or folded block (`run: |`) may hold tabs after its indentation.
            if (inBlockScalar >= 0 && (line.Trim().Length == 0 || spaces > inBlockScalar))
                continue;
            inBlockScalar = -1;
            var tab = line.AsSpan(0, lead).IndexOf('\t');
            if (tab >= 0)
                return (n + 1, tab + 1);
            var content = line.TrimEnd();
            if (content.EndsWith('|') || content.EndsWith('>') || Regex.IsMatch(content, @"[:-]\s+[|>][+-]?\d?$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
                inBlockScalar = spaces;
        }
        return null;
    }

    private static (int Line, int Column, char Quote)? UnclosedQuote(string[] lines, int upTo)
    {
        for (var n = 0; n < Math.Min(upTo, lines.Length); n++)
        {
            var line = lines[n];
            var depth = 0;
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (c == '#' && (i == 0 || line[i - 1] is ' ' or '\t'))
                    break;
                if (c is '"' or '\'' && IsQuoteStart(line, i, depth))
                {
                    var close = Closing(line, i);
                    if (close < 0)
                        return (n + 1, i + 1, c);
                    i = close;
                }
                else if (c is '[' or '{')
                    depth++;
                else if (c is ']' or '}')
                    depth--;
            }
        }
        return null;
    }

    // A quote opens a quoted value only where a value starts: after `key:`, a list dash, a bracket or brace,
    // or a comma inside one. Elsewhere it is part of a plain value (`run: sqlite3 db ".backup 'x'"`).
    private static bool IsQuoteStart(string line, int i, int depth)
    {
        var before = line[..i].TrimEnd();
        return before.Length == 0 || before.EndsWith(':') || before.Trim(' ', '-').Length == 0 || before.EndsWith("? ", StringComparison.Ordinal)
            || before.EndsWith('[') || before.EndsWith('{') || depth > 0 && before.EndsWith(',');
    }

    private static int Closing(string line, int open)
    {
        var quote = line[open];
        for (var i = open + 1; i < line.Length; i++)
        {
            if (quote == '"' && line[i] == '\\')
                i++;
            else if (quote == '\'' && line[i] == '\'' && i + 1 < line.Length && line[i + 1] == '\'')
                i++;
            else if (line[i] == quote)
                return i;
        }
        return -1;
    }

    private static (int Line, int Column, char Open)? UnclosedBracket(string[] lines, int upTo)
    {
        var open = new Stack<(int Line, int Column, char Open)>();
        for (var n = 0; n < Math.Min(upTo, lines.Length); n++)
        {
            var line = lines[n];
            var trimmed = line.TrimStart();
            // A flow collection starts as a value (`key: [`, `- [`) or inside another one.
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (c == '#' && (i == 0 || line[i - 1] is ' ' or '\t'))
                    break;
                if (c is '"' or '\'' && IsQuoteStart(line, i, open.Count))
                {
                    var close = Closing(line, i);
                    if (close < 0)
                        break;
                    i = close;
                }
                else if (c is '[' or '{' && (open.Count > 0 || IsValueStart(line, i)))
                    open.Push((n + 1, i + 1, c));
                else if (c is ']' or '}' && open.Count > 0)
                    open.Pop();
            }
            // Block content after an unclosed flow collection: the collection was never closed.
            if (open.Count > 0 && n + 1 < lines.Length && KeyLine().IsMatch(lines[n + 1])
                && lines[n + 1].Length - lines[n + 1].TrimStart(' ').Length <= line.Length - trimmed.Length)
                return open.Last();
        }
        return open.Count > 0 ? open.Last() : null;
    }

    private static bool IsValueStart(string line, int i)
    {
        var before = line[..i].TrimEnd();
        return before.Length == 0 || before.EndsWith(':') || before.EndsWith('-') || before.EndsWith(',');
    }

    private static string Rephrase(string message)
    {
        foreach (var (parser, ours) in new[]
                 {
                     ("did not find expected key", "this line does not continue the mapping above it"),
                     ("mapping values are not allowed in this context", "a `key: value` where a plain value was expected (a value that contains `: ` must be quoted)"),
                     ("did not find expected '-' indicator", "this list item is not lined up with the items before it"),
                     ("found character that cannot start any token", "a character that cannot start a value (`@`, a backquote or `%`): quote the value"),
                     ("did not find expected ',' or ']'", "a list in brackets is not closed with `]`"),
                     ("did not find expected ',' or '}'", "a mapping in braces is not closed with `}`"),
                     ("found unexpected end of stream", "the file ends inside a quoted value or a bracket"),
                     ("did not find expected node content", "a value is missing here"),
                     ("invalid YAML after this position", "invalid YAML after this position"),
                 })
            if (message.Contains(parser, StringComparison.OrdinalIgnoreCase))
                return ours;
        return "not valid YAML: " + message.TrimEnd('.');
    }
}
