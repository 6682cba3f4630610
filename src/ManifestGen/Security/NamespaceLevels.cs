using k8s.Models;
using ManifestGen.Planning;
using ManifestGen.Rendering;

namespace ManifestGen.Security;

/// <summary>
/// The pod-security labels of each rendered Namespace: enforce, warn and audit at the strictest level that
/// every pod template rendered into that namespace passes (<see cref="PodSecurityStandards"/>), each with
/// its <c>-version</c>. A namespace without pods is <c>restricted</c>.
/// </summary>
public static class NamespaceLevels
{
    /// <summary>
    /// The standard's version the labels name: the evaluator implements the newest checks, so the pods are
    /// proven against <c>latest</c>, and the cluster applies the newest rules it knows.
    /// </summary>
    public const string Version = "latest";

    public static readonly string[] Modes = ["enforce", "warn", "audit"];

    /// <summary>Pod templates of the rendered CronJobs, Jobs and Deployments, with their namespace.</summary>
    public static IEnumerable<(string? Namespace, string Name, V1PodTemplateSpec Template)> PodTemplates(IEnumerable<RenderedObject?> objects)
    {
        foreach (var o in objects)
        {
            switch (o?.Typed)
            {
                case V1CronJob cj when cj.Spec?.JobTemplate?.Spec?.Template is { } t:
                    yield return (o.Namespace, $"CronJob/{o.Name}", t);
                    break;
                case V1Job job when job.Spec?.Template is { } t:
                    yield return (o.Namespace, $"Job/{o.Name}", t);
                    break;
                case V1Deployment deployment when deployment.Spec?.Template is { } t:
                    yield return (o.Namespace, $"Deployment/{o.Name}", t);
                    break;
            }
        }
    }

    public static PodSecurityLevel LevelOf(string ns, IEnumerable<RenderedObject?> objects) =>
        PodTemplates(objects).Where(p => p.Namespace == ns)
            .Select(p => PodSecurityStandards.StrictestLevel(p.Template.Metadata, p.Template.Spec))
            .DefaultIfEmpty(PodSecurityLevel.Restricted).Min();

    /// <summary>The namespace unit with its pod-security labels added.</summary>
    public static RenderUnit Label(RenderUnit unit, IEnumerable<RenderedObject?> objects)
    {
        var model = (NamespaceModel)unit.Model;
        var level = PodSecurityStandards.LabelValue(LevelOf(model.Meta.Name, objects));
        var labels = Modes.SelectMany(m => new[]
        {
            new KeyValue($"pod-security.kubernetes.io/{m}", level),
            new KeyValue($"pod-security.kubernetes.io/{m}-version", Version),
        });
        return unit with { Model = model with { Meta = model.Meta with { Labels = [.. model.Meta.Labels, .. labels] } } };
    }
}
