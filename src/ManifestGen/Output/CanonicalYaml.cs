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

    private static void EmitMapping(IEmitter emitter, JsonObject obj, bool topLevel)
    {
        emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
        var keys = obj.Select(p => p.Key).Where(k => obj[k] is not null).ToList();
        var ordered = topLevel
            ? Leading.Where(keys.Contains).Concat(keys.Where(k => !Leading.Contains(k)).Order(StringComparer.Ordinal))
            : keys.Order(StringComparer.Ordinal);
        foreach (var key in ordered)
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
        if (value.Contains('\n') && !value.Contains('\r') && !value.Contains('\t') && value.Split('\n').All(l => l.Length == 0 || l[^1] != ' '))
            style = ScalarStyle.Literal;
        else if (value.Length == 0 || Ambiguous().IsMatch(value))
            style = ScalarStyle.DoubleQuoted;
        else
            style = ScalarStyle.Any; // plain where YAML allows it; the emitter quotes otherwise
        emitter.Emit(new Scalar(null, null, value, style, true, true));
    }
}
