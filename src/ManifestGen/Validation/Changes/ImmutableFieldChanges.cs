using System.Text;
using ManifestGen.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ManifestGen.Validation.Changes;

/// <summary>
/// Compares a committed object in out/ with what the inventory renders now and warns when the change
/// touches a field Kubernetes does not let change in place (MG1001-MG1003): a PersistentVolume's
/// volume source or class, a claim's spec other than its requested size. Argo CD's apply then fails
/// until the object is deleted and recreated; the message says which object and what to do.
/// </summary>
public static class ImmutableFieldChanges
{
    private static readonly string[] PvMutable = ["capacity", "claimRef", "mountOptions", "persistentVolumeReclaimPolicy", "accessModes", "storageClassName"];

    /// <param name="file">The file as diagnostics name it, e.g. out/production/manifests/persistentvolume-x.yaml.</param>
    /// <param name="committed">The file's content in out/ (what the cluster has).</param>
    /// <param name="rendered">What the inventory renders now.</param>
    public static IEnumerable<Diagnostic> Find(string file, string committed, string rendered)
    {
        var before = Load(committed);
        var after = Load(rendered);
        if (before is null || after is null || Scalar(before, "kind") is not { } kind || kind != Scalar(after, "kind"))
            return [];
        var name = Scalar(Child(before, "metadata"), "name") ?? "?";
        var beforeSpec = Child(before, "spec");
        var afterSpec = Child(after, "spec");
        if (beforeSpec is null || afterSpec is null)
            return [];
        var found = new List<Diagnostic>();
        switch (kind)
        {
            case "PersistentVolume":
                var sources = Keys(beforeSpec).Union(Keys(afterSpec)).Where(k => !PvMutable.Contains(k) && k is not ("volumeMode" or "nodeAffinity")).Order(StringComparer.Ordinal);
                foreach (var key in sources.Where(k => Canonical(Child(beforeSpec, k)) != Canonical(Child(afterSpec, k))))
                    found.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.PvSourceChanged, At(file, beforeSpec, key),
                        $"PersistentVolume {name}: the volume source `spec.{key}` changes ({Canonical(Child(beforeSpec, key))} -> {Canonical(Child(afterSpec, key))}); " +
                        "the API server rejects it and Argo CD's sync fails (\"spec.persistentvolumesource is immutable after creation\")",
                        $"delete the PersistentVolume {name} and its claim before syncing (the data on the share stays: the reclaim policy is Retain), or sync that object with the Replace=true option"));
                if (Canonical(Child(beforeSpec, "storageClassName")) != Canonical(Child(afterSpec, "storageClassName")))
                    found.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.PvClassChanged, At(file, beforeSpec, "storageClassName"),
                        $"PersistentVolume {name}: storageClassName changes ({Canonical(Child(beforeSpec, "storageClassName"))} -> {Canonical(Child(afterSpec, "storageClassName"))}); " +
                        "the bound claim keeps the old class, so Argo CD reports the claim as failed or out of sync",
                        $"scale the backup jobs down, delete the claim and PersistentVolume {name}, then sync; both are recreated with the new class"));
                break;
            case "PersistentVolumeClaim":
                foreach (var key in Keys(beforeSpec).Union(Keys(afterSpec)).Order(StringComparer.Ordinal))
                {
                    var (b, a) = (Child(beforeSpec, key), Child(afterSpec, key));
                    if (key == "resources")
                        (b, a) = (Without(b, "requests", "storage"), Without(a, "requests", "storage"));
                    if (Canonical(b) != Canonical(a))
                        found.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.PvcSpecChanged, At(file, beforeSpec, key),
                            $"PersistentVolumeClaim {name}: `spec.{key}` changes ({Canonical(b)} -> {Canonical(a)}); a claim's spec is immutable except its requested size, " +
                            "so Argo CD's sync fails (\"spec is immutable after creation\")",
                            $"delete the claim {name} (and, if statically bound, its PersistentVolume) before syncing; a mirror claim only costs one full transfer"));
                }
                break;
        }
        return found;
    }

    private static YamlMappingNode? Load(string text)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 1 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        }
        catch (YamlException)
        {
            return null;
        }
    }

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode? node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static IEnumerable<string> Keys(YamlNode node) =>
        node is YamlMappingNode map ? map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "") : [];

    // resources without requests.storage: the one part of a claim's spec that may change (grow).
    private static YamlNode? Without(YamlNode? resources, string section, string key)
    {
        if (resources is not YamlMappingNode map)
            return resources;
        var copy = new YamlMappingNode();
        foreach (var (k, v) in map.Children)
            copy.Add(k, k is YamlScalarNode { Value: var s } && s == section && v is YamlMappingNode inner
                ? new YamlMappingNode(inner.Children.Where(c => (c.Key as YamlScalarNode)?.Value != key))
                : v);
        return copy;
    }

    /// <summary>A one-line, order-independent text of a node, for comparing and for messages.</summary>
    private static string Canonical(YamlNode? node)
    {
        var text = new StringBuilder();
        Write(node, text);
        return text.ToString();

        static void Write(YamlNode? node, StringBuilder text)
        {
            switch (node)
            {
                case null: text.Append("(unset)"); break;
                case YamlScalarNode s: text.Append(s.Value); break;
                case YamlSequenceNode seq:
                    text.Append('[');
                    foreach (var item in seq.Children) { Write(item, text); text.Append(','); }
                    text.Append(']');
                    break;
                case YamlMappingNode map:
                    text.Append('{');
                    foreach (var (k, v) in map.Children.OrderBy(c => (c.Key as YamlScalarNode)?.Value, StringComparer.Ordinal))
                    {
                        Write(k, text); text.Append(": "); Write(v, text); text.Append(", ");
                    }
                    text.Append('}');
                    break;
            }
        }
    }

    private static SourceSpan At(string file, YamlNode spec, string key)
    {
        var node = spec is YamlMappingNode map ? map.Children.Keys.FirstOrDefault(k => (k as YamlScalarNode)?.Value == key) : null;
        var mark = (node ?? spec).Start;
        return new SourceSpan(file, (int)mark.Line, (int)mark.Column);
    }
}
