using System.Collections.Immutable;

namespace ManifestGen.Planning;

// The render model: everything a template needs, already decided (names, schedules, mounts). Templates
// only lay it out; they make no decisions. Scriban sees members in snake_case (ObjectName -> object_name).

public sealed record KeyValue(string Key, string Value);

public sealed record ObjectMeta(string Name, string? Namespace, ImmutableArray<KeyValue> Labels, ImmutableArray<KeyValue> Annotations);

public sealed record NamespaceModel(ObjectMeta Meta);

public sealed record ServiceAccountModel(ObjectMeta Meta);

public sealed record PortModel(string Protocol, int Port);

/// <summary>One egress rule: to IP ranges, or to pods of a namespace (all of them when PodLabels is empty).</summary>
public sealed record EgressRuleModel(ImmutableArray<string> Cidrs, string? Namespace, ImmutableArray<KeyValue> PodLabels, ImmutableArray<PortModel> Ports);

/// <summary>One ingress rule: from pods of a namespace whose component label is one of <see cref="Components"/>.</summary>
public sealed record IngressRuleModel(string Namespace, ImmutableArray<string> Components, ImmutableArray<PortModel> Ports);

/// <summary>
/// Selects the pods of its namespace (all of them, or those <see cref="PodLabels"/> match, less those whose
/// component is in <see cref="ExceptComponents"/>); denies every ingress but <see cref="Ingress"/> and every
/// egress but <see cref="Egress"/>.
/// </summary>
public sealed record NetworkPolicyModel(ObjectMeta Meta, ImmutableArray<EgressRuleModel> Egress)
{
    public ImmutableArray<KeyValue> PodLabels { get; init; } = [];
    public ImmutableArray<string> ExceptComponents { get; init; } = [];
    public ImmutableArray<IngressRuleModel> Ingress { get; init; } = [];
}

public sealed record NfsSource(string Server, string Path);

public sealed record PersistentVolumeModel(
    ObjectMeta Meta, string Capacity, string StorageClassName, ImmutableArray<string> AccessModes,
    string ClaimNamespace, string ClaimName, NfsSource? Nfs, ImmutableArray<string> MountOptions,
    string? LocalPath, string? LocalNode);

public sealed record PersistentVolumeClaimModel(
    ObjectMeta Meta, string Size, string? StorageClassName, ImmutableArray<string> AccessModes, string? VolumeName);

public sealed record ConfigMapModel(ObjectMeta Meta, ImmutableArray<KeyValue> Data);

/// <summary>Ephemeral: a claim made for the pod from a StorageClass (Source, null for the default class) of SizeLimit, deleted with it.</summary>
public enum VolumeKind { ConfigMap, Secret, Claim, EmptyDir, Nfs, Ephemeral }

public sealed record VolumeModel(
    string Name, VolumeKind Kind, string? Source = null, ImmutableArray<KeyValue> Items = default,
    int? DefaultMode = null, string? SizeLimit = null, NfsSource? Nfs = null, bool Optional = false)
{
    public string KindName => Kind switch
    {
        VolumeKind.ConfigMap => "config_map",
        VolumeKind.Secret => "secret",
        VolumeKind.Claim => "claim",
        VolumeKind.EmptyDir => "empty_dir",
        VolumeKind.Ephemeral => "ephemeral",
        _ => "nfs",
    };
    public ImmutableArray<KeyValue> ItemList => Items.IsDefault ? [] : Items;
}

public sealed record MountModel(string Name, string MountPath, string? SubPath, bool ReadOnly);

/// <summary>
/// A pod's security settings, decided by <see cref="PodSecurity"/>; the template prints them as they are.
/// <c>AllowPrivilegeEscalation</c> null leaves the field out (Kubernetes rejects <c>false</c> next to
/// <c>privileged</c> or an added <c>SYS_ADMIN</c>).
/// </summary>
public sealed record SecurityModel(
    long RunAsUser, long RunAsGroup, long? FsGroup, bool Privileged, bool? AllowPrivilegeEscalation,
    ImmutableArray<string> AddCapabilities, bool AppArmorUnconfined)
{
    public bool RunAsNonRoot => RunAsUser != 0;
}

public sealed record ResourcesModel(ImmutableArray<KeyValue> Requests, ImmutableArray<KeyValue> Limits);

public sealed record PodModel(
    ImmutableArray<KeyValue> Labels, string Image, string PullPolicy, ImmutableArray<string> Command,
    ImmutableArray<string> Args, ImmutableArray<KeyValue> Env, ImmutableArray<MountModel> Mounts,
    ImmutableArray<VolumeModel> Volumes, SecurityModel Security, ResourcesModel Resources, string? NodeName,
    string ServiceAccountName)
{
    public string ContainerName { get; init; } = "runner";
    /// <summary>Ports the container listens on (the REST server's).</summary>
    public ImmutableArray<ContainerPortModel> Ports { get; init; } = [];
}

public sealed record ContainerPortModel(string Name, string Protocol, int Port);

/// <summary>What _pod-template.sbn prints: a pod, how it restarts, its grace period and hostname.</summary>
public sealed record PodTemplateModel(PodModel Pod, string RestartPolicy, int TerminationGracePeriodSeconds, string? Hostname);

public sealed record JobSpecModel(int ActiveDeadlineSeconds, int BackoffLimit, PodModel Pod)
{
    /// <summary>The contract's value (<see cref="ManifestGen.Contracts.JobConfig.TerminationGracePeriodSeconds"/>), which the runner's shutdown fits into.</summary>
    public int TerminationGracePeriodSeconds { get; init; } = ManifestGen.Contracts.ShutdownBudget.DefaultGracePeriodSeconds;
    /// <summary>A stable pod hostname per job, so restic can tell this job's own locks from a killed pod as stale.</summary>
    public string? Hostname { get; init; }
    public PodTemplateModel Template => new(Pod, "Never", TerminationGracePeriodSeconds, Hostname);
}

/// <summary>A Deployment of one replica, replaced (not rolled) so two servers never share the volume.</summary>
public sealed record DeploymentModel(ObjectMeta Meta, ImmutableArray<KeyValue> Selector, PodTemplateModel Template);

/// <summary>A ClusterIP Service in front of the pods <see cref="Selector"/> selects.</summary>
public sealed record ServiceModel(ObjectMeta Meta, ImmutableArray<KeyValue> Selector, ImmutableArray<ContainerPortModel> Ports);

public sealed record JobModel(ObjectMeta Meta, JobSpecModel Job);

public sealed record CronJobModel(
    ObjectMeta Meta, string Schedule, string TimeZone, int StartingDeadlineSeconds,
    int SuccessfulJobsHistoryLimit, int FailedJobsHistoryLimit, JobSpecModel Job);

public sealed record SecretData(string Name, string Type, ImmutableArray<KeyValue> Entries);

public sealed record SealedSecretModel(ObjectMeta Meta, string Type, ImmutableArray<KeyValue> EncryptedData);

public sealed record ExternalSecretModel(
    ObjectMeta Meta, string Type, string StoreName, string StoreKind, string RefreshInterval, ImmutableArray<KeyValue> RemoteRefs);

public sealed record ApplicationModel(
    ObjectMeta Meta, string Project, string RepoUrl, string TargetRevision, string Path, string DestinationNamespace,
    bool Automated, bool Prune, bool SelfHeal);

/// <summary>An alerting rule (<see cref="Alert"/>, <see cref="For"/>, annotations) or a recording rule (<see cref="Record"/>).</summary>
public sealed record AlertRuleModel(string? Alert, string Expr, string? For, ImmutableArray<KeyValue> Labels, ImmutableArray<KeyValue> Annotations)
{
    public string? Record { get; init; }
}

public sealed record AlertGroupModel(string Name, ImmutableArray<AlertRuleModel> Rules);

public sealed record PrometheusRuleModel(ObjectMeta Meta, ImmutableArray<AlertGroupModel> Groups);

/// <summary>A Secret the jobs reference, and the keys they read (listed for the operator, never rendered with data).</summary>
public sealed record RequiredSecret(string Name, string Type, ImmutableArray<string> Keys, string UsedBy, string Namespace);

/// <summary>One object to render: a template and its model.</summary>
public sealed record RenderUnit(string Template, object Model, string SourcePath);

public sealed record EnvironmentPlan(
    string Environment, string Namespace, string ManifestsPath, ImmutableArray<RenderUnit> Manifests,
    RenderUnit Application, ImmutableArray<RequiredSecret> Secrets, Inventory.SecretsMode SecretsMode)
{
    /// <summary>Files for the hosts (gate allow-lists, authorized_keys), relative to out/&lt;env&gt;/.</summary>
    public ImmutableArray<HostFile> HostFiles { get; init; } = [];
    /// <summary>Each app's backup pod, for the Jobs run on demand against that app (restore).</summary>
    public ImmutableArray<AppPod> Apps { get; init; } = [];
    /// <summary>
    /// Jobs for someone outside the cluster (an append-only copy's owner: its forget and prune), written to
    /// out/&lt;env&gt;/<see cref="RunbookFolder"/>/, never into the synced manifests.
    /// </summary>
    public ImmutableArray<RenderUnit> Runbooks { get; init; } = [];

    public const string RunbookFolder = "runbooks";
}

/// <summary>
/// An app's backup pod as the planner decided it: image, job configuration, Secrets, mounts and security
/// settings. A restore Job of the app runs in this pod with other arguments, so it never drifts from
/// what the backup uses.
/// </summary>
public sealed record AppPod(string Host, string App, string Namespace, ImmutableArray<string> Paths, PodModel Pod, int ActiveDeadlineSeconds)
{
    /// <summary>
    /// The Secret a restore onto the host mounts instead of the backup key: the restore key behind the host
    /// gate (<see cref="HostGatePlan.RestoreKeySecretName"/>), whose allow-list lets it write; null without
    /// the gate, where the backup key is not confined and serves both.
    /// </summary>
    public string? RestoreKeySecret { get; init; }
    /// <summary>Size of a restore Job's staging volume: the app's mirrorSize, the room its files take.</summary>
    public string StagingSize { get; init; } = "";
    /// <summary>StorageClass of the staging volume (the mirror's); null for the cluster's default class.</summary>
    public string? StagingStorageClassName { get; init; }
    /// <summary>The names of the app's dumps (hooks.dumps), which `restore --dump` may name.</summary>
    public ImmutableArray<string> Dumps { get; init; } = [];
    /// <summary>The repository's offsite copies, which `restore --from-copy` may name (the backup configuration lists them).</summary>
    public ImmutableArray<CopyAccess> Copies { get; init; } = [];
}

/// <summary>
/// What a pod needs to open an offsite copy: its Secrets' volumes and mounts, and the namespace they (and the
/// copy's NetworkPolicy, which selects pods labelled <see cref="CopyPlanner.CopyLabel"/>) are in.
/// </summary>
public sealed record CopyAccess(string Name, string Namespace, ImmutableArray<VolumeModel> Volumes, ImmutableArray<MountModel> Mounts);
