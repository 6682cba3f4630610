using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Loading;

namespace ManifestGen.Rendering;

/// <summary>
/// Rules on one rendered object after the strict re-parse, reported at the inventory entry it came
/// from: the API server's validation (<see cref="KubernetesValidation"/>) and the runner's own
/// configuration check (<see cref="JobConfigRules"/>) on every job.json.
/// </summary>
public static class RenderedObjectRules
{
    /// <param name="obj">The typed object.</param>
    /// <param name="sourcePath">The inventory path the object was planned from (e.g. hosts[0].apps[1]).</param>
    public static IEnumerable<Diagnostic> Check(RenderedObject obj, string sourcePath, SourceMap map)
    {
        foreach (var error in KubernetesValidation.Validate(obj))
        {
            var path = sourcePath == "gitOps" && ApplicationFields.TryGetValue(error.Field, out var field) ? "gitOps." + field
                : JobFields.TryGetValue(error.Field, out var key) ? WrittenAt(map, sourcePath, key)
                : sourcePath;
            var span = map.SpanOf(path);
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.ApiServerRejects, span,
                $"{path}: {obj.Kind} {obj.Name}: {error}; {error.Refuser} would reject it{map.InheritedBy(span)}");
        }
        if (obj.Typed is not k8s.Models.V1ConfigMap { Data: { } data } || !data.TryGetValue(PodPaths.JobConfigFileName, out var json))
            yield break;
        if (Parse(json, obj.Name, out var refused) is not { } config)
        {
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.RunnerRefusesConfig, map.SpanOf(sourcePath), $"{sourcePath}: {refused}");
            yield break;
        }
        foreach (var problem in JobConfigRules.Check(config))
        {
            var path = InventoryPath(problem.Field, sourcePath);
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.RunnerRefusesConfig, map.SpanOf(path),
                $"{path}: {problem.Message}; the runner would refuse its job configuration (`{problem.Field}` in ConfigMap {obj.Name})");
        }
    }

    // The Application's fields and the inventory's gitOps fields they are printed from.
    private static readonly Dictionary<string, string> ApplicationFields = new(StringComparer.Ordinal)
    {
        ["spec.source.path"] = "path",
        ["spec.source.repoURL"] = "repoURL",
        ["spec.source.targetRevision"] = "targetRevision",
        ["spec.project"] = "argoCd.project",
    };

    // The CronJob and Job fields printed from one inventory value: the entry's own key, else defaults'.
    private static readonly Dictionary<string, string> JobFields = new(StringComparer.Ordinal)
    {
        ["spec.schedule"] = "schedule",
        ["spec.timeZone"] = "timeZone",
        ["spec.startingDeadlineSeconds"] = "startingDeadlineSeconds",
        ["spec.successfulJobsHistoryLimit"] = "successfulJobsHistoryLimit",
        ["spec.failedJobsHistoryLimit"] = "failedJobsHistoryLimit",
        ["spec.jobTemplate.spec.activeDeadlineSeconds"] = "activeDeadlineSeconds",
        ["spec.jobTemplate.spec.backoffLimit"] = "backoffLimit",
        ["spec.activeDeadlineSeconds"] = "activeDeadlineSeconds",
        ["spec.backoffLimit"] = "backoffLimit",
    };

    /// <summary>Where a job field's value was written: under the object's inventory entry, else in defaults, else the entry itself.</summary>
    private static string WrittenAt(SourceMap map, string sourcePath, string key)
    {
        var own = SourceMap.Child(sourcePath, key);
        return map.IsSet(own) ? own : map.IsSet("defaults." + key) ? "defaults." + key : sourcePath;
    }

    private static JobConfig? Parse(string json, string configMap, out string? refused)
    {
        refused = null;
        try
        {
            return JobConfigJson.Deserialize(json, $"ConfigMap {configMap}");
        }
        catch (JobConfigException e)
        {
            refused = e.Message;
            return null;
        }
    }

    /// <summary>
    /// The inventory path a contract field comes from. The app and host sections of the contract use the
    /// inventory's own field names, so app.X is X under the app's entry and host.X under its host; the
    /// source map falls back to the nearest written parent when a value came from defaults.
    /// </summary>
    public static string InventoryPath(string field, string sourcePath)
    {
        var dot = field.IndexOfAny(['.', '[']);
        var (section, rest) = dot < 0 ? (field, "") : (field[..dot], field[dot..]);
        var apps = sourcePath.IndexOf(".apps[", StringComparison.Ordinal);
        return section switch
        {
            "app" when apps > 0 => sourcePath + rest,
            "host" when apps > 0 => sourcePath[..apps] + rest,
            "host" when sourcePath.StartsWith("hosts[", StringComparison.Ordinal) => sourcePath + rest,
            "repository" => "repository" + rest,
            _ => sourcePath,
        };
    }
}
