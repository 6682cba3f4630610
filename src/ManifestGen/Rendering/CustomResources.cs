using System.Collections.Immutable;
using System.Text.Json.Serialization;
using k8s.Models;

namespace ManifestGen.Rendering;

// Typed models of the custom resources ManifestGen renders (only the fields it uses; anything else is an
// unknown field and fails the strict re-parse).

public sealed record ArgoApplication
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required ArgoApplicationSpec Spec { get; init; }
}

public sealed record ArgoApplicationSpec
{
    public required string Project { get; init; }
    public required ArgoSource Source { get; init; }
    public required ArgoDestination Destination { get; init; }
    public ArgoSyncPolicy? SyncPolicy { get; init; }
}

public sealed record ArgoSource
{
    [JsonPropertyName("repoURL")]
    public required string RepoUrl { get; init; }
    public required string TargetRevision { get; init; }
    public required string Path { get; init; }
    public ArgoDirectory? Directory { get; init; }
}

public sealed record ArgoDirectory
{
    public bool? Recurse { get; init; }
}

public sealed record ArgoDestination
{
    public string? Server { get; init; }
    public string? Name { get; init; }
    public required string Namespace { get; init; }
}

public sealed record ArgoSyncPolicy
{
    public ArgoAutomated? Automated { get; init; }
    public ImmutableArray<string>? SyncOptions { get; init; }
}

public sealed record ArgoAutomated
{
    public bool? Prune { get; init; }
    public bool? SelfHeal { get; init; }
}

/// <summary>Prometheus Operator's PrometheusRule (monitoring.coreos.com/v1).</summary>
public sealed record PrometheusRule
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required PrometheusRuleSpec Spec { get; init; }
}

public sealed record PrometheusRuleSpec
{
    public required ImmutableArray<PrometheusRuleGroup> Groups { get; init; }
}

public sealed record PrometheusRuleGroup
{
    public required string Name { get; init; }
    public string? Interval { get; init; }
    public required ImmutableArray<PrometheusRuleItem> Rules { get; init; }
}

public sealed record PrometheusRuleItem
{
    public string? Alert { get; init; }
    public string? Record { get; init; }
    public required string Expr { get; init; }
    public string? For { get; init; }
    public ImmutableSortedDictionary<string, string>? Labels { get; init; }
    public ImmutableSortedDictionary<string, string>? Annotations { get; init; }
}

public sealed record SealedSecret
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required SealedSecretSpec Spec { get; init; }
}

public sealed record SealedSecretSpec
{
    public required ImmutableSortedDictionary<string, string> EncryptedData { get; init; }
    public SealedSecretTemplate? Template { get; init; }
}

public sealed record SealedSecretTemplate
{
    public string? Type { get; init; }
    public V1ObjectMeta? Metadata { get; init; }
}

public sealed record ExternalSecret
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required ExternalSecretSpec Spec { get; init; }
}

public sealed record ExternalSecretSpec
{
    public string? RefreshInterval { get; init; }
    public required ExternalSecretStoreRef SecretStoreRef { get; init; }
    public required ExternalSecretTarget Target { get; init; }
    public required ImmutableArray<ExternalSecretData> Data { get; init; }
}

public sealed record ExternalSecretStoreRef
{
    public required string Name { get; init; }
    public string? Kind { get; init; }
}

public sealed record ExternalSecretTarget
{
    public required string Name { get; init; }
    public string? CreationPolicy { get; init; }
    public ExternalSecretTemplate? Template { get; init; }
}

public sealed record ExternalSecretTemplate
{
    public string? Type { get; init; }
}

public sealed record ExternalSecretData
{
    public required string SecretKey { get; init; }
    public required ExternalSecretRemoteRef RemoteRef { get; init; }
}

public sealed record ExternalSecretRemoteRef
{
    public required string Key { get; init; }
}

/// <summary>
/// Compile-time serialization metadata of the custom resources, with the options of the strict re-parse:
/// camelCase, nulls not written, nullable annotations enforced (unknown fields are found by the round trip).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ArgoApplication))]
[JsonSerializable(typeof(SealedSecret))]
[JsonSerializable(typeof(ExternalSecret))]
[JsonSerializable(typeof(PrometheusRule))]
internal sealed partial class CustomResourceJson : JsonSerializerContext;

/// <summary>Compile-time serialization metadata of the Kubernetes kinds rendered (options: KubernetesJson's, see ObjectReader).</summary>
[JsonSerializable(typeof(V1Namespace))]
[JsonSerializable(typeof(V1PersistentVolume))]
[JsonSerializable(typeof(V1PersistentVolumeClaim))]
[JsonSerializable(typeof(V1ConfigMap))]
[JsonSerializable(typeof(V1Secret))]
[JsonSerializable(typeof(V1Job))]
[JsonSerializable(typeof(V1CronJob))]
[JsonSerializable(typeof(V1ServiceAccount))]
[JsonSerializable(typeof(V1NetworkPolicy))]
[JsonSerializable(typeof(V1Deployment))]
[JsonSerializable(typeof(V1Service))]
internal sealed partial class KubernetesModelJson : JsonSerializerContext;
