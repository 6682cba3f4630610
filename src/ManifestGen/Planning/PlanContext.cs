using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>
/// What every per-concern planner of one environment shares: the inventory, the namespaces (scopes) apps
/// run in, the repository's claim and the runner configuration's repository section, and the pieces every
/// runner pod has. Computed once so that each planner decides only its own objects, and two planners never
/// derive the same name or mount differently.
/// </summary>
internal sealed class PlanContext
{
    public PlanContext(LoadedInventory loaded, List<Diagnostic> diagnostics)
    {
        Loaded = loaded;
        Diagnostics = diagnostics;
        Image = ImageReference(Inv.Image);
        BaseLabels = Labels(("app.kubernetes.io/managed-by", ManagedBy), ("app.kubernetes.io/part-of", ManagedBy),
            ("manifestgen.io/environment", Env));
        Apps = [.. InventoryResolution.Apps(Inv)];
        // sshfs apps run in a namespace of their own (FUSE cannot run under Pod Security restricted; it must
        // not lower the level of every other pod).
        SshfsNamespace = Names.SshfsNamespace(Ns);
        Scopes = Apps.Any(a => a.Strategy == TransferStrategy.Sshfs) ? [Ns, SshfsNamespace] : [Ns];
        ClaimName = Names.RepositoryClaim(Repo.Name);
        RepositoryConfig = new RepositoryConfig
        {
            Location = PodPaths.RepositoryMount,
            PasswordFile = PodPaths.ResticPasswordDir + "/" + Repo.PasswordSecret.Key,
            CacheDir = PodPaths.CacheDir,
            RetryLockSeconds = Repo.RetryLockSeconds,
            StallTimeoutSeconds = Repo.StallTimeoutSeconds,
        };
        CacheVolume = new VolumeModel("restic-cache", VolumeKind.EmptyDir, SizeLimit: Repo.CacheSize);
    }

    public LoadedInventory Loaded { get; }
    public List<Diagnostic> Diagnostics { get; }
    public InventorySpec Inv => Loaded.Model;
    public string Env => Loaded.Environment;
    public string Ns => Inv.Namespace;
    public RepositorySpec Repo => Inv.Repository;
    public RepositoryServerSpec? Server => Repo.Server;
    public string Image { get; }
    public ImmutableArray<KeyValue> BaseLabels { get; }
    public ImmutableArray<ResolvedApp> Apps { get; }
    public string SshfsNamespace { get; }
    /// <summary>The environment's namespace, then the sshfs namespace when an app uses sshfs.</summary>
    public ImmutableArray<string> Scopes { get; }
    public string ClaimName { get; }
    public RepositoryConfig RepositoryConfig { get; }
    public VolumeModel CacheVolume { get; }
    public MountModel CacheMount => new("restic-cache", PodPaths.CacheDir, null, false);

    public string ScopeOf(ResolvedApp app) => app.Strategy == TransferStrategy.Sshfs ? SshfsNamespace : Ns;

    /// <summary>The repository a job that mounts the volume uses: with a REST server, the host's own folder.</summary>
    public string RepositoryLocation(string? host) =>
        Server is null || host is null ? PodPaths.RepositoryMount : PodPaths.RepositoryMount + "/" + Names.RestUser(host);

    private Dictionary<string, ScheduledJob>? _scheduled;

    /// <summary>
    /// The schedule a CronJob gets: the one list of scheduled jobs (<see cref="JobSchedules"/>) expanded H
    /// and placed the repository's own jobs apart; an H it cannot expand is reported here.
    /// </summary>
    public string ScheduleOf(string jobName)
    {
        _scheduled ??= JobSchedules.Of(Loaded).GroupBy(j => j.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var job = _scheduled[jobName];
        if (job.Expanded is not null)
            return job.Expanded;
        Diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.ScheduleNotExpandable, Loaded.SourceMap.SpanOf(job.SchedulePath), job.ExpandError!));
        return job.Schedule;
    }

    /// <summary>A job's configuration (the runner contract) as the ConfigMap its pod mounts.</summary>
    public RenderUnit ConfigUnit(string name, string configNamespace, ImmutableArray<KeyValue> labels, JobConfig config, string source) =>
        new("config-map.sbn", new ConfigMapModel(Meta(name, configNamespace, labels, Wave(0)),
            [new(PodPaths.JobConfigFileName, JobConfigJson.Serialize(config))]), source);

    /// <summary>A runner pod: the common volumes and mounts, as much of the repository as its job needs (<paramref name="repository"/>), then the job's own.</summary>
    public PodModel RunnerPod(ImmutableArray<KeyValue> labels, string command, string configMap, IEnumerable<VolumeModel> extraVolumes,
        IEnumerable<MountModel> extraMounts, SecurityModel security, ResourcesSpec resources, RepositoryAccess repository = RepositoryAccess.VolumeAndPassword) =>
        new(labels, Image, Inv.Image.PullPolicy, ["manifestgen-runner"], [command], RunnerEnv(),
            [.. CommonMounts(repository), .. extraMounts], [.. CommonVolumes(configMap, repository), .. extraVolumes], security,
            Resources(resources), Repo.Storage.Local?.Node, ServiceAccountName);

    /// <summary>The primary repository's volume and its password in a runner pod.</summary>
    public const string RepositoryVolume = "repository", PasswordVolume = "restic-password";

    private VolumeModel[] CommonVolumes(string configMap, RepositoryAccess repository) =>
    [
        new("job-config", VolumeKind.ConfigMap, configMap, [new(PodPaths.JobConfigFileName, PodPaths.JobConfigFileName)]),
        .. repository == RepositoryAccess.None ? Array.Empty<VolumeModel>()
            : [new(PasswordVolume, VolumeKind.Secret, Repo.PasswordSecret.Name, [new(Repo.PasswordSecret.Key, Repo.PasswordSecret.Key)], DefaultMode: PodSecurity.SecretMode)],
        .. repository == RepositoryAccess.VolumeAndPassword ? [new VolumeModel(RepositoryVolume, VolumeKind.Claim, ClaimName)] : Array.Empty<VolumeModel>(),
        new("tmp", VolumeKind.EmptyDir, SizeLimit: TmpSize),
    ];

    private static MountModel[] CommonMounts(RepositoryAccess repository) =>
    [
        new("job-config", PodPaths.JobConfigDir, null, true),
        .. repository == RepositoryAccess.None ? Array.Empty<MountModel>() : [new MountModel(PasswordVolume, PodPaths.ResticPasswordDir, null, true)],
        .. repository == RepositoryAccess.VolumeAndPassword ? [new MountModel(RepositoryVolume, PodPaths.RepositoryMount, null, false)] : Array.Empty<MountModel>(),
        new("tmp", PodPaths.TmpDir, null, false),
    ];

    private static ImmutableArray<KeyValue> RunnerEnv() => [new(PodPaths.JobConfigEnv, PodPaths.JobConfigFile), new("HOME", PodPaths.TmpDir)];
}

/// <summary>How much of the primary repository a runner pod mounts: only what its job uses.</summary>
internal enum RepositoryAccess
{
    /// <summary>The repository volume and its password (backups to a volume, maintenance, init, copies).</summary>
    VolumeAndPassword,
    /// <summary>The password only: a backup behind the REST server reaches the repository over HTTP.</summary>
    PasswordOnly,
    /// <summary>Neither: the job never opens the primary repository (coverage, a copy's check).</summary>
    None,
}
