using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Rendering;

/// <summary>One finding of the API server's validation: the field path as Kubernetes names it and its message.</summary>
public sealed record ApiFieldError(string Field, string Message, string Refuser = "the API server")
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// A port of the Kubernetes API server's validation for every field the templates render
/// (k8s.io/apimachinery/pkg/util/validation and api/validation/ObjectMeta, pkg/apis/batch/validation for
/// CronJob and Job, pkg/apis/core/validation for pods, containers, volumes, ConfigMaps, PersistentVolumes
/// and claims), applied to the typed objects after the strict re-parse. Messages use the API server's
/// words (`Invalid value: -1: must be greater than or equal to 0`) so they can be looked up.
/// </summary>
public static partial class KubernetesValidation
{
    public const int AnnotationsMaxBytes = 256 * 1024;
    private const long MaxId = 0xffffffff;

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNamePart();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvVarNameRegex();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigMapKeyRegex();

    private static readonly string[] AccessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

    // ---- apimachinery: names, label keys and values, env and ConfigMap keys ------------------------

    /// <summary>IsDNS1123Label: null when valid, otherwise the API server's reason.</summary>
    public static string? IsDns1123Label(string value) => KubernetesNames.WhyNotLabel(value) is null ? null
        : value.Length > KubernetesNames.LabelMaxLength ? $"must be no more than {KubernetesNames.LabelMaxLength} characters"
        : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";

    /// <summary>IsDNS1123Subdomain.</summary>
    public static string? IsDns1123Subdomain(string value) => KubernetesNames.WhyNotSubdomain(value) is null ? null
        : value.Length > KubernetesNames.SubdomainMaxLength ? $"must be no more than {KubernetesNames.SubdomainMaxLength} characters"
        : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

    /// <summary>IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static string? IsQualifiedName(string value)
    {
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                if (parts[0].Length == 0)
                    return "prefix part must be non-empty";
                if (IsDns1123Subdomain(parts[0]) is { } why)
                    return "prefix part " + why;
                name = parts[1];
                break;
            default:
                return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        }
        if (name.Length == 0)
            return "name part must be non-empty";
        if (name.Length > 63)
            return "name part must be no more than 63 characters";
        return QualifiedNamePart().IsMatch(name) ? null
            : "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    }

    /// <summary>IsValidLabelValue.</summary>
    public static string? IsLabelValue(string value) => value.Length > KubernetesNames.LabelMaxLength
        ? $"must be no more than {KubernetesNames.LabelMaxLength} characters"
        : KubernetesNames.WhyNotLabelValue(value) is null ? null
        : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    /// <summary>IsEnvVarName (the strict form, with the '.'/'..' prefix rule).</summary>
    public static string? IsEnvVarName(string value) =>
        !EnvVarNameRegex().IsMatch(value) ? "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"
        : ChDirPrefix(value);

    /// <summary>IsConfigMapKey.</summary>
    public static string? IsConfigMapKey(string value) =>
        value.Length > KubernetesNames.SubdomainMaxLength ? $"must be no more than {KubernetesNames.SubdomainMaxLength} characters"
        : !ConfigMapKeyRegex().IsMatch(value) ? "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
        : ChDirPrefix(value);

    private static string? ChDirPrefix(string value) =>
        value == "." ? "must not be '.'" : value == ".." ? "must not be '..'" : value.StartsWith("..", StringComparison.Ordinal) ? "must not start with '..'" : null;

    // ---- objects ----------------------------------------------------------------------------------

    /// <summary>Every finding for one typed object, as the API server would report it on create.</summary>
    public static IReadOnlyList<ApiFieldError> Validate(RenderedObject obj)
    {
        var errors = new List<ApiFieldError>();
        void Add(string field, object? value, string message)
        {
            var argo = field.StartsWith("argocd:", StringComparison.Ordinal);
            errors.Add(new ApiFieldError(argo ? field["argocd:".Length..] : field, value is null ? message : $"Invalid value: {Show(value)}: {message}",
                argo ? "Argo CD" : "the API server"));
        }
        switch (obj.Typed)
        {
            case V1Namespace ns:
                Meta(ns.Metadata, "metadata", IsDns1123Label, namespaced: false, Add);
                break;
            case V1ConfigMap cm:
                Meta(cm.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                foreach (var key in (cm.Data?.Keys ?? []).Concat(cm.BinaryData?.Keys ?? []))
                    if (IsConfigMapKey(key) is { } why)
                        Add($"data[{key}]", key, why);
                break;
            case V1CronJob cj:
                Meta(cj.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                CronJobSpec(cj.Spec, Add);
                break;
            case V1Job job:
                Meta(job.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                JobSpec(job.Spec, "spec", Add);
                break;
            case V1Deployment deployment:
                Meta(deployment.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                DeploymentSpec(deployment.Spec, Add);
                break;
            case V1Service service:
                // Service names are DNS-1035 labels: a name starting with a digit is refused.
                Meta(service.Metadata, "metadata", IsDns1035Label, namespaced: true, Add);
                ServiceSpec(service.Spec, Add);
                break;
            case V1PersistentVolume pv:
                Meta(pv.Metadata, "metadata", IsDns1123Subdomain, namespaced: false, Add);
                PersistentVolumeSpec(pv.Spec, Add);
                break;
            case V1PersistentVolumeClaim pvc:
                Meta(pvc.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                ClaimSpec(pvc.Spec, Add);
                break;
            case ArgoApplication app:
                Meta(app.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                ApplicationSpec(app, Add);
                break;
            case SealedSecret sealedSecret:
                Meta(sealedSecret.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                break;
            case ExternalSecret externalSecret:
                Meta(externalSecret.Metadata, "metadata", IsDns1123Subdomain, namespaced: true, Add);
                break;
        }
        return errors;
    }

    private static void Meta(V1ObjectMeta? meta, string at, Func<string, string?> nameRule, bool namespaced, Action<string, object?, string> add)
    {
        if (meta?.Name is not { Length: > 0 } name)
        {
            add(at + ".name", null, "Required value: name or generateName is required");
            return;
        }
        if (nameRule(name) is { } why)
            add(at + ".name", name, why);
        if (namespaced && meta.NamespaceProperty is { } ns && IsDns1123Label(ns) is { } nsWhy)
            add(at + ".namespace", ns, nsWhy);
        if (!namespaced && !string.IsNullOrEmpty(meta.NamespaceProperty))
            add(at + ".namespace", meta.NamespaceProperty, "not allowed on this type");
        Labels(meta.Labels, at + ".labels", add);
        var size = 0L;
        foreach (var (key, value) in meta.Annotations ?? new Dictionary<string, string>())
        {
            if (IsQualifiedName(key.ToLowerInvariant()) is { } keyWhy)
                add($"{at}.annotations", key, keyWhy);
            size += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value ?? "");
        }
        if (size > AnnotationsMaxBytes)
            add(at + ".annotations", null, $"Too long: may not be more than {AnnotationsMaxBytes} bytes");
    }

    private static void Labels(IDictionary<string, string>? labels, string at, Action<string, object?, string> add)
    {
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            if (IsQualifiedName(key) is { } keyWhy)
                add(at, key, keyWhy);
            if (IsLabelValue(value ?? "") is { } valueWhy)
                add(at, value, valueWhy);
        }
    }

    private static void CronJobSpec(V1CronJobSpec spec, Action<string, object?, string> add)
    {
        if (string.IsNullOrEmpty(spec.Schedule))
            add("spec.schedule", null, "Required value");
        if (spec.StartingDeadlineSeconds is < 0)
            add("spec.startingDeadlineSeconds", spec.StartingDeadlineSeconds, "must be greater than or equal to 0");
        if (spec.SuccessfulJobsHistoryLimit is < 0)
            add("spec.successfulJobsHistoryLimit", spec.SuccessfulJobsHistoryLimit, "must be greater than or equal to 0");
        if (spec.FailedJobsHistoryLimit is < 0)
            add("spec.failedJobsHistoryLimit", spec.FailedJobsHistoryLimit, "must be greater than or equal to 0");
        if (spec.ConcurrencyPolicy is { } policy && policy is not ("Allow" or "Forbid" or "Replace"))
            add("spec.concurrencyPolicy", policy, "Unsupported value: supported values: \"Allow\", \"Forbid\", \"Replace\"");
        if (spec.TimeZone is { } zone && (zone.Length == 0 || zone.Contains(' ', StringComparison.Ordinal)))
            add("spec.timeZone", zone, "unknown time zone");
        Labels(spec.JobTemplate?.Metadata?.Labels, "spec.jobTemplate.metadata.labels", add);
        if (spec.JobTemplate?.Spec is { } job)
            JobSpec(job, "spec.jobTemplate.spec", add);
    }

    private static void JobSpec(V1JobSpec spec, string at, Action<string, object?, string> add)
    {
        if (spec.ActiveDeadlineSeconds is <= 0)
            add(at + ".activeDeadlineSeconds", spec.ActiveDeadlineSeconds, "must be greater than 0");
        if (spec.BackoffLimit is < 0)
            add(at + ".backoffLimit", spec.BackoffLimit, "must be greater than or equal to 0");
        if (spec.Parallelism is < 0)
            add(at + ".parallelism", spec.Parallelism, "must be greater than or equal to 0");
        if (spec.Completions is < 0)
            add(at + ".completions", spec.Completions, "must be greater than or equal to 0");
        if (spec.TtlSecondsAfterFinished is < 0)
            add(at + ".ttlSecondsAfterFinished", spec.TtlSecondsAfterFinished, "must be greater than or equal to 0");
        Labels(spec.Template?.Metadata?.Labels, at + ".template.metadata.labels", add);
        if (spec.Template?.Spec is { } pod)
            PodSpec(pod, at + ".template.spec", add);
    }

    /// <summary>pkg/apis/apps/validation ValidateDeploymentSpec, for the fields rendered.</summary>
    private static void DeploymentSpec(V1DeploymentSpec? spec, Action<string, object?, string> add)
    {
        if (spec is null)
        {
            add("spec", null, "Required value");
            return;
        }
        if (spec.Replicas is < 0)
            add("spec.replicas", spec.Replicas, "must be greater than or equal to 0");
        if (spec.RevisionHistoryLimit is < 0)
            add("spec.revisionHistoryLimit", spec.RevisionHistoryLimit, "must be greater than or equal to 0");
        if (spec.Strategy?.Type is { } type && type is not ("Recreate" or "RollingUpdate"))
            add("spec.strategy.type", type, "Unsupported value: supported values: \"Recreate\", \"RollingUpdate\"");
        if (spec.Strategy is { Type: "Recreate", RollingUpdate: not null })
            add("spec.strategy.rollingUpdate", null, "Forbidden: may not be specified when strategy `type` is 'Recreate'");
        var selector = spec.Selector?.MatchLabels ?? new Dictionary<string, string>();
        if (selector.Count == 0 && (spec.Selector?.MatchExpressions?.Count ?? 0) == 0)
            add("spec.selector", null, "Required value: empty selector is invalid for deployment");
        Labels(selector, "spec.selector.matchLabels", add);
        var labels = spec.Template?.Metadata?.Labels ?? new Dictionary<string, string>();
        if (!selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            add("spec.template.metadata.labels", null, "Invalid value: `selector` does not match template `labels`");
        Labels(labels, "spec.template.metadata.labels", add);
        if (spec.Template?.Spec is { } pod)
            PodSpec(pod, "spec.template.spec", add, ["Always"]);
        else
            add("spec.template.spec", null, "Required value");
    }

    /// <summary>pkg/apis/core/validation ValidateService, for the fields rendered.</summary>
    private static void ServiceSpec(V1ServiceSpec? spec, Action<string, object?, string> add)
    {
        if (spec is null)
        {
            add("spec", null, "Required value");
            return;
        }
        if (spec.Type is { } type && type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
            add("spec.type", type, "Unsupported value: supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"");
        Labels(spec.Selector, "spec.selector", add);
        if ((spec.Ports?.Count ?? 0) == 0 && spec.Type != "ExternalName")
            add("spec.ports", null, "Required value");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (spec.Ports?.Count ?? 0); i++)
        {
            var p = spec.Ports![i];
            var pat = $"spec.ports[{i}]";
            if (spec.Ports.Count > 1 && string.IsNullOrEmpty(p.Name))
                add(pat + ".name", null, "Required value");
            else if (p.Name is { Length: > 0 } name && (IsDns1123Label(name) is { } why ? why : null) is { } nameWhy)
                add(pat + ".name", name, nameWhy);
            else if (p.Name is { Length: > 0 } n && !names.Add(n))
                add(pat + ".name", n, "Duplicate value");
            if (p.Port is < 1 or > 65535)
                add(pat + ".port", p.Port, "must be between 1 and 65535, inclusive");
            if (p.Protocol is { } protocol && protocol is not ("TCP" or "UDP" or "SCTP"))
                add(pat + ".protocol", protocol, "Unsupported value: supported values: \"SCTP\", \"TCP\", \"UDP\"");
            if (p.TargetPort?.Value is { } target)
            {
                if (int.TryParse(target, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
                {
                    if (number is < 1 or > 65535)
                        add(pat + ".targetPort", number, "must be between 1 and 65535, inclusive");
                }
                else if (IsServicePortName(target) is { } targetWhy)
                    add(pat + ".targetPort", target, targetWhy);
            }
        }
    }

    /// <summary>IsValidPortName (IANA_SVC_NAME): at most 15 characters, lower-case letters, digits and '-', at least one letter.</summary>
    public static string? IsServicePortName(string value) =>
        value.Length is 0 or > 15 ? "must be no more than 15 characters"
        : !value.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-') ? "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
        : value.Contains("--", StringComparison.Ordinal) ? "must not contain consecutive hyphens"
        : value.StartsWith('-') || value.EndsWith('-') ? "must not begin or end with a hyphen"
        : !value.Any(c => c is >= 'a' and <= 'z') ? "must contain at least one letter (a-z)"
        : null;

    /// <summary>IsDNS1035Label: a DNS-1123 label that starts with a letter.</summary>
    public static string? IsDns1035Label(string value) =>
        IsDns1123Label(value) is { } why ? why.Replace("RFC 1123", "DNS-1035", StringComparison.Ordinal)
        : value[0] is >= 'a' and <= 'z' ? null
        : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

    private static readonly string[] JobRestartPolicies = ["OnFailure", "Never"];

    private static void PodSpec(V1PodSpec pod, string at, Action<string, object?, string> add, string[]? restartPolicies = null)
    {
        // A Job's pods may only end (restartPolicy OnFailure or Never); a Deployment's only restart (Always).
        restartPolicies ??= JobRestartPolicies;
        if (pod.RestartPolicy is { } restart && !restartPolicies.Contains(restart))
            add(at + ".restartPolicy", restart, "Unsupported value: supported values: " + string.Join(", ", restartPolicies.Select(r => $"\"{r}\"")));
        if (pod.TerminationGracePeriodSeconds is < 0)
            add(at + ".terminationGracePeriodSeconds", pod.TerminationGracePeriodSeconds, "must be greater than or equal to 0");
        if (pod.ActiveDeadlineSeconds is <= 0)
            add(at + ".activeDeadlineSeconds", pod.ActiveDeadlineSeconds, "must be between 1 and 2147483647, inclusive");
        Ids(pod.SecurityContext?.RunAsUser, pod.SecurityContext?.RunAsGroup, at + ".securityContext", add);
        foreach (var (key, value) in pod.NodeSelector ?? new Dictionary<string, string>())
        {
            if (IsQualifiedName(key) is { } why)
                add(at + ".nodeSelector", key, why);
            if (IsLabelValue(value ?? "") is { } valueWhy)
                add(at + ".nodeSelector", value, valueWhy);
        }

        var volumes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (pod.Volumes?.Count ?? 0); i++)
        {
            var v = pod.Volumes![i];
            var vat = $"{at}.volumes[{i}]";
            if (IsDns1123Label(v.Name ?? "") is { } why)
                add(vat + ".name", v.Name, why);
            else if (!volumes.Add(v.Name!))
                add(vat + ".name", v.Name, "Duplicate value");
            if (v.ConfigMap is { } cm && IsDns1123Subdomain(cm.Name ?? "") is { } cmWhy)
                add(vat + ".configMap.name", cm.Name, cmWhy);
            if (v.Secret is { } secret && IsDns1123Subdomain(secret.SecretName ?? "") is { } sWhy)
                add(vat + ".secret.secretName", secret.SecretName, sWhy);
            if (v.PersistentVolumeClaim is { } claim && string.IsNullOrEmpty(claim.ClaimName))
                add(vat + ".persistentVolumeClaim.claimName", null, "Required value");
            foreach (var item in v.ConfigMap?.Items ?? v.Secret?.Items ?? [])
                if (IsConfigMapKey(item.Key ?? "") is { } keyWhy)
                    add(vat + ".items.key", item.Key, keyWhy);
        }

        var containers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (pod.Containers?.Count ?? 0); i++)
        {
            var c = pod.Containers![i];
            var cat = $"{at}.containers[{i}]";
            if (IsDns1123Label(c.Name ?? "") is { } why)
                add(cat + ".name", c.Name, why);
            else if (!containers.Add(c.Name!))
                add(cat + ".name", c.Name, "Duplicate value");
            if (string.IsNullOrWhiteSpace(c.Image))
                add(cat + ".image", null, "Required value");
            if (c.ImagePullPolicy is { } pull && pull is not ("Always" or "IfNotPresent" or "Never"))
                add(cat + ".imagePullPolicy", pull, "Unsupported value: supported values: \"Always\", \"IfNotPresent\", \"Never\"");
            for (var e = 0; e < (c.Env?.Count ?? 0); e++)
                if (IsEnvVarName(c.Env![e].Name ?? "") is { } envWhy)
                    add($"{cat}.env[{e}].name", c.Env[e].Name, envWhy);
            Ids(c.SecurityContext?.RunAsUser, c.SecurityContext?.RunAsGroup, cat + ".securityContext", add);
            if (c.SecurityContext is { Privileged: true, AllowPrivilegeEscalation: false })
                add(cat + ".securityContext", null, "Invalid value: cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
            Resources(c.Resources, cat + ".resources", add);
            var portNames = new HashSet<string>(StringComparer.Ordinal);
            for (var p = 0; p < (c.Ports?.Count ?? 0); p++)
            {
                var port = c.Ports![p];
                if (port.ContainerPort is < 1 or > 65535)
                    add($"{cat}.ports[{p}].containerPort", port.ContainerPort, "must be between 1 and 65535, inclusive");
                if (port.Name is { Length: > 0 } portName && (IsServicePortName(portName) ?? (portNames.Add(portName) ? null : "Duplicate value")) is { } portWhy)
                    add($"{cat}.ports[{p}].name", portName, portWhy);
                if (port.Protocol is { } protocol && protocol is not ("TCP" or "UDP" or "SCTP"))
                    add($"{cat}.ports[{p}].protocol", protocol, "Unsupported value: supported values: \"SCTP\", \"TCP\", \"UDP\"");
            }
            var paths = new HashSet<string>(StringComparer.Ordinal);
            for (var m = 0; m < (c.VolumeMounts?.Count ?? 0); m++)
            {
                var mount = c.VolumeMounts![m];
                var mat = $"{cat}.volumeMounts[{m}]";
                if (string.IsNullOrEmpty(mount.Name))
                    add(mat + ".name", null, "Required value");
                else if (!volumes.Contains(mount.Name))
                    add(mat + ".name", mount.Name, "Not found");
                if (string.IsNullOrEmpty(mount.MountPath))
                    add(mat + ".mountPath", null, "Required value");
                else if (!paths.Add(mount.MountPath))
                    add(mat + ".mountPath", mount.MountPath, "must be unique");
                if (mount.SubPath is { Length: > 0 } sub && (sub.StartsWith('/') || sub.Split('/').Contains("..")))
                    add(mat + ".subPath", sub, "must be a relative path without '..'");
            }
        }
    }

    private static void Ids(long? user, long? group, string at, Action<string, object?, string> add)
    {
        if (user is < 0 or > MaxId)
            add(at + ".runAsUser", user, $"must be between 0 and {MaxId}, inclusive");
        if (group is < 0 or > MaxId)
            add(at + ".runAsGroup", group, $"must be between 0 and {MaxId}, inclusive");
    }

    private static void Resources(V1ResourceRequirements? resources, string at, Action<string, object?, string> add)
    {
        if (resources is null)
            return;
        foreach (var (name, q) in resources.Requests ?? new Dictionary<string, ResourceQuantity>())
        {
            if (q.ToDecimal() < 0)
                add($"{at}.requests[{name}]", q.ToString(), "must be greater than or equal to 0");
            if (resources.Limits?.TryGetValue(name, out var limit) == true && q.ToDecimal() > limit.ToDecimal())
                add($"{at}.requests", q.ToString(), $"must be less than or equal to {name} limit of {limit}");
        }
        foreach (var (name, q) in resources.Limits ?? new Dictionary<string, ResourceQuantity>())
            if (q.ToDecimal() < 0)
                add($"{at}.limits[{name}]", q.ToString(), "must be greater than or equal to 0");
    }

    private static void AccessModeList(IList<string>? modes, string at, Action<string, object?, string> add)
    {
        if (modes is null || modes.Count == 0)
        {
            add(at, null, "Required value: at least 1 access mode is required");
            return;
        }
        foreach (var mode in modes.Where(m => !AccessModes.Contains(m)))
            add(at, mode, "Unsupported value: supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"");
        if (modes.Contains("ReadWriteOncePod") && modes.Count > 1)
            add(at, null, "Forbidden: may not use ReadWriteOncePod with other access modes");
    }

    private static void PersistentVolumeSpec(V1PersistentVolumeSpec spec, Action<string, object?, string> add)
    {
        AccessModeList(spec.AccessModes, "spec.accessModes", add);
        if (spec.Capacity?.TryGetValue("storage", out var capacity) != true)
            add("spec.capacity", null, "Required value");
        else if (capacity!.ToDecimal() <= 0)
            add("spec.capacity[storage]", capacity.ToString(), "must be greater than zero");
        if (spec.StorageClassName is { Length: > 0 } cls && IsDns1123Subdomain(cls) is { } why)
            add("spec.storageClassName", cls, why);
        if (spec.PersistentVolumeReclaimPolicy is { } policy && policy is not ("Retain" or "Delete" or "Recycle"))
            add("spec.persistentVolumeReclaimPolicy", policy, "Unsupported value: supported values: \"Delete\", \"Recycle\", \"Retain\"");
        if (spec.Nfs is { } nfs)
        {
            if (string.IsNullOrEmpty(nfs.Server))
                add("spec.nfs.server", null, "Required value");
            if (string.IsNullOrEmpty(nfs.Path))
                add("spec.nfs.path", null, "Required value");
            else if (!nfs.Path.StartsWith('/'))
                add("spec.nfs.path", nfs.Path, "must be an absolute path");
        }
        if (spec.Local is { } local)
        {
            if (string.IsNullOrEmpty(local.Path))
                add("spec.local.path", null, "Required value");
            else if (local.Path.Split('/').Contains(".."))
                add("spec.local.path", local.Path, "must not contain '..'");
            if (spec.NodeAffinity?.Required is null)
                add("spec.nodeAffinity", null, "Required value: Local volume requires node affinity");
        }
        if (spec.Nfs is null && spec.Local is null)
            add("spec", null, "Required value: must specify a volume type");
    }

    private static void ClaimSpec(V1PersistentVolumeClaimSpec spec, Action<string, object?, string> add)
    {
        AccessModeList(spec.AccessModes, "spec.accessModes", add);
        if (spec.Resources?.Requests?.TryGetValue("storage", out var request) != true)
            add("spec.resources[storage]", null, "Required value");
        else if (request!.ToDecimal() <= 0)
            add("spec.resources[storage]", request.ToString(), "must be greater than zero");
        if (spec.StorageClassName is { Length: > 0 } cls && IsDns1123Subdomain(cls) is { } why)
            add("spec.storageClassName", cls, why);
        if (spec.VolumeName is { Length: > 0 } volume && IsDns1123Subdomain(volume) is { } vWhy)
            add("spec.volumeName", volume, vWhy);
    }

    /// <summary>
    /// What Argo CD refuses or silently does wrong in an Application: a name that cannot be the tracking
    /// label's value, a project that is no object name, a repository URL in no form Argo CD clones, a
    /// source path that is absolute, leaves the repository or points at another environment's folder.
    /// </summary>
    private static void ApplicationSpec(ArgoApplication app, Action<string, object?, string> apiServer)
    {
        // Argo CD, not the API server, refuses these; the message says so.
        var add = (string field, object? value, string message) => apiServer("argocd:" + field, value, message);
        // Argo CD tracks resources by the label app.kubernetes.io/instance=<application name> by default.
        if (app.Metadata.Name is { } name && IsLabelValue(name) is not null)
            add("metadata.name", name, "an Application name must also be a valid label value (at most 63 characters): Argo CD's default resource tracking writes it into the label app.kubernetes.io/instance");
        var spec = app.Spec;
        if (IsDns1123Subdomain(spec.Project) is { } projectWhy)
            add("spec.project", spec.Project, "an AppProject name: " + projectWhy);
        if (WhyNotRepoUrl(spec.Source.RepoUrl) is { } urlWhy)
            add("spec.source.repoURL", spec.Source.RepoUrl, urlWhy);
        if (spec.Source.TargetRevision.Length == 0 || spec.Source.TargetRevision.Any(char.IsWhiteSpace))
            add("spec.source.targetRevision", spec.Source.TargetRevision, "must be a branch, tag or commit without spaces");
        var path = spec.Source.Path;
        if (path.StartsWith('/'))
            add("spec.source.path", path, "must be relative to the repository root (Argo CD refuses an absolute path)");
        else if (path.Split('/').Contains(".."))
            add("spec.source.path", path, "must not contain '..' (Argo CD refuses a path outside the repository)");
        if (IsDns1123Label(spec.Destination.Namespace) is { } nsWhy)
            add("spec.destination.namespace", spec.Destination.Namespace, nsWhy);
    }

    [GeneratedRegex(@"^(https?|ssh|git)://[^\s/@]+(@[^\s/]+)?(:[0-9]+)?/\S+$|^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+$", RegexOptions.CultureInvariant)]
    private static partial Regex RepoUrlForm();

    /// <summary>Null for the repository URL forms Argo CD clones: https://, http://, ssh://, git:// and scp-like git@host:path.</summary>
    public static string? WhyNotRepoUrl(string url) =>
        url.Length == 0 ? "Required value"
        : url.Any(char.IsWhiteSpace) ? "must not contain spaces"
        : url.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? "a file: URL points at the Argo CD repo server's own disk"
        : RepoUrlForm().IsMatch(url) ? null
        : "is not a repository URL Argo CD can clone (https://host/group/repo.git, ssh://git@host/group/repo.git or git@host:group/repo.git)";

    private static string Show(object value) => value is string s ? $"\"{s}\"" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
}
