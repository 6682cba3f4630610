using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ManifestGen.Output;

/// <summary>
/// Writes one object as canonical YAML: apiVersion, kind, metadata first, then every map's keys in ordinal
/// order; block style; LF; no document marker, no BOM; strings that another YAML reader could take for
/// a number, boolean, null or date are quoted; multi-line strings are literal blocks.
/// </summary>
public static partial class CanonicalYaml
{
    private static readonly string[] Leading = ["apiVersion", "kind", "metadata"];

    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|0[xXoObB][0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|[0-9]+(?::[0-5]?[0-9])+(?:\.[0-9]*)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex Ambiguous();

    public static string Write(JsonObject obj)
    {
        var text = new StringBuilder(4096);
        return TryWriteMapping(text, obj, 0, inline: false, topLevel: true) ? text.ToString() : WriteWithEmitter(obj);
    }

    /// <summary>
    /// The reference writer: YamlDotNet's emitter, which decides every scalar's style. <see cref="Write"/>
    /// writes the common shapes directly (about a third of the generator's CPU went to the emitter and
    /// the event objects it needs) and falls back to this one for any document with a scalar whose style
    /// it does not decide itself; a test checks that both agree.
    /// </summary>
    internal static string WriteWithEmitter(JsonObject obj)
    {
        var builder = new StringBuilder();
        using (var writer = new StringWriter(builder, CultureInfo.InvariantCulture) { NewLine = "\n" })
        {
            var emitter = new Emitter(writer, new EmitterSettings(2, int.MaxValue, false, 1024, false, true, "\n", false));
            emitter.Emit(new StreamStart());
            emitter.Emit(new DocumentStart(null, null, isImplicit: true));
            EmitMapping(emitter, obj, topLevel: true);
            emitter.Emit(new DocumentEnd(isImplicit: true));
            emitter.Emit(new StreamEnd());
        }
        return builder.ToString().ReplaceLineEndings("\n");
    }

    private static string[] OrderedKeys(JsonObject obj, bool topLevel)
    {
        var keys = new string[obj.Count];
        var count = 0;
        foreach (var (key, value) in obj)
            if (value is not null)
                keys[count++] = key;
        // Ordinal order, except that a top-level document starts with apiVersion, kind, metadata.
        Array.Sort(keys, 0, count, topLevel ? LeadingFirst : StringComparer.Ordinal);
        return count == keys.Length ? keys : keys[..count];
    }

    private static readonly Comparer<string> LeadingFirst = Comparer<string>.Create((a, b) =>
    {
        var (ia, ib) = (Array.IndexOf(Leading, a), Array.IndexOf(Leading, b));
        return ia >= 0 || ib >= 0 ? (ia < 0 ? int.MaxValue : ia).CompareTo(ib < 0 ? int.MaxValue : ib) : string.CompareOrdinal(a, b);
    });

    // Block mapping at column `indent`; `inline`: the first key follows a "- " already written.
    private static bool TryWriteMapping(StringBuilder text, JsonObject obj, int indent, bool inline, bool topLevel)
    {
        foreach (var key in OrderedKeys(obj, topLevel))
        {
            if (inline)
                inline = false;
            else
                text.Append(' ', indent);
            if (!TryWriteInlineString(text, key))
                return false;
            text.Append(':');
            var value = obj[key]!;
            switch (value)
            {
                case JsonObject { Count: 0 }:
                    text.Append(" {}\n");
                    break;
                case JsonObject o:
                    text.Append('\n');
                    if (!TryWriteMapping(text, o, indent + 2, inline: false, topLevel: false))
                        return false;
                    break;
                case JsonArray { Count: 0 }:
                    text.Append(" []\n");
                    break;
                case JsonArray a:
                    text.Append('\n');
                    if (!TryWriteSequence(text, a, indent + 2))
                        return false;
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is var s && IsLiteral(s):
                    if (!TryWriteLiteral(text, s, indent + 2))
                        return false;
                    break;
                default:
                    text.Append(' ');
                    if (!TryWriteScalar(text, (JsonValue)value))
                        return false;
                    text.Append('\n');
                    break;
            }
        }
        return true;
    }

    private static bool TryWriteSequence(StringBuilder text, JsonArray array, int indent)
    {
        foreach (var item in array)
        {
            if (item is null)
                continue;
            text.Append(' ', indent).Append("- ");
            switch (item)
            {
                case JsonObject { Count: 0 }:
                    text.Append("{}\n");
                    break;
                case JsonObject o:
                    if (!TryWriteMapping(text, o, indent + 2, inline: true, topLevel: false))
                        return false;
                    break;
                case JsonArray { Count: 0 }:
                    text.Append("[]\n");
                    break;
                case JsonValue v when !(v.GetValueKind() == JsonValueKind.String && IsLiteral(v.GetValue<string>())) && TryWriteScalar(text, v):
                    text.Append('\n');
                    break;
                default:
                    return false; // a sequence in a sequence, a block scalar as an item: left to the emitter
            }
        }
        return true;
    }

    private static bool TryWriteScalar(StringBuilder text, JsonValue value)
    {
        if (value.GetValueKind() == JsonValueKind.String)
            return TryWriteInlineString(text, value.GetValue<string>());
        // numbers and booleans, exactly as JSON writes them (culture-independent)
        text.Append(value.ToJsonString());
        return true;
    }

    /// <summary>A string on one line: plain when YAML reads it back as the same string, else double-quoted; false where the emitter must decide.</summary>
    private static bool TryWriteInlineString(StringBuilder text, string value)
    {
        if (value.Length == 0 || Ambiguous().IsMatch(value))
        {
            foreach (var c in value)
                if (c is < ' ' or > '~' or '"' or '\\')
                    return false;
            text.Append('"').Append(value).Append('"');
            return true;
        }
        if (!IsPlainSafe(value))
            return false;
        text.Append(value);
        return true;
    }

    /// <summary>
    /// A conservative subset of what a YAML emitter writes plain in block context: printable ASCII, no
    /// indicator at the start, no comment, flow or quote characters, no ": ", no leading, trailing or
    /// doubled space. Everything else goes to the emitter.
    /// </summary>
    internal static bool IsPlainSafe(string value)
    {
        if (value.Length is 0 or > 1024 || value.StartsWith("...", StringComparison.Ordinal))
            return false;
        var first = value[0];
        if (!(char.IsAsciiLetterOrDigit(first) || first is '/' or '.' or '_'))
            return false;
        if (value[^1] is ' ' or ':')
            return false;
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsAsciiLetterOrDigit(c))
                continue;
            switch (c)
            {
                case '-' or '.' or '_' or '/' or '@' or '+' or '=' or '*' or '(' or ')' or '~' or '$' or ';' or '!' or '&' or '%' or '<' or '>' or '?' or '^':
                    continue;
                case ':' when value[i + 1] != ' ':
                    continue;
                case ' ' when value[i - 1] != ' ':
                    continue;
                default:
                    return false;
            }
        }
        return true;
    }

    private static bool IsLiteral(string value) =>
        value.Contains('\n') && !value.Contains('\r') && !value.Contains('\t') && value.Split('\n').All(l => l.Length == 0 || l[^1] != ' ');

    /// <summary>
    /// A literal block ("|" with one final line break, "|-" without); false for the forms whose header the
    /// emitter decides (an indentation indicator when the first line starts with a space or is empty, keep
    /// chomping for several final breaks). Later lines may start with spaces: the first line sets the
    /// block's indentation, so they need no indicator (pretty-printed JSON in a ConfigMap, the job
    /// configuration of every app, is written here rather than by the emitter).
    /// </summary>
    private static bool TryWriteLiteral(StringBuilder text, string value, int indent)
    {
        if (value[0] is ' ' or '\n' || value.EndsWith("\n\n", StringComparison.Ordinal))
            return false;
        foreach (var c in value)
            if (c is (< ' ' and not '\n') or > '~')
                return false;
        var clip = value[^1] == '\n';
        text.Append(clip ? " |\n" : " |-\n");
        foreach (var line in (clip ? value[..^1] : value).Split('\n'))
        {
            if (line.Length > 0)
                text.Append(' ', indent).Append(line);
            text.Append('\n');
        }
        return true;
    }

    private static void EmitMapping(IEmitter emitter, JsonObject obj, bool topLevel)
    {
        emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
        foreach (var key in OrderedKeys(obj, topLevel))
        {
            EmitString(emitter, key);
            EmitNode(emitter, obj[key]!);
        }
        emitter.Emit(new MappingEnd());
    }

    private static void EmitNode(IEmitter emitter, JsonNode node)
    {
        switch (node)
        {
            case JsonObject o when o.Count == 0:
                emitter.Emit(new MappingStart(null, null, true, MappingStyle.Flow));
                emitter.Emit(new MappingEnd());
                break;
            case JsonObject o:
                EmitMapping(emitter, o, topLevel: false);
                break;
            case JsonArray a when a.Count == 0:
                emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Flow));
                emitter.Emit(new SequenceEnd());
                break;
            case JsonArray a:
                emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
                foreach (var item in a)
                    if (item is not null)
                        EmitNode(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, v.GetValue<string>());
                break;
            case JsonValue v:
                // numbers and booleans, exactly as JSON writes them (culture-independent)
                emitter.Emit(new Scalar(null, null, v.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string value)
    {
        ScalarStyle style;
        if (IsLiteral(value))
            style = ScalarStyle.Literal;
        else if (value.Length == 0 || Ambiguous().IsMatch(value))
            style = ScalarStyle.DoubleQuoted;
        else
            style = ScalarStyle.Any; // plain where YAML allows it; the emitter quotes otherwise
        emitter.Emit(new Scalar(null, null, value, style, true, true));
    }
}
