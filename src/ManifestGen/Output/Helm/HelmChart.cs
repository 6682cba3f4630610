using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Loading;
using ManifestGen.Planning;
using ManifestGen.Rendering;

namespace ManifestGen.Output.Helm;

/// <summary>
/// The Helm chart output stage: the objects of the manifests directory, one template each, in
/// out/&lt;env&gt;/chart. The inventory stays the source of truth, so the templates are the canonical
/// objects word for word except for the few values an operator may change without re-rendering: the
/// runner image (repository, tag, digest), a global <c>suspend</c> of every CronJob (maintenance windows)
/// and each job container's resources. Templates use only Go's core template language (no Sprig, no
/// Helm-only functions), so Go's own text/template shows exactly what Helm renders; literal text that
/// Go would read as an action (<c>{{</c>) is written as <c>{{"{{"}}</c>.
/// </summary>
public static class HelmChart
{
    public const string Folder = "chart";
    public const string TemplatesFolder = "templates";

    // A value the chart parameterises is first replaced by a marker that the canonical writer emits as a
    // plain scalar; after escaping the literal text, each marker becomes its template action.
    private const string MarkerStem = "MANIFESTGEN-CHART-PARAMETER-";

    private static readonly JsonSerializerOptions JsonOut = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string NameOf(string environment, HelmChartSpec spec) => spec.Name ?? Names.Join(Names.DnsLabelMax, Planner.ManagedBy, environment);

    /// <summary>
    /// The chart's files (paths relative to the output root, like <paramref name="manifests"/>) for the
    /// manifests of one environment (paths "&lt;env&gt;/manifests/&lt;file&gt;", canonical YAML).
    /// </summary>
    public static ImmutableArray<OutputFile> Write(string environment, HelmChartSpec spec, ImageSpec image, IEnumerable<OutputFile> manifests)
    {
        var root = $"{environment}/{Folder}";
        var imageReference = Planner.ImageReference(image);
        var resources = new JsonObject();
        var files = new List<OutputFile>();
        foreach (var manifest in manifests.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            var json = Parse(manifest);
            var template = new TemplateText(manifest.Content);
            var name = (string?)json["metadata"]?["name"] ?? throw new InvalidOperationException($"{manifest.Path} has no metadata.name");
            var kind = (string?)json["kind"];
            var podSpec = kind switch
            {
                "Job" => json["spec"]?["template"]?["spec"] as JsonObject,
                "CronJob" => json["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"] as JsonObject,
                "Deployment" => json["spec"]?["template"]?["spec"] as JsonObject,
                _ => null,
            };
            if (kind == "CronJob" && json["spec"] is JsonObject cronSpec)
                cronSpec["suspend"] = template.Parameter(_ => SuspendAction);
            if (podSpec?["containers"] is JsonArray { Count: 1 } containers && containers[0] is JsonObject container)
            {
                if ((string?)container["image"] == imageReference)
                    container["image"] = template.Parameter(_ => ImageAction);
                if (container["resources"] is JsonObject containerResources)
                {
                    resources[name] = containerResources.DeepClone();
                    container["resources"] = template.Parameter(indent => ResourcesAction(name, indent), block: true);
                }
            }
            var fileName = manifest.Path[(manifest.Path.LastIndexOf('/') + 1)..];
            files.Add(new OutputFile($"{root}/{TemplatesFolder}/{fileName}", template.Finish(CanonicalYaml.Write(json))));
        }

        var values = new JsonObject
        {
            ["image"] = new JsonObject
            {
                ["repository"] = image.Repository,
                ["tag"] = image.Tag ?? "",
                ["digest"] = image.Digest ?? "",
            },
            ["suspend"] = false,
            ["resources"] = resources,
        };
        files.Add(new OutputFile($"{root}/Chart.yaml", ChartYaml(environment, spec, image)));
        files.Add(new OutputFile($"{root}/values.yaml", ValuesHeader(environment) + CanonicalYaml.Write(values)));
        files.Add(new OutputFile($"{root}/values.schema.json", ValuesSchema.Write(resources).ToJsonString(JsonOut) + "\n"));
        return [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)];
    }

    private static JsonObject Parse(OutputFile manifest)
    {
        var problems = new List<Diagnostic>();
        var tree = YamlTreeReader.Read(manifest.Content, manifest.Path, problems);
        // The manifests are this generator's own canonical output: failing to read one back is a bug.
        if (problems.Count > 0 || tree is null || ObjectReader.ToJson(tree) is not JsonObject json)
            throw new InvalidOperationException($"{manifest.Path} cannot be read back: {string.Join("; ", problems)}");
        return json;
    }

    private static string ChartYaml(string environment, HelmChartSpec spec, ImageSpec image)
    {
        var chart = new JsonObject
        {
            ["apiVersion"] = "v2",
            ["name"] = NameOf(environment, spec),
            ["version"] = spec.Version,
            ["type"] = "application",
            ["description"] = $"Backups of environment {environment} by ManifestGen, rendered from values/{environment}.yaml (do not edit; change the inventory and render)",
        };
        // appVersion is the runner's version, which the tag names; a digest alone names no version.
        if (image.Tag is not null)
            chart["appVersion"] = image.Tag;
        return CanonicalYaml.Write(chart);
    }

    private static string ValuesHeader(string environment) =>
        $"""
        # What an operator may change without re-rendering values/{environment}.yaml (helm --set, -f, or
        # Argo CD's source.helm): the runner image, suspending every CronJob for a maintenance window, and
        # the resources of each job's container (keyed by the Job or CronJob name). Everything else in this
        # chart is literal: change the inventory and run `manifestgen render` instead.

        """;

    // Go's %q quotes like a YAML double-quoted scalar (the same escapes); `print` first turns a number
    // someone passed with --set into its text instead of a character literal.
    private const string ImageAction =
        """{{ $image := .Values.image.repository }}{{ with .Values.image.tag }}{{ $image = print $image ":" . }}{{ end }}{{ with .Values.image.digest }}{{ $image = print $image "@" . }}{{ end }}{{ print $image | printf "%q" }}""";

    private const string SuspendAction = "{{ if .Values.suspend }}true{{ else }}false{{ end }}";

    private static string ResourcesAction(string objectName, string indent)
    {
        // A Go string literal: object names are DNS-1123 (lower-case letters, digits, '-', '.'), nothing to escape.
        if (objectName.Any(c => c is '"' or '\\' || char.IsControl(c)))
            throw new ArgumentException($"object name `{objectName}` is not DNS-1123", nameof(objectName));
        var key = "\"" + objectName + "\"";
        var sb = new StringBuilder();
        sb.Append("{{ with index .Values.resources ").Append(key).Append(" }}");
        foreach (var section in new[] { "limits", "requests" })
        {
            sb.Append("{{ with .").Append(section).Append(" }}\n")
              .Append(indent).Append("  ").Append(section).Append(":{{ range $name, $amount := . }}\n")
              .Append(indent).Append("    {{ printf \"%q\" $name }}: {{ print $amount | printf \"%q\" }}{{ end }}{{ end }}");
        }
        sb.Append("{{ end }}");
        return sb.ToString();
    }

    /// <summary>One template's text: markers for the parameters, then escaping and substitution.</summary>
    private sealed class TemplateText(string original)
    {
        private readonly List<(Func<string, string> Action, bool Block)> _actions = [];
        private readonly string _stem = UniqueStem(original);

        /// <summary>
        /// A marker to put in place of a value; <paramref name="action"/> gets the key's indentation. A
        /// <paramref name="block"/> action writes its own lines, starting right after the key's colon.
        /// </summary>
        public JsonNode Parameter(Func<string, string> action, bool block = false)
        {
            _actions.Add((action, block));
            return JsonValue.Create(_stem + (_actions.Count - 1).ToString(CultureInfo.InvariantCulture))!;
        }

        public string Finish(string canonical)
        {
            // Literal text first: `{{` would open an action (`}}` outside an action is plain text).
            var text = canonical.Replace("{{", """{{"{{"}}""", StringComparison.Ordinal);
            // Highest index first, so that marker 1 is never found inside marker 10.
            for (var i = _actions.Count - 1; i >= 0; i--)
            {
                var marker = _stem + i.ToString(CultureInfo.InvariantCulture);
                var at = text.IndexOf(marker, StringComparison.Ordinal);
                if (at < 0 || text.IndexOf(marker, at + 1, StringComparison.Ordinal) >= 0)
                    throw new InvalidOperationException($"chart parameter marker {marker} not written exactly once");
                var lineStart = text.LastIndexOf('\n', at) + 1;
                var indent = new string(' ', text.AsSpan(lineStart).IndexOfAnyExcept(' '));
                // `key: MARKER` becomes `key: action`; a block (resources) starts right after the colon.
                var (action, block) = _actions[i];
                var end = at + marker.Length;
                if (block && text[at - 1] == ' ')
                    at--;
                var replacement = action(indent);
                text = string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(end));
            }
            return text;
        }

        private static string UniqueStem(string text)
        {
            var stem = MarkerStem;
            for (var n = 0; text.Contains(stem, StringComparison.Ordinal); n++)
                stem = $"{MarkerStem}{n}-";
            return stem;
        }
    }
}
