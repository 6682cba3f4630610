using System.Collections.Immutable;
using k8s;
using k8s.Models;

namespace ManifestGen.PodHarness.Manifests;

/// <summary>One rendered document: where it came from and its typed object.</summary>
public sealed record ManifestDocument(string File, int Index, string ApiVersion, string Kind, string Name, string? Namespace, object Object);

/// <summary>
/// The rendered objects of one environment (<c>out/&lt;env&gt;/</c>), parsed strictly with the official
/// Kubernetes types: an unknown or misspelt field is an error here, as it is for the API server.
/// Kinds the pods do not depend on (the Argo CD Application, for one) are indexed by kind and name only.
/// </summary>
public sealed class RenderedManifests
{
    private static readonly ImmutableDictionary<string, Func<string, object?>> Typed = new Dictionary<string, Func<string, object?>>
    {
        ["batch/v1/CronJob"] = Strict<V1CronJob>,
        ["batch/v1/Job"] = Strict<V1Job>,
        ["apps/v1/Deployment"] = Strict<V1Deployment>,
        ["v1/Service"] = Strict<V1Service>,
        ["v1/ConfigMap"] = Strict<V1ConfigMap>,
        ["v1/Secret"] = Strict<V1Secret>,
        ["v1/PersistentVolumeClaim"] = Strict<V1PersistentVolumeClaim>,
        ["v1/PersistentVolume"] = Strict<V1PersistentVolume>,
        ["v1/Namespace"] = Strict<V1Namespace>,
    }.ToImmutableDictionary();

    private static object? Strict<T>(string yaml) => KubernetesYaml.Deserialize<T>(yaml, strict: true);

    public ImmutableArray<ManifestDocument> Documents { get; }

    private RenderedManifests(ImmutableArray<ManifestDocument> documents) => Documents = documents;

    /// <summary>Loads every *.yaml / *.yml file under <paramref name="directory"/> (recursively, sorted).</summary>
    public static RenderedManifests Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new HarnessException($"{directory}: no rendered manifests (directory missing)");
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var docs = ImmutableArray.CreateBuilder<ManifestDocument>();
        foreach (var file in files)
            docs.AddRange(Parse(File.ReadAllText(file), file));
        if (docs.Count == 0)
            throw new HarnessException($"{directory}: no YAML documents found");
        return new RenderedManifests(docs.ToImmutable());
    }

    /// <summary>These documents and <paramref name="more"/>: the rendered tree plus objects applied by hand (a restore Job, its claim).</summary>
    public RenderedManifests With(RenderedManifests more) => new([.. Documents, .. more.Documents]);

    /// <summary>Parses YAML text (one or more documents); <paramref name="source"/> names it in errors.</summary>
    public static RenderedManifests FromYaml(string yaml, string source = "<yaml>") =>
        new(Parse(yaml, source).ToImmutableArray());

    private static IEnumerable<ManifestDocument> Parse(string text, string file)
    {
        var index = 0;
        foreach (var chunk in SplitDocuments(text))
        {
            index++;
            KubernetesObject head;
            try
            {
                head = KubernetesYaml.Deserialize<KubernetesObject>(chunk, strict: false);
            }
            catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or InvalidOperationException)
            {
                throw new HarnessException($"{file}: document {index}: not valid YAML: {ex.Message}");
            }
            if (head is null)
                continue;
            if (string.IsNullOrEmpty(head.ApiVersion) || string.IsNullOrEmpty(head.Kind))
                throw new HarnessException($"{file}: document {index}: apiVersion and kind are required");
            var key = $"{head.ApiVersion}/{head.Kind}";
            object obj;
            string name;
            string? ns;
            if (Typed.TryGetValue(key, out var deserialize))
            {
                try
                {
                    obj = deserialize(chunk)
                        ?? throw new HarnessException($"{file}: document {index}: empty {head.Kind}");
                }
                catch (YamlDotNet.Core.YamlException ex)
                {
                    throw new HarnessException($"{file}: document {index} ({head.Kind}): {ex.Message}{(ex.InnerException is null ? "" : ": " + ex.InnerException.Message)}");
                }
                var meta = ((IMetadata<V1ObjectMeta>)obj).Metadata;
                name = meta?.Name ?? throw new HarnessException($"{file}: document {index} ({head.Kind}): metadata.name is required");
                ns = meta.NamespaceProperty;
            }
            else
            {
                var generic = KubernetesYaml.Deserialize<KubernetesObjectWithMeta>(chunk, strict: false);
                obj = generic;
                name = generic.Metadata?.Name ?? "";
                ns = generic.Metadata?.NamespaceProperty;
            }
            yield return new ManifestDocument(file, index, head.ApiVersion, head.Kind, name, ns, obj);
        }
    }

    /// <summary>Splits a YAML stream at document markers ("---" on a line of its own).</summary>
    internal static IEnumerable<string> SplitDocuments(string text)
    {
        var current = new System.Text.StringBuilder();
        foreach (var line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line == "---" || line.StartsWith("--- ", StringComparison.Ordinal))
            {
                if (current.ToString().Trim().Length > 0) yield return current.ToString();
                current.Clear();
                continue;
            }
            current.Append(line).Append('\n');
        }
        if (current.ToString().Trim().Length > 0) yield return current.ToString();
    }

    public IEnumerable<T> OfType<T>() => Documents.Select(d => d.Object).OfType<T>();

    /// <summary>The CronJob, Job or Deployment named <paramref name="name"/> as a runnable workload.</summary>
    public Workload Workload(string name)
    {
        var matches = Documents.Where(d => d.Name == name && d.Object is V1CronJob or V1Job or V1Deployment).ToList();
        return matches.Count switch
        {
            0 => throw new HarnessException($"no CronJob or Job named '{name}' in the rendered manifests (have: {string.Join(", ", WorkloadNames())})"),
            1 => Manifests.Workload.From(matches[0]),
            _ => throw new HarnessException($"'{name}' names more than one workload"),
        };
    }

    /// <summary>The CronJobs and Jobs (pods that run to an end).</summary>
    public IEnumerable<string> WorkloadNames() =>
        Documents.Where(d => d.Object is V1CronJob or V1Job).Select(d => d.Name).Order(StringComparer.Ordinal);

    /// <summary>The Deployments (long-running pods).</summary>
    public IEnumerable<string> DeploymentNames() =>
        Documents.Where(d => d.Object is V1Deployment).Select(d => d.Name).Order(StringComparer.Ordinal);

    public IEnumerable<V1Service> Services() => OfType<V1Service>();

    public V1ConfigMap? ConfigMap(string name, string? ns) => Find<V1ConfigMap>(name, ns);
    public V1Secret? Secret(string name, string? ns) => Find<V1Secret>(name, ns);
    public V1PersistentVolumeClaim? Claim(string name, string? ns) => Find<V1PersistentVolumeClaim>(name, ns);

    private T? Find<T>(string name, string? ns) where T : class =>
        Documents.Where(d => d.Object is T && d.Name == name && (d.Namespace ?? "default") == (ns ?? "default"))
            .Select(d => (T)d.Object).SingleOrDefault();
}

/// <summary>Just enough of any object to name it.</summary>
public sealed class KubernetesObjectWithMeta : KubernetesObject, IMetadata<V1ObjectMeta>
{
    public V1ObjectMeta Metadata { get; set; } = new();
}
