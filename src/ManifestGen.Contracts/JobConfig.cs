using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ManifestGen.Contracts;

/// <summary>
/// The one contract between the generator and the runner: the generator writes it (as JSON) into a
/// ConfigMap that each CronJob mounts at <see cref="PodPaths.JobConfigFile"/>; the runner reads it.
/// Versioned: the runner refuses a version it does not know instead of guessing.
/// It never contains a credential, only paths of files that Secrets are mounted at.
/// </summary>
/// <remarks>
/// Every field with a default is <see cref="JsonRequiredAttribute"/>: the source-generated reader gives a
/// left-out init-only field zero, false or null rather than its default (a left-out partialIsFailure
/// would report partial backups as successes), so leaving one out is an error that names it. The
/// generator writes every field.
/// </remarks>
public sealed record JobConfig
{
    public const int CurrentVersion = 1;

    public required int Version { get; init; }
    /// <summary>What this job does; the runner's command must match it.</summary>
    public required JobKind Kind { get; init; }
    public required string Environment { get; init; }
    public required RepositoryConfig Repository { get; init; }
    /// <summary>The SSH host this job reaches (backup jobs).</summary>
    public HostConfig? Host { get; init; }
    /// <summary>The application this job backs up (backup jobs).</summary>
    public AppConfig? App { get; init; }
    /// <summary>Retention groups and check settings (maintenance jobs).</summary>
    public MaintenanceConfig? Maintenance { get; init; }
    /// <summary>The host's apps the discovery is compared with (coverage jobs).</summary>
    public CoverageConfig? Coverage { get; init; }
    /// <summary>
    /// The offsite copies of the primary repository: the one a copy job writes (Kind copy, exactly one),
    /// or those a restore may read with --from-copy NAME.
    /// </summary>
    /// Null (not written) for the jobs of an inventory without copies.
    public ImmutableArray<CopyConfig>? Copies { get; init; }
    [JsonRequired]
    public ReportingConfig Reporting { get; init; } = new();
    /// <summary>
    /// Seconds between SIGTERM and SIGKILL: the generator renders it as the pod's
    /// terminationGracePeriodSeconds and the runner fits its shutdown steps into it
    /// (<see cref="ShutdownBudget"/>), so both sides read the same value.
    /// </summary>
    [JsonRequired]
    public int TerminationGracePeriodSeconds { get; init; } = ShutdownBudget.DefaultGracePeriodSeconds;
    /// <summary>
    /// The Job's activeDeadlineSeconds (what the generator renders). The runner stops itself when it runs
    /// out and arms the host's dead man's switch to fire only after it (plus the grace period), when the
    /// pod is gone for certain. Null: no deadline (the switch then uses a fixed six hours).
    /// </summary>
    public int? ActiveDeadlineSeconds { get; init; }

    /// <summary>The deadline the switch assumes for a job without one.</summary>
    public const int NoDeadlineSwitchSeconds = 6 * 3600;

    /// <summary>
    /// The longest a pod of this job can live (its deadline plus the grace period): the dead man's switch
    /// fires no later, and the host gate's allow-list bounds the switch's delay by it.
    /// </summary>
    public static int PodLifetimeBoundSeconds(JobConfig config) =>
        (config.ActiveDeadlineSeconds ?? NoDeadlineSwitchSeconds) + ShutdownBudget.For(config.TerminationGracePeriodSeconds).GracePeriodSeconds;
}

/// <summary>
/// How the runner spends the grace period after SIGTERM. Every step is a share of the one rendered value,
/// so the steps always fit: restic's SIGINT clean-up, then starting the stopped services, the after
/// hooks and the other clean-up, then the pings and metrics, and a margin for the process to exit.
/// </summary>
public sealed record ShutdownBudget
{
    public const int DefaultGracePeriodSeconds = 120;
    /// <summary>Below this the shares are too small to start a service over SSH.</summary>
    public const int MinimumGracePeriodSeconds = 20;

    public required int GracePeriodSeconds { get; init; }
    /// <summary>restic gets SIGINT and this long to remove its lock before it is killed.</summary>
    public required int ResticInterruptSeconds { get; init; }
    /// <summary>Shared by all clean-up after an interrupt: compose start, dead man's switch, after hooks, unmount.</summary>
    public required int CleanupSeconds { get; init; }
    /// <summary>Pings and the pushgateway.</summary>
    public required int ReportSeconds { get; init; }
    /// <summary>What is left for the runtime to flush and exit.</summary>
    public int MarginSeconds => GracePeriodSeconds - ResticInterruptSeconds - CleanupSeconds - ReportSeconds;

    public static ShutdownBudget For(int gracePeriodSeconds)
    {
        var g = Math.Max(gracePeriodSeconds, MinimumGracePeriodSeconds);
        // 120 s: 30 s restic, 60 s clean-up, 15 s reporting, 15 s margin.
        return new ShutdownBudget
        {
            GracePeriodSeconds = g,
            ResticInterruptSeconds = g / 4,
            CleanupSeconds = g / 2,
            ReportSeconds = g / 8,
        };
    }
}

public enum JobKind { Backup, Maintain, Check, Init, Coverage, Copy }

public enum TransferStrategy { Rsync, Sshfs, Tar }

public sealed record RepositoryConfig
{
    /// <summary>restic repository location inside the pod, e.g. "/repository" (the claim's mount path).</summary>
    public required string Location { get; init; }
    /// <summary>File holding the repository password (a mounted Secret key); passed as RESTIC_PASSWORD_FILE.</summary>
    public required string PasswordFile { get; init; }
    /// <summary>restic cache directory on a volume, so metadata is not re-read by every new pod.</summary>
    public required string CacheDir { get; init; }
    /// <summary>
    /// REST server user (a rest: location): each host's backups use their own user, which an
    /// append-only server with --private-repos lets add snapshots to /USER/ and nothing else.
    /// </summary>
    public string? RestUsername { get; init; }
    /// <summary>File holding that user's password (a mounted Secret key); restic gets it as RESTIC_REST_PASSWORD.</summary>
    public string? RestPasswordFile { get; init; }
    /// <summary>Bounded wait for a lock held by another job (restic --retry-lock).</summary>
    [JsonRequired]
    public int RetryLockSeconds { get; init; } = 300;
    /// <summary>
    /// Seconds a repository request may go unanswered (restic's --stuck-request-timeout) before the run
    /// fails, instead of restic retrying a repository that stopped answering for up to 15 minutes a request.
    /// </summary>
    [JsonRequired]
    public int StallTimeoutSeconds { get; init; } = 300;
}

/// <summary>
/// An offsite copy as its jobs reach it: a repository of its own (a rest: or s3: location, its own password
/// file) and its access credential as files, never in the location.
/// </summary>
public sealed record CopyConfig
{
    /// <summary>The copy's name (repository.copies[].name): what restore --from-copy names.</summary>
    public required string Name { get; init; }
    /// <summary>The copy's repository; RestUsername/RestPasswordFile are unset: the access files below carry them.</summary>
    public required RepositoryConfig Repository { get; init; }
    /// <summary>REST: files holding the user and password. S3: files holding the access key id and secret key.</summary>
    public string? UsernameFile { get; init; }
    public string? SecretFile { get; init; }
    /// <summary>The inventory says the REST server refuses deletions: the copy job verifies it before copying.</summary>
    public bool AppendOnly { get; init; }
    /// <summary>N of the check's --read-data-subset n/N (n advances with each run).</summary>
    public int CheckSubsets { get; init; } = 12;
}

public sealed record HostConfig
{
    /// <summary>Stable host name for restic --host: the inventory's host name, never the pod's.</summary>
    public required string Name { get; init; }
    public required string Address { get; init; }
    [JsonRequired]
    public int Port { get; init; } = 22;
    public required string User { get; init; }
    /// <summary>Private key file (mounted Secret, mode 0400).</summary>
    public required string IdentityFile { get; init; }
    /// <summary>Pinned known_hosts file (mounted ConfigMap); StrictHostKeyChecking=yes against it.</summary>
    public required string KnownHostsFile { get; init; }
    [JsonRequired]
    public int ConnectTimeoutSeconds { get; init; } = 15;
    [JsonRequired]
    public int ServerAliveIntervalSeconds { get; init; } = 15;
    /// <summary>
    /// Seconds each of the runner's own requests to the host may take: the allow-list version, the path
    /// check, the file-state listings around each rsync pass, the sshfs mount, the restore drill's
    /// comparison, the coverage discovery. Hooks, compose calls and the dead man's switch have the app's
    /// bounds, transfers a stall bound.
    /// </summary>
    [JsonRequired]
    public int RequestTimeoutSeconds { get; init; } = DefaultRequestTimeoutSeconds;

    /// <summary>The default of <see cref="RequestTimeoutSeconds"/>: the listing of a large app's files must fit.</summary>
    public const int DefaultRequestTimeoutSeconds = 600;
    /// <summary>
    /// The host runs the key through the ManifestGen gate (host/manifestgen-gate): rsync then runs
    /// without --secluded-args, so its paths are on the server command line where the gate checks them.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Gated { get; init; }
    /// <summary>Bandwidth limit of this host's backups in KiB/s (rsync --bwlimit, restic --limit-upload/--limit-download); an app's own limit wins. Null: none.</summary>
    public int? BandwidthLimitKiBps { get; init; }
    /// <summary>
    /// The gate's allow-lists this job was rendered with (gated hosts): the runner sends the version of the
    /// one its key uses before anything else, and names the file to install when the gate runs another.
    /// </summary>
    public GateAllowLists? AllowLists { get; init; }
}

/// <summary>The two allow-lists of a gated host, as rendered with the job.</summary>
public sealed record GateAllowLists
{
    /// <summary>The backup key's (backup and drill runs).</summary>
    public required AllowListVersion Backup { get; init; }
    /// <summary>The restore key's (a restore to the host).</summary>
    public required AllowListVersion Restore { get; init; }
}

/// <summary>One rendered allow-list: where the generator wrote it (out/ENV/hosts/HOST/…) and its version.</summary>
public sealed record AllowListVersion
{
    public required string File { get; init; }
    public required string Version { get; init; }
}

public sealed record AppConfig
{
    public required string Name { get; init; }
    /// <summary>Absolute paths on the host. Snapshots use the same absolute paths.</summary>
    public required ImmutableArray<string> Paths { get; init; }
    /// <summary>restic/rsync exclude patterns.</summary>
    [JsonRequired]
    public ImmutableArray<string> Excludes { get; init; } = [];
    public required TransferStrategy Strategy { get; init; }
    /// <summary>
    /// Where the host's paths appear locally: "/" in a pod (the mirror claim, or the sshfs mount, is
    /// mounted at the host's own absolute path, so restic's snapshot paths equal the host's).
    /// </summary>
    [JsonRequired]
    public string LocalRoot { get; init; } = "/";
    /// <summary>Extra tags besides app=NAME.</summary>
    [JsonRequired]
    public ImmutableArray<string> Tags { get; init; } = [];
    [JsonRequired]
    public HooksConfig Hooks { get; init; } = new();
    /// <summary>
    /// A restic exit code 3 (some files unreadable) fails the job (the default); false turns it into a
    /// warning. Either way the summary names the files.
    /// </summary>
    [JsonRequired]
    public bool PartialIsFailure { get; init; } = true;
    /// <summary>
    /// rsync --timeout: seconds without any data moving before rsync gives up, so a frozen peer cannot
    /// hold the services stopped until the job's deadline (SSH keep-alives do not see a stalled process).
    /// </summary>
    [JsonRequired]
    public int TransferTimeoutSeconds { get; init; } = 300;
    /// <summary>
    /// rsync: after the copy, up to this many more passes re-copy files whose size or mtime changed since
    /// they were read (a file rewritten during its own transfer is stored torn otherwise).
    /// </summary>
    [JsonRequired]
    public int ChangedFileRecopies { get; init; } = 3;
    /// <summary>A file still changing after <see cref="ChangedFileRecopies"/> passes fails the job (true) or is a warning.</summary>
    [JsonRequired]
    public bool ChangedFileIsFailure { get; init; } = true;
    /// <summary>
    /// rsync: every this many days the pull compares every file by checksum (--checksum), so a mirror file
    /// damaged with its size and mtime intact cannot live on in every later snapshot. 0: every run.
    /// </summary>
    [JsonRequired]
    public int ChecksumIntervalDays { get; init; } = 7;
    /// <summary>Compress on the wire (rsync --compress --compress-choice=zstd; ssh for tar/sshfs).</summary>
    [JsonRequired]
    public bool CompressTransfer { get; init; } = true;
    /// <summary>This app's bandwidth limit in KiB/s, instead of its host's. Null: the host's (or none).</summary>
    public int? BandwidthLimitKiBps { get; init; }
}

public sealed record HooksConfig
{
    /// <summary>Shell commands run on the host before the transfer, in order (e.g. a database dump).</summary>
    [JsonRequired]
    public ImmutableArray<HookCommand> Before { get; init; } = [];
    /// <summary>Shell commands run on the host after the backup, in order (also after failures).</summary>
    [JsonRequired]
    public ImmutableArray<HookCommand> After { get; init; } = [];
    /// <summary>Compose services stopped during the transfer and started again in a finally.</summary>
    [JsonRequired]
    public ImmutableArray<string> StopServices { get; init; } = [];
    /// <summary>Directory holding the compose file on the host (for stopping services).</summary>
    public string? ComposeDirectory { get; init; }
    /// <summary>
    /// The dead man's switch's delay: the runner renews it while the run goes on, so the host starts the
    /// services this long after the last renewal when the pod dies or the host is cut off.
    /// </summary>
    [JsonRequired]
    public int SwitchDelaySeconds { get; init; } = DefaultSwitchDelaySeconds;
    /// <summary>Never stop the services (sshfs and tar apps whose stop would last the whole copy); a warned opt-out.</summary>
    [JsonRequired]
    public bool KeepServicesRunning { get; init; }

    public const int DefaultSwitchDelaySeconds = 300;
    public const int MaxSwitchDelaySeconds = 3600;
    /// <summary>Bound of each compose call (list, stop, start): a hung `docker compose stop` fails the run after it.</summary>
    [JsonRequired]
    public int ComposeTimeoutSeconds { get; init; } = RemoteCommands.ComposeTimeoutSeconds;
    /// <summary>Dumps streamed straight into restic as their own snapshot (--stdin-from-command, tag dump).</summary>
    [JsonRequired]
    public ImmutableArray<DumpStream> Dumps { get; init; } = [];
}

public sealed record HookCommand
{
    /// <summary>The command line run by the remote user's shell on the host.</summary>
    public required string Run { get; init; }
    [JsonRequired]
    public int TimeoutSeconds { get; init; } = 600;
    /// <summary>
    /// Files the command writes on the host (declared in the inventory; <see cref="GateAllowList.HookOutputs"/>
    /// adds the targets it finds in the line). Behind the host gate each is checked and created fresh first.
    /// </summary>
    [JsonRequired]
    public ImmutableArray<string> Writes { get; init; } = [];
}

public sealed record DumpStream
{
    public required string Name { get; init; }
    /// <summary>Command run on the host whose stdout is the dump.</summary>
    public required string Command { get; init; }
    /// <summary>File name of the dump inside the snapshot (restic --stdin-filename).</summary>
    public required string FileName { get; init; }
    [JsonRequired]
    public int TimeoutSeconds { get; init; } = 3600;
}

public sealed record RetentionPolicy
{
    public int? KeepLast { get; init; }
    public int? KeepHourly { get; init; }
    public int? KeepDaily { get; init; }
    public int? KeepWeekly { get; init; }
    public int? KeepMonthly { get; init; }
    public int? KeepYearly { get; init; }
    /// <summary>restic duration such as "14d" or "1y2m".</summary>
    public string? KeepWithin { get; init; }
    [JsonRequired]
    public ImmutableArray<string> KeepTags { get; init; } = [];
}

/// <summary>One restic snapshot group (host + app tag) and the policy that applies to it.</summary>
/// <summary>What a coverage job compares the host's discovery with: every app the inventory has on the host.</summary>
public sealed record CoverageConfig
{
    [JsonRequired]
    public ImmutableArray<AppConfig> Apps { get; init; } = [];
}

public sealed record RetentionGroup
{
    public required string Host { get; init; }
    public required string App { get; init; }
    public required RetentionPolicy Policy { get; init; }
}

public sealed record MaintenanceConfig
{
    [JsonRequired]
    public ImmutableArray<RetentionGroup> Groups { get; init; } = [];
    /// <summary>Prune after forget.</summary>
    [JsonRequired]
    public bool Prune { get; init; } = true;
    /// <summary>restic check --read-data-subset value (e.g. "5%" or "1/7"); null reads no data.</summary>
    public string? ReadDataSubset { get; init; }
}

public sealed record ReportingConfig
{
    /// <summary>File holding a healthchecks-style ping URL (mounted Secret: it embeds a token).</summary>
    public string? PingUrlFile { get; init; }
    public string? PushgatewayUrl { get; init; }
    /// <summary>Prometheus text-file collector output path.</summary>
    public string? MetricsFile { get; init; }
    /// <summary>
    /// The rendered job each runner command of this configuration runs as (a backup's configuration also
    /// serves its restore drill): command → the CronJob's or Job's name. That name is the <c>instance</c>
    /// of the metrics and their pushgateway group (<c>/metrics/job/manifestgen/instance/NAME</c>), so every
    /// job has a group of its own that the alert rules can expect by name. A command without an entry
    /// pushes to the group of its command, host and app.
    /// </summary>
    public ImmutableSortedDictionary<string, string>? Instances { get; init; }

    /// <summary>The instance a runner command reports as, or null.</summary>
    public string? InstanceOf(string command) =>
        Instances is { } map && map.TryGetValue(command, out var name) ? name : null;
}

/// <summary>Fixed locations inside every pod; both sides use these constants, never literals.</summary>
/// <summary>
/// The one non-root identity of every restricted runner pod: the image's <c>USER</c> and a group of the
/// same number. Every job writes the repository as this uid, so each job can read what another wrote
/// (restic creates 0600 files in 0700 folders); Secrets reach it through fsGroup and mode 0440.
/// </summary>
public static class PodIdentity
{
    public const long RunnerUid = 10001;
    public const long RunnerGid = 10001;
}

public static class PodPaths
{
    public const string JobConfigDir = "/etc/manifestgen/job";
    public const string JobConfigFileName = "job.json";
    public const string JobConfigFile = JobConfigDir + "/" + JobConfigFileName;
    public const string KnownHostsDir = "/etc/manifestgen/known-hosts";
    public const string KnownHostsFileName = "known_hosts";
    public const string SshKeyDir = "/var/run/secrets/manifestgen/ssh";
    /// <summary>Key name of a kubernetes.io/ssh-auth Secret.</summary>
    public const string SshKeyFileName = "ssh-privatekey";
    public const string ResticPasswordDir = "/var/run/secrets/manifestgen/restic";
    /// <summary>Mount of the optional Secret holding the healthchecks-style ping URL (it embeds a token).</summary>
    public const string PingUrlDir = "/var/run/secrets/manifestgen/ping";
    public const string RepositoryMount = "/repository";
    /// <summary>Mount of the host's REST server credential (append-only mode): the file <see cref="RestPasswordKey"/>.</summary>
    public const string RestPasswordDir = "/var/run/secrets/manifestgen/rest";
    public const string RestPasswordKey = "password";
    /// <summary>Mount of the REST server's htpasswd Secret (only the server's pod): the file <see cref="HtpasswdKey"/>.</summary>
    public const string HtpasswdDir = "/var/run/secrets/manifestgen/rest-server";
    public const string HtpasswdKey = "htpasswd";
    public const string CacheDir = "/var/cache/restic";
    /// <summary>Mount of an offsite copy's repository password (only that copy's pods).</summary>
    public const string CopyPasswordDir = "/var/run/secrets/manifestgen/copy";
    /// <summary>Mount of an offsite copy's access credential: the keys <see cref="CopyRestKeys"/> or <see cref="CopyS3Keys"/>.</summary>
    public const string CopyAccessDir = "/var/run/secrets/manifestgen/copy-access";
    public static readonly ImmutableArray<string> CopyRestKeys = ["username", "password"];
    public static readonly ImmutableArray<string> CopyS3Keys = ["access-key-id", "secret-access-key"];
    public const string TmpDir = "/tmp";
    /// <summary>
    /// A restore Job's staging volume (a claim of the app's own size, made for the pod and deleted with it):
    /// the snapshot is restored here before it goes to the host or into an archive, never into /tmp.
    /// </summary>
    public const string RestoreStagingDir = "/var/lib/manifestgen/restore-staging";
    /// <summary>Environment variable naming the job config file; the runner has no default, so a manifest must set it.</summary>
    public const string JobConfigEnv = "MANIFESTGEN_JOB_CONFIG";
}

/// <summary>The canonical JSON form of the contract (camelCase, indented, enums as strings).</summary>
public static class JobConfigJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        // Source-generated metadata and one generic converter per enum: no reflection or run-time code
        // generation, so the generator and the runner also work as native executables.
        TypeInfoResolver = JobConfigJsonContext.Default,
        Converters =
        {
            new JsonStringEnumConverter<JobKind>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<TransferStrategy>(JsonNamingPolicy.KebabCaseLower),
        },
    };

    private static JsonTypeInfo<JobConfig> TypeInfo => (JsonTypeInfo<JobConfig>)Options.GetTypeInfo(typeof(JobConfig));

    public static string Serialize(JobConfig config) =>
        JsonSerializer.Serialize(config, TypeInfo).ReplaceLineEndings("\n") + "\n";

    /// <summary>Parses and checks the version; throws <see cref="JobConfigException"/> with a clear message.</summary>
    public static JobConfig Deserialize(string json, string source)
    {
        JobConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, TypeInfo);
        }
        catch (JsonException ex)
        {
            throw new JobConfigException($"{source}: invalid job configuration: {ex.Message}");
        }
        if (config is null)
            throw new JobConfigException($"{source}: job configuration is empty");
        if (config.Version != JobConfig.CurrentVersion)
            throw new JobConfigException(
                $"{source}: job configuration version {config.Version} is not supported (this runner reads version {JobConfig.CurrentVersion})");
        return config;
    }
}

public sealed class JobConfigException(string message) : Exception(message);

/// <summary>Compile-time serialization metadata of the job configuration (options come from <see cref="JobConfigJson.Options"/>).</summary>
[JsonSerializable(typeof(JobConfig))]
internal sealed partial class JobConfigJsonContext : JsonSerializerContext;
