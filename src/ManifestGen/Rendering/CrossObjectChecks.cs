using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using ManifestGen.Validation.Primitives;
using ManifestGen.Diagnostics;
using ManifestGen.Planning;

namespace ManifestGen.Rendering;

/// <summary>A typed object together with where in the inventory it comes from.</summary>
public sealed record PlacedObject(RenderedObject Object, SourceSpan Origin);

/// <summary>
/// Checks the rendered objects of one environment against each other: what each would otherwise find
/// only at deploy time.
/// </summary>
public static partial class CrossObjectChecks
{
    [GeneratedRegex(@"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----|PuTTY-User-Key-File", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKey();

    /// <summary>The API server's limit on a ConfigMap: keys and values of data and binaryData, in bytes.</summary>
    public const int ConfigMapMaxBytes = 1024 * 1024;

    internal static long DataSize(V1ConfigMap configMap) =>
        (configMap.Data ?? new Dictionary<string, string>()).Sum(kv => (long)Encoding.UTF8.GetByteCount(kv.Key) + Encoding.UTF8.GetByteCount(kv.Value ?? ""))
        + (configMap.BinaryData ?? new Dictionary<string, byte[]>()).Sum(kv => (long)Encoding.UTF8.GetByteCount(kv.Key) + (kv.Value?.Length ?? 0));

    public static IEnumerable<Diagnostic> Check(IReadOnlyList<PlacedObject> objects)
    {
        var byKey = new Dictionary<string, PlacedObject>(StringComparer.Ordinal);
        foreach (var placed in objects)
        {
            var key = $"{placed.Object.Kind}/{placed.Object.Namespace}/{placed.Object.Name}";
            if (!byKey.TryAdd(key, placed))
                yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.DuplicateObject, placed.Origin,
                    $"two rendered objects are {placed.Object.Kind} '{placed.Object.Name}' (the other comes from {byKey[key].Origin})",
                    "rename one of the hosts or apps");
        }
        T? Find<T>(string kind, string? ns, string name) where T : class =>
            byKey.GetValueOrDefault($"{kind}/{ns}/{name}")?.Object.Typed as T;

        foreach (var placed in objects)
        {
            switch (placed.Object.Typed)
            {
                case V1PersistentVolumeClaim claim:
                    foreach (var d in CheckClaim(claim, placed.Origin, name => Find<V1PersistentVolume>("PersistentVolume", null, name)))
                        yield return d;
                    break;
                case V1PersistentVolume volume when volume.Spec.ClaimRef is { } claimRef:
                    var bound = Find<V1PersistentVolumeClaim>("PersistentVolumeClaim", claimRef.NamespaceProperty, claimRef.Name);
                    if (bound is null || bound.Spec.VolumeName != volume.Metadata.Name)
                        yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.VolumeClaimMismatch, placed.Origin,
                            $"PersistentVolume '{volume.Metadata.Name}' has claimRef {claimRef.NamespaceProperty}/{claimRef.Name}, but that claim " +
                            (bound is null ? "is not rendered" : $"names volume '{bound.Spec.VolumeName}'"));
                    break;
                case V1ConfigMap configMap when DataSize(configMap) is var size && size > ConfigMapMaxBytes:
                    yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.ConfigMapTooLarge, placed.Origin,
                        $"ConfigMap '{configMap.Metadata.Name}' holds {size} bytes of data; Kubernetes accepts at most {ConfigMapMaxBytes}",
                        "split what it holds over several objects");
                    break;
                case V1CronJob cronJob:
                    if (cronJob.Metadata.Name.Length > Names.CronJobMax)
                        yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.RenderedCronJobNameTooLong, placed.Origin,
                            $"CronJob name '{cronJob.Metadata.Name}' has {cronJob.Metadata.Name.Length} characters; at most {Names.CronJobMax}");
                    foreach (var d in CheckPod(cronJob.Spec.JobTemplate.Spec.Template.Spec, cronJob.Metadata, placed.Origin, Find<V1ConfigMap>, Find<V1PersistentVolumeClaim>))
                        yield return d;
                    break;
                case V1Job job:
                    foreach (var d in CheckPod(job.Spec.Template.Spec, job.Metadata, placed.Origin, Find<V1ConfigMap>, Find<V1PersistentVolumeClaim>))
                        yield return d;
                    break;
                case V1Deployment deployment:
                    foreach (var d in CheckPod(deployment.Spec.Template.Spec, deployment.Metadata, placed.Origin, Find<V1ConfigMap>, Find<V1PersistentVolumeClaim>))
                        yield return d;
                    break;
                case V1Service service:
                    // A Service that selects no rendered pod template sends its clients nowhere.
                    var selector = service.Spec?.Selector ?? new Dictionary<string, string>();
                    if (!objects.Any(o => o.Object.Namespace == service.Metadata.NamespaceProperty && PodLabels(o.Object.Typed) is { } podLabels
                            && selector.Count > 0 && selector.All(kv => podLabels.TryGetValue(kv.Key, out var v) && v == kv.Value)))
                        yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.MissingReferencedObject, placed.Origin,
                            $"Service '{service.Metadata.Name}' selects no rendered pod");
                    break;
            }
        }
    }

    /// <summary>Placeholders and private key material in a rendered file's text.</summary>
    public static IEnumerable<Diagnostic> CheckText(string text, string file, SourceSpan origin, IReadOnlyCollection<string> extraPlaceholders)
    {
        // The inventory's detector, line by line: the job configuration's hook and dump commands ("run",
        // "command") are shell, where ${VAR:-x} and $(cmd) are syntax; every other line is a plain value.
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var context = lines[i].Contains("\"run\":", StringComparison.Ordinal) || lines[i].Contains("\"command\":", StringComparison.Ordinal)
                ? PlaceholderContext.Shell : PlaceholderContext.Value;
            foreach (var m in Placeholders.Find(lines[i], extraPlaceholders, context))
                yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.PlaceholderInOutput, origin,
                    $"{file} contains the placeholder '{m.Text}' at line {i + 1}", "replace it in the inventory");
        }
        var key = PrivateKey().Match(text);
        if (key.Success)
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.PrivateKeyInOutput, origin,
                $"{file} contains private key material at line {LineOf(text, key.Index)}",
                "keep private keys in a Secret (secrets.mode reference, sealed or external), never in the inventory");
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    private static IEnumerable<Diagnostic> CheckClaim(V1PersistentVolumeClaim claim, SourceSpan at, Func<string, V1PersistentVolume?> findVolume)
    {
        var name = claim.Metadata.Name;
        if (claim.Spec.VolumeName is not { } volumeName)
            yield break; // dynamically provisioned (mirror claims)
        var volume = findVolume(volumeName);
        if (volume is null)
        {
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.VolumeClaimMismatch, at,
                $"claim '{name}' names volume '{volumeName}', which is not rendered");
            yield break;
        }
        var claimClass = claim.Spec.StorageClassName;
        var volumeClass = volume.Spec.StorageClassName;
        if (string.IsNullOrEmpty(claimClass) || string.IsNullOrEmpty(volumeClass) || claimClass != volumeClass)
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.VolumeClaimMismatch, at,
                $"storageClassName differs or is unset: claim '{name}' has '{claimClass}', volume '{volumeName}' has '{volumeClass}'",
                "set the same storageClassName explicitly on both; unset, the default class is assigned and the claim never binds");
        var missingModes = (claim.Spec.AccessModes ?? []).Except(volume.Spec.AccessModes ?? []).ToList();
        if (missingModes.Count > 0)
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.VolumeClaimMismatch, at,
                $"claim '{name}' asks for access modes {string.Join(", ", missingModes)} that volume '{volumeName}' does not offer");
        var request = claim.Spec.Resources?.Requests is { } requests && requests.TryGetValue("storage", out var r) ? r : null;
        var capacity = volume.Spec.Capacity is { } caps && caps.TryGetValue("storage", out var c) ? c : null;
        if (request is null || capacity is null || request.ToDecimal() > capacity.ToDecimal())
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.VolumeClaimMismatch, at,
                $"claim '{name}' requests {request} but volume '{volumeName}' has capacity {capacity}");
        var claimRef = volume.Spec.ClaimRef;
        if (claimRef is null || claimRef.Name != name || claimRef.NamespaceProperty != claim.Metadata.NamespaceProperty)
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.VolumeClaimMismatch, at,
                $"volume '{volumeName}' is not bound back to claim '{claim.Metadata.NamespaceProperty}/{name}' by claimRef");
    }

    private static IEnumerable<Diagnostic> CheckPod(V1PodSpec pod, V1ObjectMeta owner, SourceSpan at,
        Func<string, string?, string, V1ConfigMap?> findConfigMap, Func<string, string?, string, V1PersistentVolumeClaim?> findClaim)
    {
        var ns = owner.NamespaceProperty;
        var volumes = pod.Volumes ?? [];
        foreach (var volume in volumes)
        {
            if (volume.ConfigMap is { } cm)
            {
                var map = findConfigMap("ConfigMap", ns, cm.Name);
                if (map is null)
                    yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.MissingReferencedObject, at,
                        $"{owner.Name} mounts ConfigMap '{cm.Name}', which is not rendered");
                else
                    foreach (var item in cm.Items ?? [])
                        if (map.Data?.ContainsKey(item.Key) != true)
                            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.MissingReferencedObject, at,
                                $"{owner.Name} mounts key '{item.Key}' of ConfigMap '{cm.Name}', which has no such key");
            }
            if (volume.PersistentVolumeClaim is { } pvc && findClaim("PersistentVolumeClaim", ns, pvc.ClaimName) is null)
                yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.MissingReferencedObject, at,
                    $"{owner.Name} mounts claim '{pvc.ClaimName}', which is not rendered");
        }
        var names = volumes.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var container in pod.Containers)
            foreach (var mount in container.VolumeMounts ?? [])
                if (!names.Contains(mount.Name))
                    yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.MissingReferencedObject, at,
                        $"{owner.Name} mounts volume '{mount.Name}' at {mount.MountPath}, but the pod has no such volume");
    }

    private static IDictionary<string, string>? PodLabels(object typed) => typed switch
    {
        V1Deployment d => d.Spec?.Template?.Metadata?.Labels,
        V1Job j => j.Spec?.Template?.Metadata?.Labels,
        V1CronJob c => c.Spec?.JobTemplate?.Spec?.Template?.Metadata?.Labels,
        _ => null,
    };
}
