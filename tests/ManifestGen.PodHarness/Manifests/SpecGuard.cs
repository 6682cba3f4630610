using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json.Serialization;
using k8s.Models;

namespace ManifestGen.PodHarness.Manifests;

/// <summary>
/// Fails on any field the harness does not understand. Every set property of the pod-level types must be
/// in that type's list below; values of listed fields are checked where they are used (the planner).
/// A field added to a template that the harness cannot reproduce therefore stops the test with its path,
/// instead of being quietly ignored. Types not listed here (metadata, resources, affinity) are leaves.
/// </summary>
internal static class SpecGuard
{
    public static readonly ImmutableHashSet<string> CronJobSpec = Set(
        "Schedule", "TimeZone", "ConcurrencyPolicy", "StartingDeadlineSeconds", "SuccessfulJobsHistoryLimit",
        "FailedJobsHistoryLimit", "Suspend", "JobTemplate");
    public static readonly ImmutableHashSet<string> JobTemplate = Set("Metadata", "Spec");
    public static readonly ImmutableHashSet<string> JobSpec = Set(
        "Template", "BackoffLimit", "ActiveDeadlineSeconds", "TtlSecondsAfterFinished", "Parallelism", "Completions", "Suspend",
        // When the controller creates a replacement pod: the controller's part, like retries (one pod runs once here).
        "PodReplacementPolicy");
    public static readonly ImmutableHashSet<string> PodTemplate = Set("Metadata", "Spec");
    // Replicas, strategy and history are the Deployment controller's: the harness runs one pod of the template.
    public static readonly ImmutableHashSet<string> DeploymentSpec = Set(
        "Replicas", "RevisionHistoryLimit", "Strategy", "Selector", "Template", "MinReadySeconds", "ProgressDeadlineSeconds");

    /// <summary>Allowed fields per pod-level type; the walker recurses into these types only.</summary>
    private static readonly ImmutableDictionary<Type, ImmutableHashSet<string>> PodTypes = new Dictionary<Type, ImmutableHashSet<string>>
    {
        [typeof(V1PodSpec)] = Set(
            "Containers", "Volumes", "RestartPolicy", "SecurityContext", "ServiceAccountName", "AutomountServiceAccountToken",
            "TerminationGracePeriodSeconds", "ActiveDeadlineSeconds", "NodeSelector", "Affinity", "Tolerations",
            "PriorityClassName", "HostAliases", "EnableServiceLinks", "ImagePullSecrets", "DnsPolicy", "SchedulerName",
            "HostNetwork", "HostPID", "HostIPC", "ShareProcessNamespace", "Hostname"),
        [typeof(V1Container)] = Set(
            "Name", "Image", "ImagePullPolicy", "Command", "Args", "WorkingDir", "Env", "EnvFrom", "VolumeMounts",
            "Resources", "SecurityContext", "TerminationMessagePath", "TerminationMessagePolicy", "Ports"),
        [typeof(V1VolumeMount)] = Set("Name", "MountPath", "SubPath", "ReadOnlyProperty", "MountPropagation"),
        [typeof(V1Volume)] = Set("Name", "ConfigMap", "Secret", "PersistentVolumeClaim", "EmptyDir", "Ephemeral"),
        [typeof(V1EphemeralVolumeSource)] = Set("VolumeClaimTemplate"),
        [typeof(V1PersistentVolumeClaimTemplate)] = Set("Spec"),
        [typeof(V1PersistentVolumeClaimSpec)] = Set("AccessModes", "StorageClassName", "Resources"),
        [typeof(V1VolumeResourceRequirements)] = Set("Requests"),
        [typeof(V1ConfigMapVolumeSource)] = Set("Name", "Items", "DefaultMode", "Optional"),
        [typeof(V1SecretVolumeSource)] = Set("SecretName", "Items", "DefaultMode", "Optional"),
        [typeof(V1KeyToPath)] = Set("Key", "Path", "Mode"),
        [typeof(V1PersistentVolumeClaimVolumeSource)] = Set("ClaimName", "ReadOnlyProperty"),
        [typeof(V1EmptyDirVolumeSource)] = Set("Medium", "SizeLimit"),
        [typeof(V1EnvVar)] = Set("Name", "Value", "ValueFrom"),
        [typeof(V1EnvVarSource)] = Set("SecretKeyRef", "ConfigMapKeyRef", "FieldRef"),
        [typeof(V1SecretKeySelector)] = Set("Name", "Key", "Optional"),
        [typeof(V1ConfigMapKeySelector)] = Set("Name", "Key", "Optional"),
        [typeof(V1ObjectFieldSelector)] = Set("FieldPath", "ApiVersion"),
        [typeof(V1EnvFromSource)] = Set("ConfigMapRef", "SecretRef", "Prefix"),
        [typeof(V1ConfigMapEnvSource)] = Set("Name", "Optional"),
        [typeof(V1SecretEnvSource)] = Set("Name", "Optional"),
        [typeof(V1SecurityContext)] = Set(
            "RunAsUser", "RunAsGroup", "RunAsNonRoot", "ReadOnlyRootFilesystem", "AllowPrivilegeEscalation",
            "Capabilities", "Privileged", "SeccompProfile", "AppArmorProfile", "ProcMount"),
        [typeof(V1PodSecurityContext)] = Set(
            "RunAsUser", "RunAsGroup", "RunAsNonRoot", "FsGroup", "FsGroupChangePolicy", "SupplementalGroups",
            "SupplementalGroupsPolicy", "SeccompProfile", "AppArmorProfile"),
        [typeof(V1Capabilities)] = Set("Add", "Drop"),
        [typeof(V1SeccompProfile)] = Set("Type"),
        [typeof(V1AppArmorProfile)] = Set("Type"),
        [typeof(V1HostAlias)] = Set("Ip", "Hostnames"),
    }.ToImmutableDictionary();

    private static ImmutableHashSet<string> Set(params string[] names) => names.ToImmutableHashSet(StringComparer.Ordinal);

    /// <summary>Checks the top-level fields of <paramref name="value"/> against <paramref name="allowed"/>.</summary>
    public static void Check(object? value, string path, ImmutableHashSet<string> allowed)
    {
        if (value is null) return;
        foreach (var (prop, v) in SetProperties(value))
            if (!allowed.Contains(prop.Name))
                throw Unsupported(path, prop);
    }

    /// <summary>Walks a pod spec and everything the harness reproduces.</summary>
    public static void CheckPod(V1PodSpec spec, string path) => Walk(spec, path);

    private static void Walk(object value, string path)
    {
        if (!PodTypes.TryGetValue(value.GetType(), out var allowed)) return;
        foreach (var (prop, v) in SetProperties(value))
        {
            if (!allowed.Contains(prop.Name))
                throw Unsupported(path, prop);
            var child = $"{path}.{JsonName(prop)}";
            if (v is IEnumerable list and not string && v is not IDictionary)
            {
                var i = 0;
                foreach (var item in list)
                {
                    if (item is not null) Walk(item, $"{child}[{i}]");
                    i++;
                }
            }
            else
            {
                Walk(v, child);
            }
        }
    }

    private static IEnumerable<(PropertyInfo Prop, object Value)> SetProperties(object value)
    {
        foreach (var prop in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (prop.GetIndexParameters().Length > 0) continue;
            if (prop.Name is "ApiVersion" or "Kind" && value is k8s.IKubernetesObject) continue;
            var v = prop.GetValue(value);
            if (v is null) continue;
            if (v is ICollection { Count: 0 }) continue;
            yield return (prop, v);
        }
    }

    private static HarnessException Unsupported(string path, PropertyInfo prop) =>
        new($"{path}.{JsonName(prop)}: field not supported by the pod harness (it cannot reproduce it faithfully)");

    internal static string JsonName(PropertyInfo prop) =>
        prop.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
        ?? char.ToLowerInvariant(prop.Name[0]) + prop.Name[1..];
}
