using System.Text;
using System.Text.Json.Nodes;

namespace ManifestGen.Rendering;

/// <summary>
/// Reads the plain block YAML the templates write (block mappings and sequences, plain and double-quoted
/// single-line scalars, <c>|</c> and <c>|-</c> literal blocks, <c>{}</c> and <c>[]</c>, comment lines)
/// straight into the JSON view <see cref="ObjectReader"/> checks, without a general YAML parser: the
/// general one was a fifth of the generator's time. It decides nothing it is not sure of: anything
/// outside that form (anchors, tags, flow collections, single quotes, folded or multi-line scalars,
/// escapes JSON does not have, tabs, duplicate keys, a line it cannot place) makes it decline, and the
/// caller reads the text with the general parser, which also gives every error its message. A test
/// checks that both give the same JSON for every object the examples render and for mutated copies.
/// </summary>
internal static class BlockYamlReader
{
    /// <summary>The document as JSON, or null when the text is not in the form this reader decides.</summary>
    public static JsonObject? TryRead(string text)
    {
        if (text.Length == 0 || text[^1] != '\n' || text.Contains('\t') || text.Contains('\r'))
            return null;
        var lines = new Lines(text);
        if (!lines.SkipInsignificant() || lines.Indent != 0 || IsSequenceItem(lines.Content))
            return null;
        var root = ReadMapping(lines, 0);
        return root is not null && lines.AtEnd ? root : null;
    }

    /// <summary>The text's lines, with the current one's indentation and content (which a sequence item narrows).</summary>
    private sealed class Lines(string text)
    {
        private int _next;
        public int Indent { get; private set; }
        public ReadOnlyMemory<char> Content { get; private set; }
        public bool AtEnd { get; private set; }
        public int Position => _next;

        /// <summary>Moves to the next line; false at the end of the text.</summary>
        public bool Advance()
        {
            if (_next >= text.Length)
            {
                AtEnd = true;
                return false;
            }
            var end = text.IndexOf('\n', _next);
            var line = text.AsMemory(_next, end - _next);
            _next = end + 1;
            var indent = 0;
            while (indent < line.Length && line.Span[indent] == ' ')
                indent++;
            (Indent, Content) = (indent, line[indent..]);
            return true;
        }

        /// <summary>Skips blank and comment lines from the current one on; false at the end.</summary>
        public bool SkipInsignificant()
        {
            if (AtEnd)
                return false;
            while (Content.Length == 0 || Content.Span[0] == '#')
                if (!Advance())
                    return false;
            return true;
        }

        /// <summary>The raw line starting at <paramref name="at"/> (for literal blocks), or null at the end.</summary>
        public ReadOnlyMemory<char>? RawLine(ref int at)
        {
            if (at >= text.Length)
                return null;
            var end = text.IndexOf('\n', at);
            var line = text.AsMemory(at, end - at);
            at = end + 1;
            return line;
        }

        /// <summary>Continues after a literal block: the next line read starts at <paramref name="at"/>.</summary>
        public void ResumeAt(int at) => _next = at;

        /// <summary>Treats the rest of a sequence item's line as a line of its own at <paramref name="indent"/>.</summary>
        public void Narrow(int indent, ReadOnlyMemory<char> content) => (Indent, Content) = (indent, content);
    }

    private static bool IsSequenceItem(ReadOnlyMemory<char> content) =>
        content.Length > 0 && content.Span[0] == '-' && (content.Length == 1 || content.Span[1] == ' ');

    private static JsonObject? ReadMapping(Lines lines, int indent)
    {
        var obj = new JsonObject();
        while (!lines.AtEnd && lines.Indent == indent && !IsSequenceItem(lines.Content))
        {
            var content = lines.Content.Span;
            var (key, afterKey) = ReadKey(content);
            if (key is null || key == "<<" || obj.ContainsKey(key))
                return null;
            var rest = content[afterKey..].Trim(' ');
            JsonNode? value;
            bool more;
            if (rest.Length == 0)
            {
                more = lines.Advance() && lines.SkipInsignificant();
                if (more && lines.Indent > indent)
                    value = ReadBlock(lines, lines.Indent, out more);
                else if (more && lines.Indent == indent && IsSequenceItem(lines.Content))
                    value = ReadSequence(lines, indent, out more);
                else
                {
                    obj.Add(key, null);
                    if (more && lines.Indent > indent)
                        return null;
                    continue;
                }
                if (value is null)
                    return null;
                obj.Add(key, value);
                if (!more)
                    break;
                continue;
            }
            if (rest is "|" or "|-")
            {
                if (ReadLiteral(lines, indent, strip: rest.Length == 2) is not { } literal)
                    return null;
                obj.Add(key, literal);
            }
            else
            {
                if (!TryScalar(rest, out value))
                    return null;
                obj.Add(key, value);
                lines.Advance();
            }
            if (!lines.SkipInsignificant())
                break;
            if (lines.Indent > indent)
                return null;
        }
        return lines.AtEnd || lines.Indent <= indent ? obj : null;
    }

    // A block after "key:" at a deeper indentation: a mapping or a sequence.
    private static JsonNode? ReadBlock(Lines lines, int indent, out bool more)
    {
        JsonNode? node = IsSequenceItem(lines.Content) ? ReadSequence(lines, indent, out more) : ReadMapping(lines, indent);
        more = !lines.AtEnd;
        return node;
    }

    private static JsonArray? ReadSequence(Lines lines, int indent, out bool more)
    {
        var array = new JsonArray();
        more = true;
        while (!lines.AtEnd && lines.Indent == indent && IsSequenceItem(lines.Content))
        {
            var content = lines.Content;
            if (content.Length < 3)
                return null;
            var item = content[2..];
            var leading = 0;
            while (leading < item.Length && item.Span[leading] == ' ')
                leading++;
            item = item[leading..];
            if (item.Length == 0 || item.Span[0] is '-' or '#' or '|' or '>')
                return null;
            if (ReadKey(item.Span).Key is not null)
            {
                // "- key: value": a mapping whose keys line up with this first one.
                lines.Narrow(indent + 2 + leading, item);
                if (ReadMapping(lines, indent + 2 + leading) is not { } mapping)
                    return null;
                array.Add((JsonNode)mapping);
            }
            else
            {
                if (!TryScalar(item.Span.TrimEnd(' '), out var value))
                    return null;
                array.Add(value);
                lines.Advance();
                if (!lines.SkipInsignificant())
                    break;
            }
            if (!lines.AtEnd && lines.Indent > indent)
                return null;
        }
        more = !lines.AtEnd;
        return array;
    }

    /// <summary>
    /// A key and where its ':' ends: a plain key of letters, digits and <c>._/-</c>, or a double-quoted one,
    /// followed by ':' and a space or the end of the line. Null when the line is not a mapping entry this
    /// reader decides.
    /// </summary>
    private static (string? Key, int After) ReadKey(ReadOnlySpan<char> content)
    {
        if (content.Length == 0)
            return (null, 0);
        int end;
        string key;
        if (content[0] == '"')
        {
            if (Quoted(content, out var quoted, out end) is not true)
                return (null, 0);
            key = quoted!;
        }
        else
        {
            end = 0;
            while (end < content.Length && IsPlainKeyChar(content[end]))
                end++;
            if (end == 0 || content[0] == '-' || content[0] == '.')
                return (null, 0);
            key = content[..end].ToString();
        }
        if (end >= content.Length || content[end] != ':' || (end + 1 < content.Length && content[end + 1] != ' '))
            return (null, 0);
        return (key, end + 1);
    }

    private static bool IsPlainKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '-';

    /// <summary>A single-line value: <c>{}</c>, <c>[]</c>, a double-quoted string, or a plain scalar with the core schema's types.</summary>
    private static bool TryScalar(ReadOnlySpan<char> text, out JsonNode? value)
    {
        value = null;
        switch (text)
        {
            case "{}":
                value = new JsonObject();
                return true;
            case "[]":
                value = new JsonArray();
                return true;
        }
        if (text[0] == '"')
        {
            if (Quoted(text, out var quoted, out var end) is not true || end != text.Length)
                return false;
            value = JsonValue.Create(quoted);
            return true;
        }
        // Plain: printable ASCII that cannot start anything else, with no ": ", " #" or ':' at its end.
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(text[0]) || text[^1] == ':')
            return false;
        foreach (var c in text)
            if (c is < ' ' or > '~' or '#')
                return false;
        if (text.Contains(": ", StringComparison.Ordinal))
            return false;
        value = ObjectReader.Plain(text.ToString());
        return true;
    }

    /// <summary>
    /// A double-quoted scalar at the start of <paramref name="text"/> with only the escapes JSON has; true
    /// with its value and the index after the closing quote, null when it is outside that form.
    /// </summary>
    private static bool? Quoted(ReadOnlySpan<char> text, out string? value, out int end)
    {
        value = null;
        end = 0;
        var builder = new StringBuilder(text.Length);
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                value = builder.ToString();
                end = i + 1;
                return true;
            }
            if (c < ' ' || c is >= '\u007f' and <= '\u009f' || char.IsSurrogate(c) || c is '\ufeff' or '\ufffe' or '\uffff')
                return null;
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }
            if (++i >= text.Length)
                return null;
            switch (text[i])
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (i + 4 >= text.Length || !ushort.TryParse(text.Slice(i + 1, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var code)
                        || char.IsSurrogate((char)code))
                        return null;
                    builder.Append((char)code);
                    i += 4;
                    break;
                default:
                    return null;
            }
        }
        return null;
    }

    /// <summary>
    /// A literal block after "key: |" (clip) or "key: |-" (strip): its indentation is its first non-empty
    /// line's, deeper than the key's. Declines leading blank lines longer than that indentation and
    /// space-only lines within it (YAML gives them meanings of their own).
    /// </summary>
    private static JsonValue? ReadLiteral(Lines lines, int keyIndent, bool strip)
    {
        var at = lines.Position;
        var content = new List<string>();
        var blockIndent = -1;
        var resume = at;
        while (lines.RawLine(ref at) is { } raw)
        {
            var span = raw.Span;
            var spaces = 0;
            while (spaces < span.Length && span[spaces] == ' ')
                spaces++;
            if (spaces == span.Length)
            {
                // A blank line: part of the block (its line break), unless it holds spaces beyond the indentation.
                if (blockIndent < 0 ? spaces > 0 : spaces > blockIndent)
                    return null;
                content.Add("");
                resume = at;
                continue;
            }
            if (blockIndent < 0)
            {
                if (spaces <= keyIndent)
                    return null;
                blockIndent = spaces;
            }
            if (spaces < blockIndent)
                break;
            content.Add(span[blockIndent..].ToString());
            resume = at;
        }
        if (blockIndent < 0)
            return null;
        // Trailing blank lines are not content: clip keeps one line break, strip none.
        var last = content.Count;
        while (last > 0 && content[last - 1].Length == 0)
            last--;
        var value = string.Join('\n', content.Take(last)) + (strip ? "" : "\n");
        lines.ResumeAt(resume);
        lines.Advance();
        return JsonValue.Create(value);
    }
}
