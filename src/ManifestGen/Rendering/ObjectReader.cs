using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using ManifestGen.Diagnostics;
using ManifestGen.Loading;

namespace ManifestGen.Rendering;

/// <summary>A rendered object after the strict typed re-parse: its identity and typed form.</summary>
public sealed record RenderedObject(string ApiVersion, string Kind, string Name, string? Namespace, object Typed, string Template);

/// <summary>
/// Parses one rendered document back into its Kubernetes type (KubernetesClient's k8s.Models, or a typed
/// model of our own for custom resources) strictly: duplicate keys, unknown fields and values that do not
/// survive a round trip through the type are errors, reported at the template.
/// </summary>
public static partial class ObjectReader
{
    private static readonly FrozenDictionary<string, Type> Types = new Dictionary<string, Type>
    {
        ["v1/Namespace"] = typeof(V1Namespace),
        ["v1/PersistentVolume"] = typeof(V1PersistentVolume),
        ["v1/PersistentVolumeClaim"] = typeof(V1PersistentVolumeClaim),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["v1/ServiceAccount"] = typeof(V1ServiceAccount),
        ["networking.k8s.io/v1/NetworkPolicy"] = typeof(V1NetworkPolicy),
        ["v1/Secret"] = typeof(V1Secret),
        ["batch/v1/Job"] = typeof(V1Job),
        ["batch/v1/CronJob"] = typeof(V1CronJob),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["v1/Service"] = typeof(V1Service),
        ["argoproj.io/v1alpha1/Application"] = typeof(ArgoApplication),
        ["bitnami.com/v1alpha1/SealedSecret"] = typeof(SealedSecret),
        ["external-secrets.io/v1/ExternalSecret"] = typeof(ExternalSecret),
        ["monitoring.coreos.com/v1/PrometheusRule"] = typeof(PrometheusRule),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Unknown fields are found by the round trip below, which names their path.
    private static readonly JsonSerializerOptions CustomOptions = CustomResourceJson.Default.Options;

    /// <summary>
    /// The serializer settings KubernetesJson uses for the models (camelCase, nulls not written, its
    /// RFC 3339 date and ISO 8601 duration converters; the models' own attributes bring the quantity and
    /// int-or-string converters), with compile-time metadata for the kinds rendered. Built here rather than
    /// taken from KubernetesJson: its static constructor installs a reflection fallback resolver and a
    /// non-generic enum converter (trim and AOT warnings, and metadata for every model of the library).
    /// The models rendered have no enum-typed fields, so no enum converter is needed.
    /// </summary>
    private static readonly JsonSerializerOptions KubernetesOptions = new()
    {
        TypeInfoResolver = KubernetesModelJson.Default,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters =
        {
            new KubernetesJson.Iso8601TimeSpanConverter(),
            new KubernetesJson.KubernetesDateTimeConverter(),
            new KubernetesJson.KubernetesDateTimeOffsetConverter(),
        },
    };

    // Looked up once per type, not per object.
    private static readonly FrozenDictionary<Type, JsonTypeInfo> TypeInfos = Types.Values.ToFrozenDictionary(t => t,
        t => (t.Namespace == typeof(ObjectReader).Namespace ? CustomOptions : KubernetesOptions).GetTypeInfo(t));

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Integer();

    public static RenderedObject? Read(string text, string template, ICollection<Diagnostic> diagnostics) =>
        Read(text, template, diagnostics, out _);

    /// <summary>As <see cref="Read(string, string, ICollection{Diagnostic})"/>, also giving the object's JSON view
    /// as the typed model writes it back (what the canonical text is written from); null on error.</summary>
    public static RenderedObject? Read(string text, string template, ICollection<Diagnostic> diagnostics, out JsonObject? canonicalJson)
    {
        canonicalJson = null;
        var at = SourceSpan.WholeFile(template);
        // The templates' plain block form is read directly; anything else (and every error) by the YAML parser.
        var json = BlockYamlReader.TryRead(text);
        if (json is null)
        {
            if (ReadGeneral(text, template, at, diagnostics) is not { } general)
                return null;
            json = general as JsonObject;
        }
        if (json is null)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedObjectInvalid, at, "a rendered document must be a mapping"));
            return null;
        }
        var apiVersion = (json["apiVersion"] as JsonValue)?.GetValue<string>() ?? "";
        var kind = (json["kind"] as JsonValue)?.GetValue<string>() ?? "";
        if (!Types.TryGetValue(apiVersion + "/" + kind, out var type))
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedObjectInvalid, at,
                $"no typed model for apiVersion '{apiVersion}' kind '{kind}'"));
            return null;
        }

        object? typed;
        JsonNode? back;
        try
        {
            // Straight from the node tree and back to one, with the options KubernetesJson itself uses:
            // the same strictness as a text round trip without writing and re-parsing JSON text.
            var info = TypeInfos[type];
            typed = json.Deserialize(info);
            back = typed is null ? null : JsonSerializer.SerializeToNode(typed, info);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NotSupportedException)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedObjectInvalid, at,
                $"{kind} does not parse as {type.Name}: {ex.Message}"));
            return null;
        }
        if (typed is null || back is not JsonObject backObject)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedObjectInvalid, at, $"{kind} is empty"));
            return null;
        }
        var difference = FirstDifference(json, backObject);
        if (difference is not null)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedObjectInvalid, at,
                $"{kind}: field '{difference}' is unknown to {type.Name} or has the wrong type"));
            return null;
        }
        var metadata = backObject["metadata"] as JsonObject;
        var name = (metadata?["name"] as JsonValue)?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedObjectInvalid, at, $"{kind} has no metadata.name"));
            return null;
        }
        canonicalJson = backObject;
        return new RenderedObject(apiVersion, kind, name, (metadata?["namespace"] as JsonValue)?.GetValue<string>(), typed, template);
    }

    /// <summary>
    /// The text the templates did not write in plain block form, read by the general YAML parser: its JSON
    /// view (a non-mapping document is the caller's error), or null with the parser's findings reported.
    /// </summary>
    private static JsonNode? ReadGeneral(string text, string template, SourceSpan at, ICollection<Diagnostic> diagnostics)
    {
        var local = new List<Diagnostic>();
        var root = YamlTreeReader.Read(text, template + " (rendered)", local);
        if (local.Count == 0 && root is not null)
            return ToJson(root) ?? new JsonArray();
        foreach (var d in local.DefaultIfEmpty(DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, at, "empty document")))
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedObjectInvalid, at,
                $"rendered output is not valid YAML at line {d.Location.Line}: {d.Message}"));
        return null;
    }

    /// <summary>YAML 1.2 core schema: quoted scalars are strings; plain ones may be null, booleans or integers.</summary>
    public static JsonNode? ToJson(YNode node) => node switch
    {
        YMapping m => new JsonObject(m.Entries.Select(e => KeyValuePair.Create(e.Key.Value, ToJson(e.Value)))),
        YSequence s => new JsonArray([.. s.Items.Select(ToJson)]),
        YScalar { IsPlain: true } s => Plain(s.Value),
        YScalar s => JsonValue.Create(s.Value),
        _ => null,
    };

    /// <summary>A plain scalar's value in the core schema: null, a boolean, an integer or a string.</summary>
    internal static JsonNode? Plain(string value) => value switch
    {
        "" or "~" or "null" or "Null" or "NULL" => null,
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        _ when Integer().IsMatch(value) && long.TryParse(value, out var l) => JsonValue.Create(l),
        _ => JsonValue.Create(value),
    };

    /// <summary>The first path where the rendered document and its typed round trip differ, or null.</summary>
    private static string? FirstDifference(JsonNode? rendered, JsonNode? typed)
    {
        // The path is built only for the difference found, from the innermost step outwards.
        var steps = new List<(string Text, bool Index)>();
        if (!Differs(rendered, typed, steps))
            return null;
        steps.Reverse();
        return string.Concat(steps.Select((step, i) => i == 0 || step.Index ? step.Text : "." + step.Text));
    }

    private static bool Differs(JsonNode? rendered, JsonNode? typed, List<(string Text, bool Index)> steps)
    {
        switch (rendered)
        {
            case null:
                return typed is not null;
            case JsonObject ro:
                if (typed is not JsonObject to)
                    return true;
                foreach (var (key, value) in ro)
                    if (!to.TryGetPropertyValue(key, out var back) || Differs(value, back, steps))
                    {
                        steps.Add((key, false));
                        return true;
                    }
                return false;
            case JsonArray ra:
                if (typed is not JsonArray ta || ta.Count != ra.Count)
                    return true;
                for (var i = 0; i < ra.Count; i++)
                    if (Differs(ra[i], ta[i], steps))
                    {
                        steps.Add(($"[{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}]", true));
                        return true;
                    }
                return false;
            default:
                if (JsonNode.DeepEquals(rendered, typed))
                    return false;
                // Quantities are written back in canonical form ("0.5" becomes "500m"): equal values are fine.
                return !(rendered is JsonValue rv && typed is JsonValue tv && rv.TryGetValue<string>(out var rs) && tv.TryGetValue<string>(out var ts)
                    && SameQuantity(rs, ts));
        }
    }

    private static bool SameQuantity(string a, string b)
    {
        try
        {
            return new ResourceQuantity(a).ToString() == new ResourceQuantity(b).ToString();
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return false;
        }
    }
}
