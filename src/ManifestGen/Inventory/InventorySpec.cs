using System.Collections.Immutable;
using System.ComponentModel;
using ManifestGen.Contracts;

namespace ManifestGen.Inventory;

// The inventory as written in values/*.yaml, after layering (base file, then environment file).
// Property names map to camelCase YAML keys unless [YamlKey] says otherwise. Optional app fields are null
// when the app inherits them from `defaults`; InventoryResolution computes the effective values.

[Description("One environment's inventory: what to back up, where to, and how it is deployed.")]
public sealed record InventorySpec
{
    [Description("Kubernetes namespace of every namespaced object rendered for this environment.")]
    public required string Namespace { get; init; }
    [Description("Where Argo CD finds the rendered manifests, and how it syncs them.")]
    public required GitOpsSpec GitOps { get; init; }
    [Description("The runner image every job runs.")]
    public required ImageSpec Image { get; init; }
    [Description("The restic repository and the volume it lives on.")]
    public required RepositorySpec Repository { get; init; }
    [Description("forget --prune and check jobs.")]
    public MaintenanceSpec Maintenance { get; init; } = new();
    [Description("Values apps inherit unless they set their own.")]
    public AppDefaults Defaults { get; init; } = new();
    [Description("How the Secrets the jobs need come to exist in the cluster.")]
    public SecretsSpec Secrets { get; init; } = new();
    [Description("How backup jobs report: a healthchecks-style ping and/or a Prometheus pushgateway.")]
    public ReportingSpec Reporting { get; init; } = new();
    [Description("Where the pods may connect besides each host's SSH port: cluster DNS, the pushgateway and the ping endpoint. The NetworkPolicy denies everything else.")]
    public NetworkPolicySpec NetworkPolicy { get; init; } = new();
    [Description("What is rendered besides the plain manifests directory.")]
    public OutputSpec Output { get; init; } = new();
    [Description("Extra placeholder markers (besides the built-in ones) that must not appear in any value.")]
    public ImmutableArray<string> Placeholders { get; init; } = [];
    [Description("Restrict every host's keys to the ManifestGen gate (host/manifestgen-gate): the generator renders each host's authorized_keys lines and allow-lists under out/<environment>/hosts/.")]
    public HostGateSpec? HostGate { get; init; }
    [Description("SSH hosts and the Docker Compose apps on them.")]
    public required ImmutableArray<HostSpec> Hosts { get; init; }
}

public sealed record HostGateSpec
{
    [Description("The cluster's egress address ranges (CIDR), as the hosts see the jobs' connections: the keys' `from=`.")]
    public required ImmutableArray<string> SourceRanges { get; init; }
    [Description("Where the gate program is installed on each host.")]
    public string Program { get; init; } = "/usr/local/libexec/manifestgen-gate";
    [Description("Folder on each host holding the rendered allow-lists (backup.allow, restore.allow).")]
    public string ConfigDirectory { get; init; } = "/etc/manifestgen-gate";
    [Description("File on each host the gate appends refusals and permitted requests to, besides syslog.")]
    public string? LogFile { get; init; }
    [Description("The host's sftp-server, run read-only for sshfs apps (in the sandbox of the host's sshfs apps).")]
    public string SftpServer { get; init; } = "/usr/lib/openssh/sftp-server";
    [Description("The sandbox the gate runs every file access in (bubblewrap): the host setup's setuid copy, which keeps the files' real owners; /usr/bin/bwrap runs unprivileged (user namespaces), where files of other owners are read as owned by nobody.")]
    public string SandboxProgram { get; init; } = "/usr/local/libexec/manifestgen-sandbox";
    [Description("Folder on each host where root opens restore windows (manifestgen-gate open-restore APP 2h); a tmpfs such as /run closes every window at reboot.")]
    public string RestoreWindowDirectory { get; init; } = "/run/manifestgen-gate";
}

public sealed record OutputSpec
{
    [Description("A Helm chart of the same objects in out/<environment>/chart, for helm install/upgrade and Argo CD's Helm source.")]
    public HelmChartSpec HelmChart { get; init; } = new();
}

public sealed record HelmChartSpec
{
    [Description("Render the chart beside the manifests directory.")]
    public bool Enabled { get; init; }
    [Description("Chart name (lower-case letters, digits and '-'); default manifestgen-<environment>.")]
    public string? Name { get; init; }
    [Description("Chart version (SemVer 2, e.g. 1.0.0).")]
    public string Version { get; init; } = "0.1.0";
}

public sealed record GitOpsSpec
{
    [YamlKey("repoURL"), Description("Git repository Argo CD reads, e.g. https://git.example.com/ops/backups.git.")]
    public required string RepoUrl { get; init; }
    [Description("Branch, tag or commit Argo CD syncs.")]
    public string TargetRevision { get; init; } = "HEAD";
    [Description("Directory of the synced manifests in that repository; default out/<environment>/manifests.")]
    public string? Path { get; init; }
    public ArgoCdSpec ArgoCd { get; init; } = new();
}

public sealed record ArgoCdSpec
{
    [Description("Argo CD project of the Application.")]
    public string Project { get; init; } = "default";
    [Description("Namespace Argo CD runs in (where the Application object lives).")]
    public string Namespace { get; init; } = "argocd";
    [Description("Name of the Application; default manifestgen-<environment>.")]
    public string? ApplicationName { get; init; }
    [Description("Automated sync; leave out for manual sync.")]
    public AutomatedSyncSpec? Automated { get; init; }
}

public sealed record AutomatedSyncSpec
{
    [Description("Delete objects that are no longer rendered.")]
    public bool Prune { get; init; }
    [Description("Revert changes made in the cluster.")]
    public bool SelfHeal { get; init; }
}

public sealed record ImageSpec
{
    [Description("Image repository, e.g. registry.example.com/manifestgen-runner.")]
    public required string Repository { get; init; }
    [Description("Image tag; avoid latest.")]
    public string? Tag { get; init; }
    [Description("Image digest (sha256:…); when set the image is pinned by digest.")]
    public string? Digest { get; init; }
    [Description("Always, IfNotPresent or Never.")]
    public string PullPolicy { get; init; } = "IfNotPresent";
}

public sealed record RepositorySpec
{
    [Description("Name of the repository; used in the PersistentVolume and claim names.")]
    public string Name { get; init; } = "restic";
    [Description("Secret holding the repository password.")]
    public required SecretKeyRefSpec PasswordSecret { get; init; }
    [Description("Where the repository is stored: exactly one of nfs or local.")]
    public required StorageSpec Storage { get; init; }
    [Description("Capacity of the PersistentVolume (and the claim's request), e.g. 2Ti.")]
    public required string Capacity { get; init; }
    [Description("StorageClass written explicitly on both the PersistentVolume and its claim.")]
    public required string StorageClassName { get; init; }
    [Description("Access modes of the PersistentVolume and claim.")]
    public ImmutableArray<string> AccessModes { get; init; } = ["ReadWriteMany"];
    [Description("Size of the emptyDir holding the restic cache.")]
    public string CacheSize { get; init; } = "2Gi";
    [Description("The longest (seconds) a run waits for a lock another run holds, removing locks that go stale meanwhile; then exit 11. Shorter than the job's activeDeadlineSeconds.")]
    public int RetryLockSeconds { get; init; } = 300;
    [Description("The longest (seconds) a repository request may go unanswered (restic's --stuck-request-timeout); then the run fails naming this bound instead of restic retrying a repository that stopped answering for up to 15 minutes a request.")]
    public int StallTimeoutSeconds { get; init; } = 300;
    [Description("Append-only mode: restic's REST server serves the repository volume with --append-only --private-repos. Backup pods reach it with a credential of their host's own (they can add snapshots, not delete them, and see no other host's repository); only the maintenance jobs mount the volume and can forget and prune. Unset: every job mounts the volume and can delete every snapshot.")]
    public RepositoryServerSpec? Server { get; init; }
    [Description("Offsite copies: other restic repositories, away from the NAS, that a copy job adds the primary's new snapshots to (restic copy) after the night's backups. Each has its own password and credential, never the primary's.")]
    public ImmutableArray<RepositoryCopySpec> Copies { get; init; } = [];
}

/// <summary>
/// An offsite copy of the primary repository (3-2-1): restic's REST server in append-only mode (the
/// recommended form: the cluster's credential can add snapshots, never remove one) or S3-compatible
/// object storage. The copy job reads the primary from its volume and writes only to the copy.
/// </summary>
public sealed record RepositoryCopySpec
{
    [Description("Name of the copy (lower-case DNS label): part of its jobs' names and the `--from-copy` of a restore.")]
    public required string Name { get; init; }
    [Description("Where the copy lives: exactly one of rest and s3.")]
    public required CopyLocationSpec Location { get; init; }
    [Description("The copy's own Secrets: its repository password and its access credential (never the primary's).")]
    public required CopyCredentialsSpec Credentials { get; init; }
    [Description("IP ranges (CIDR) the location's host resolves to: the NetworkPolicy lets only the copy pods reach them, on the location's port. Default: the host itself when it is an IP.")]
    public ImmutableArray<string> EgressCidrs { get; init; } = [];
    [Description("Cron schedule of the copy job (H allowed in minute and hour). Of the values H may take at which the copy meets no backup, drill or maintenance job of the repository it reads, the planner gives it the one whose runs start soonest after the backups before them end: after the night's backups.")]
    public string Schedule { get; init; } = "H H * * *";
    [Description("IANA time zone of the schedule; default defaults.timeZone.")]
    public string? TimeZone { get; init; }
    public int ActiveDeadlineSeconds { get; init; } = 6 * 3600;
    [Description("How long the copy keeps snapshots; it must keep at least what each app's policy keeps on the primary (default: per bucket the most any app keeps). For an append-only copy the copy's owner runs forget and prune with a credential that may delete: the runbook Job rendered into out/<environment>/runbooks/. The cluster never deletes from a copy.")]
    public RetentionSpec? Retention { get; init; }
    [Description("The copy's check job: restic check --read-data-subset n/N, n advancing with each run, so every pack of the copy is read once every N runs.")]
    public CopyCheckSpec Check { get; init; } = new();
    public ResourcesSpec? Resources { get; init; }
}

[ExactlyOneOf]
public sealed record CopyLocationSpec
{
    [Description("restic's REST server (rest-server) at another site.")]
    public RestCopyLocationSpec? Rest { get; init; }
    [Description("S3-compatible object storage.")]
    public S3CopyLocationSpec? S3 { get; init; }
}

public sealed record RestCopyLocationSpec
{
    [Description("http(s) URL of the repository on the server, ending in `/`, without credentials, e.g. https://offsite.example.net:8000/cluster-a/. With a server run with --private-repos, the first path segment is the user.")]
    public required string Url { get; init; }
    [Description("The server runs with --append-only for this credential: the cluster can add snapshots but never remove one. The copy job verifies it before each copy (a deletion must be refused) and fails when the server would delete.")]
    public bool AppendOnly { get; init; } = true;
}

public sealed record S3CopyLocationSpec
{
    [Description("http(s) URL of the S3 endpoint, e.g. https://s3.example.net.")]
    public required string Endpoint { get; init; }
    [Description("Bucket name.")]
    public required string Bucket { get; init; }
    [Description("Folder of the repository in the bucket (no leading `/`).")]
    public string Prefix { get; init; } = "";
}

public sealed record CopyCredentialsSpec
{
    [Description("Secret holding the copy's repository password (another password than the primary's).")]
    public required SecretKeyRefSpec PasswordSecret { get; init; }
    [Description("Secret holding the access credential: keys `username` and `password` for a REST server, `access-key-id` and `secret-access-key` for S3.")]
    public required SecretRefSpec AccessSecret { get; init; }
}

public sealed record CopyCheckSpec
{
    public bool Enabled { get; init; } = true;
    [Description("Cron schedule (H allowed in minute and hour), placed like the copy.")]
    public string Schedule { get; init; } = "H H * * 5";
    public string? TimeZone { get; init; }
    [Description("N of --read-data-subset n/N: each run reads one N-th of the copy's packs, the next run the next one.")]
    public int Subsets { get; init; } = 12;
    public int ActiveDeadlineSeconds { get; init; } = 6 * 3600;
}

public sealed record RepositoryServerSpec
{
    [Description("Secret (created by the operator) whose key `htpasswd` holds one line per host: `<host name>:<bcrypt hash>` (htpasswd -B). The server reads it; no backup pod mounts it.")]
    public required SecretRefSpec HtpasswdSecret { get; init; }
    [Description("TCP port the server listens on and its Service exposes.")]
    public int Port { get; init; } = 8000;
    [Description("Resources of the server's container.")]
    public ResourcesSpec Resources { get; init; } = new()
    {
        Requests = new() { Cpu = "50m", Memory = "64Mi" },
        Limits = new() { Memory = "512Mi" },
    };
}

public sealed record ReportingSpec
{
    [Description("Secret holding the ping URLs (healthchecks-style: /start, success, /fail); a URL embeds a token, so it is never in the inventory. One URL for every backup and drill (`key`), or one per job (`perJob: true`).")]
    public PingUrlSecretSpec? PingUrlSecret { get; init; }
    [Description("Prometheus pushgateway URL (no credentials in it).")]
    public string? PushgatewayUrl { get; init; }
    [Description("Alert rules (PrometheusRule) and a Grafana dashboard over the metrics the jobs push.")]
    public AlertsSpec Alerts { get; init; } = new();
}

public sealed record AlertsSpec
{
    [Description("Render a PrometheusRule (Prometheus Operator) with per-app alerts and a Grafana dashboard ConfigMap.")]
    public bool Enabled { get; init; }
    [Description("Labels of the PrometheusRule, for the operator's ruleSelector (e.g. release: kube-prometheus-stack).")]
    public ImmutableSortedDictionary<string, string> RuleLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    [Description("Render the Grafana dashboard ConfigMap (label grafana_dashboard: \"1\" for Grafana's sidecar).")]
    public bool Dashboard { get; init; } = true;
}

public sealed record NetworkPolicySpec
{
    [Description("The cluster DNS (default: pods labelled k8s-app=kube-dns in kube-system, port 53, UDP and TCP).")]
    public EgressPeerSpec Dns { get; init; } = new()
    {
        Namespace = "kube-system",
        PodLabels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("k8s-app", "kube-dns")]),
        Port = 53,
    };
    [Description("Where reporting.pushgatewayUrl leads (required with it): in-cluster pods by namespace and labels, or IP ranges.")]
    public EgressPeerSpec? Pushgateway { get; init; }
    [Description("Where the ping URL of reporting.pingUrlSecret leads (required with it): IP ranges of the healthchecks service, usually port 443.")]
    public EgressPeerSpec? Ping { get; init; }
}

public sealed record EgressPeerSpec
{
    [Description("IP ranges (CIDR, e.g. 203.0.113.10/32) the pods may reach.")]
    public ImmutableArray<string> Cidrs { get; init; } = [];
    [Description("Namespace of in-cluster pods the pods may reach (with podLabels).")]
    public string? Namespace { get; init; }
    [Description("Labels of those pods; empty: every pod of the namespace.")]
    public ImmutableSortedDictionary<string, string> PodLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    [Description("TCP port (DNS: UDP and TCP).")]
    public int? Port { get; init; }
}

public sealed record PingUrlSecretSpec
{
    /// <summary>The key of the one shared URL when neither <see cref="Key"/> nor <see cref="PerJob"/> is given.</summary>
    public const string DefaultKey = "password";

    [Description("Name of the Secret.")]
    public required string Name { get; init; }
    [Description("Key holding the one URL every backup and restore drill pings (default `password`). Not with `perJob`.")]
    public string? Key { get; init; }
    [Description("One URL per job: the Secret holds a key per job, named like the job (`backup-<host>-<app>`, `drill-<host>-<app>`, the forget, prune and check jobs; SECRETS.md lists them), and each job's pod mounts only its own key. A missing key leaves that job without pings (the runner says so), never without its run.")]
    public bool PerJob { get; init; }

    /// <summary>The key of the shared URL (meaningless with <see cref="PerJob"/>).</summary>
    public string SharedKey => Key ?? DefaultKey;
}

public sealed record SecretKeyRefSpec
{
    [Description("Name of the Secret.")]
    public required string Name { get; init; }
    [Description("Key inside the Secret.")]
    public string Key { get; init; } = "password";
}

[ExactlyOneOf]
public sealed record StorageSpec
{
    [Description("An NFS export on a NAS.")]
    public NfsStorageSpec? Nfs { get; init; }
    [Description("A local directory on one node (test clusters).")]
    public LocalStorageSpec? Local { get; init; }
}

public sealed record NfsStorageSpec
{
    [Description("NFS server name or address.")]
    public required string Server { get; init; }
    [Description("Exported directory that exists on the server; the repository directory is created below it.")]
    public required string ExportRoot { get; init; }
    [Description("Absolute path of the repository directory on the server, under exportRoot.")]
    public required string Path { get; init; }
    [Description("NFS mount options, e.g. nfsvers=4.1, hard.")]
    public ImmutableArray<string> MountOptions { get; init; } = [];
}

public sealed record LocalStorageSpec
{
    [Description("Absolute directory on the node.")]
    public required string Path { get; init; }
    [Description("Node name (kubernetes.io/hostname) the directory lives on.")]
    public required string Node { get; init; }
}

public sealed record MaintenanceSpec
{
    public ForgetSpec Forget { get; init; } = new();
    public CheckSpec Check { get; init; } = new();
    public DrillSpec Drill { get; init; } = new();
}

/// <summary>
/// The restore drill: per app, restore a random sample of the latest snapshot and compare it with the
/// host's unchanged files. Opt-in: it reads the sampled files on every host and packs from the NAS at a
/// time the operator places, and `check --read-data-subset` already reads part of the data by default.
/// </summary>
public sealed record DrillSpec
{
    [Description("Render a drill CronJob per app (drill-<host>-<app>).")]
    public bool Enabled { get; init; }
    [Description("Cron schedule (H allowed in minute and hour); H is hashed per app.")]
    public string Schedule { get; init; } = "H H(6-11) * * 6";
    [Description("IANA time zone of the schedule; default defaults.timeZone.")]
    public string? TimeZone { get; init; }
    [Description("Files restored and compared per run.")]
    public int SampleFiles { get; init; } = 20;
    public int ActiveDeadlineSeconds { get; init; } = 3600;
}

public sealed record ForgetSpec
{
    [Description("Cron schedule (H allowed in minute and hour). The planner gives H the first value, from the hashed one on, at which the job's runs meet no backup, drill or other forget, prune or check job of the same repository.")]
    public string Schedule { get; init; } = "H H * * 0";
    [Description("IANA time zone of the schedule; default defaults.timeZone.")]
    public string? TimeZone { get; init; }
    [Description("Run prune after forget.")]
    public bool Prune { get; init; } = true;
    public int ActiveDeadlineSeconds { get; init; } = 6 * 3600;
    public ResourcesSpec? Resources { get; init; }
}

public sealed record CheckSpec
{
    public bool Enabled { get; init; } = true;
    [Description("Cron schedule (H allowed in minute and hour), placed like maintenance.forget.schedule. Midweek by default: forget, prune and check on one day would need 18 of its hours besides the backups.")]
    public string Schedule { get; init; } = "H H * * 3";
    public string? TimeZone { get; init; }
    [Description("restic check --read-data-subset, e.g. 5% or 1/7; unset reads no pack data.")]
    public string? ReadDataSubset { get; init; }
    public int ActiveDeadlineSeconds { get; init; } = 6 * 3600;
    public ResourcesSpec? Resources { get; init; }
}

public sealed record RetentionSpec
{
    public int? Last { get; init; }
    public int? Hourly { get; init; }
    public int? Daily { get; init; }
    public int? Weekly { get; init; }
    public int? Monthly { get; init; }
    public int? Yearly { get; init; }
    [Description("restic duration such as 14d or 1y2m.")]
    public string? Within { get; init; }
    [Description("Keep snapshots carrying any of these tags.")]
    public ImmutableArray<string> Tags { get; init; } = [];
}

public sealed record ResourcesSpec
{
    public ResourceAmountsSpec? Requests { get; init; }
    public ResourceAmountsSpec? Limits { get; init; }
}

public sealed record ResourceAmountsSpec
{
    public string? Cpu { get; init; }
    public string? Memory { get; init; }
    public string? EphemeralStorage { get; init; }
}

[Description("Values every app inherits unless it sets its own.")]
public sealed record AppDefaults
{
    public string Schedule { get; init; } = "H H * * *";
    public string TimeZone { get; init; } = "Etc/UTC";
    public TransferStrategy Strategy { get; init; } = TransferStrategy.Rsync;
    public RetentionSpec Retention { get; init; } = new() { Daily = 7, Weekly = 4, Monthly = 6 };
    public ResourcesSpec Resources { get; init; } = new()
    {
        Requests = new() { Cpu = "100m", Memory = "256Mi" },
        Limits = new() { Memory = "1Gi" },
    };
    [Description("Job deadline; must be shorter than the schedule's interval.")]
    public int ActiveDeadlineSeconds { get; init; } = 3 * 3600;
    public int StartingDeadlineSeconds { get; init; } = 600;
    public int BackoffLimit { get; init; } = 1;
    public int SuccessfulJobsHistoryLimit { get; init; } = 3;
    public int FailedJobsHistoryLimit { get; init; } = 3;
    [Description("Size of the rsync mirror claim of each app.")]
    public string MirrorSize { get; init; } = "20Gi";
    [Description("StorageClass of the mirror claims (dynamic provisioning); unset uses the cluster default.")]
    public string? MirrorStorageClassName { get; init; }
}

public enum SecretsMode { Reference, Sealed, External }

public sealed record SecretsSpec
{
    [Description("reference (Secrets exist in the cluster; nothing rendered), sealed (SealedSecret) or external (ExternalSecret).")]
    public SecretsMode Mode { get; init; } = SecretsMode.Reference;
    public SealedSecretsSpec? Sealed { get; init; }
    public ExternalSecretsSpec? External { get; init; }
}

public sealed record SealedSecretsSpec
{
    [Description("Secret name → key → value encrypted with kubeseal (never a plain value).")]
    public ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> EncryptedData { get; init; } =
        ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty;
}

public sealed record ExternalSecretsSpec
{
    [Description("Name of the SecretStore or ClusterSecretStore.")]
    public required string StoreName { get; init; }
    public string StoreKind { get; init; } = "ClusterSecretStore";
    public string RefreshInterval { get; init; } = "1h";
    [Description("Secret name → key → remote key in the store.")]
    public ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> RemoteRefs { get; init; } =
        ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty;
}

public sealed record HostSpec
{
    [Description("Stable host name: restic --host and part of object names.")]
    public required string Name { get; init; }
    [Description("DNS name or IP address the jobs connect to.")]
    public required string Address { get; init; }
    public int Port { get; init; } = 22;
    [Description("IP ranges (CIDR) the address resolves to, for the NetworkPolicy (which names addresses, not names); default: the address itself when it is an IP.")]
    public ImmutableArray<string> EgressCidrs { get; init; } = [];
    public required string User { get; init; }
    [Description("Pinned SSH host public keys (\"ssh-ed25519 AAAA…\"); written into the known_hosts ConfigMap.")]
    public ImmutableArray<string> HostKeys { get; init; } = [];
    [Description("kubernetes.io/ssh-auth Secret holding the private key (key ssh-privatekey).")]
    public required SecretRefSpec SshKeySecret { get; init; }
    [Description("Public half of the backup key (public material); with hostGate, the rendered authorized_keys carries it.")]
    public string? BackupPublicKey { get; init; }
    [Description("With hostGate: the Secret holding the restore key (write access, used only by restore Jobs); default <sshKeySecret>-restore.")]
    public SecretRefSpec? RestoreKeySecret { get; init; }
    [Description("Public half of the restore key; with hostGate, the rendered authorized_keys carries it.")]
    public string? RestorePublicKey { get; init; }
    [Description("With hostGate: false lets this host's gate run without its sandbox (a host that cannot run bubblewrap); links, races and rsync filter rules are then not confined to the app's paths.")]
    public bool GateSandbox { get; init; } = true;
    [Description("Bandwidth limit of this host's backups in KiB/s: rsync --bwlimit (what the host sends), restic --limit-upload/--limit-download for a REST repository. An app's own bandwidthLimitKiBps wins. sshfs, tar streams and dumps are not limited. Unset: no limit.")]
    public int? BandwidthLimitKiBps { get; init; }
    [Description("Seconds each of the runner's own requests to this host may take (the allow-list version, the path check, the file-state listings around each rsync pass, the sshfs mount, the restore drill's comparison, the coverage discovery); when it fires, the run fails naming it. Hooks, compose calls and transfers have their own bounds. Default 600.")]
    public int? RequestTimeoutSeconds { get; init; }
    [Description("With hostGate: a daily coverage job compares what the host runs (its compose projects, their mounts and databases) with this host's apps and reports what no app backs up; the backup allow-list then lists the read-only discovery.")]
    public bool Coverage { get; init; }
    public required ImmutableArray<AppSpec> Apps { get; init; }
}

public sealed record SecretRefSpec
{
    public required string Name { get; init; }
}

public sealed record AppSpec
{
    [Description("App name: restic tag app=<name> and part of object names.")]
    public required string Name { get; init; }
    [Description("Absolute paths on the host.")]
    public required ImmutableArray<string> Paths { get; init; }
    public ImmutableArray<string> Excludes { get; init; } = [];
    [Description("Cron schedule (H allowed in minute and hour); default defaults.schedule.")]
    public string? Schedule { get; init; }
    public string? TimeZone { get; init; }
    public TransferStrategy? Strategy { get; init; }
    public HooksSpec Hooks { get; init; } = new();
    public RetentionSpec? Retention { get; init; }
    public ResourcesSpec? Resources { get; init; }
    [Description("sshfs only: run the pod privileged (FUSE needs it). Never implied.")]
    public bool Privileged { get; init; }
    public int? ActiveDeadlineSeconds { get; init; }
    public string? MirrorSize { get; init; }
    [Description("Extra restic tags besides app=<name>.")]
    public ImmutableArray<string> Tags { get; init; } = [];
    [Description("restic exit 3 (some files unreadable) fails the job (default); false makes it a warning. The summary names the files either way.")]
    public bool PartialIsFailure { get; init; } = true;
    [Description("Seconds without a byte from the host (a frozen rsync sender, file listing or tar stream) before the transfer fails instead of holding the services stopped; also rsync's own --timeout.")]
    public int TransferTimeoutSeconds { get; init; } = 300;
    [Description("This app's bandwidth limit in KiB/s, instead of its host's bandwidthLimitKiBps.")]
    public int? BandwidthLimitKiBps { get; init; }
    [Description("rsync: extra passes that re-copy files changed while they were copied; a file still changing after them fails the job (or warns, see changedFileIsFailure).")]
    public int ChangedFileRecopies { get; init; } = 3;
    [Description("A file still changing after changedFileRecopies passes fails the job (default) or is a warning.")]
    public bool ChangedFileIsFailure { get; init; } = true;
    [Description("rsync: every this many days the pull compares every file by checksum, so damage in the mirror cannot live on (0: every run).")]
    public int ChecksumIntervalDays { get; init; } = 7;
    [Description("With hostGate: a restore of this app may hold device files (otherwise the gate refuses the restore, naming them).")]
    public bool RestoreDeviceFiles { get; init; }
}

public sealed record HooksSpec
{
    [Description("Commands run on the host before the transfer (e.g. a database dump).")]
    public ImmutableArray<HookSpec> Before { get; init; } = [];
    [Description("Commands run on the host after the backup, also after failures.")]
    public ImmutableArray<HookSpec> After { get; init; } = [];
    [Description("Compose services stopped during the transfer and started again afterwards.")]
    public ImmutableArray<string> StopServices { get; init; } = [];
    [Description("Directory of the compose file on the host; default the app's first path.")]
    public string? ComposeDirectory { get; init; }
    [Description("Dead man's switch: minutes after the runner's last renewal (a heartbeat while the run goes on) that the host starts stopped services on its own (1 to 60).")]
    public int SwitchDelayMinutes { get; init; } = 5;
    [Description("Never stop stopServices (for sshfs and tar apps, whose stop lasts the whole copy): the snapshot then holds files being written. Warned.")]
    public bool KeepServicesRunning { get; init; }
    [Description("Seconds each compose call (list, stop, start) and each request of the dead man's switch may take on the host; a hung `docker compose stop` fails the run after it.")]
    public int ComposeTimeoutSeconds { get; init; } = RemoteCommands.ComposeTimeoutSeconds;
    [Description("Dumps streamed straight into restic as their own snapshot.")]
    public ImmutableArray<DumpSpec> Dumps { get; init; } = [];
}

[ScalarShorthand(nameof(Run))]
public sealed record HookSpec
{
    public required string Run { get; init; }
    public int TimeoutSeconds { get; init; } = 600;
    [Description("Files the command writes (absolute); besides these, the targets of `>`/`>>` and sqlite3's `.backup` are found in the command. With hostGate, the gate checks each for links (replacing anything but a plain file by a fresh one) just before the command runs.")]
    public ImmutableArray<string> Writes { get; init; } = [];
}

public sealed record DumpSpec
{
    public required string Name { get; init; }
    public required string Command { get; init; }
    public required string FileName { get; init; }
    public int TimeoutSeconds { get; init; } = 3600;
}
