using System.Collections.Immutable;
using System.Diagnostics;
using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using ManifestGen.Runner.Restic;

namespace ManifestGen.Runner.Jobs;

/// <summary>What every command gets: the job configuration, the log, a private temp dir and the run's token.</summary>
public sealed class RunContext : IDisposable
{
    private readonly Stopwatch _started = Stopwatch.StartNew();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly CancellationTokenRegistration _onCancel;

    public RunContext(JobConfig config, Log log, string workDir, CancellationToken cancel)
    {
        Config = config;
        Log = log;
        WorkDir = workDir;
        Cancel = cancel;
        Budget = ShutdownBudget.For(config.TerminationGracePeriodSeconds);
        // From the interrupt on, restic's SIGINT wait and every clean-up step share one clock that ends
        // before the pod's grace period does, leaving the reporting share and the margin.
        _onCancel = cancel.Register(() => _shutdown.CancelAfter(TimeSpan.FromSeconds(Budget.ResticInterruptSeconds + Budget.CleanupSeconds)));
    }

    public JobConfig Config { get; }
    public Log Log { get; }
    /// <summary>Private (0700) directory for the ssh config and restore staging; removed after the run.</summary>
    public string WorkDir { get; }
    /// <summary>Cancelled on SIGTERM/SIGINT and when the job's deadline passes.</summary>
    public CancellationToken Cancel { get; }
    public ShutdownBudget Budget { get; }
    public TimeSpan Elapsed => _started.Elapsed;

    /// <summary>restic for this job; a backup's configuration paces a REST repository with the app's (or host's) bandwidth limit.</summary>
    public ResticClient Restic() => new(Config.Repository, Log, TimeSpan.FromSeconds(Budget.ResticInterruptSeconds),
        bandwidthLimitKiBps: Config.App?.BandwidthLimitKiBps ?? Config.Host?.BandwidthLimitKiBps);

    /// <summary>
    /// restic on an offsite copy (<see cref="CopyConfig"/>): its location and password, its access credential
    /// read from the mounted files (REST user and password, or S3 keys); with <paramref name="fromPrimary"/>
    /// the configuration's repository is restic copy's source.
    /// </summary>
    public ResticClient CopyRestic(CopyConfig copy, bool fromPrimary = false)
    {
        var rest = copy.Repository.Location.StartsWith("rest:", StringComparison.Ordinal);
        var repo = copy.Repository with
        {
            RestUsername = rest && copy.UsernameFile is { } user ? ResticClient.ReadSecretFile(user, $"copy {copy.Name}'s user") : null,
            RestPasswordFile = rest ? copy.SecretFile : null,
        };
        var env = ImmutableDictionary<string, string?>.Empty;
        if (!rest && copy.UsernameFile is { } keyId && copy.SecretFile is { } secret)
            env = env.Add("AWS_ACCESS_KEY_ID", ResticClient.ReadSecretFile(keyId, $"copy {copy.Name}'s access key id"))
                .Add("AWS_SECRET_ACCESS_KEY", ResticClient.ReadSecretFile(secret, $"copy {copy.Name}'s secret key"));
        if (fromPrimary)
            env = env.Add("RESTIC_FROM_REPOSITORY", Config.Repository.Location).Add("RESTIC_FROM_PASSWORD_FILE", Config.Repository.PasswordFile);
        return new ResticClient(repo, Log, TimeSpan.FromSeconds(Budget.ResticInterruptSeconds), extraEnvironment: env);
    }

    /// <summary>The copy a restore names with --from-copy, from the configuration's copies.</summary>
    public CopyConfig RequireCopy(string name) =>
        (Config.Copies ?? []).FirstOrDefault(c => c.Name == name) ?? throw new RunnerException(RunnerExit.Usage,
            $"--from-copy {name}: the job configuration has no copy of that name ({(Config.Copies is not { IsEmpty: false } copies ? "it has none" : "it has " + string.Join(", ", copies.Select(c => c.Name)))})");

    /// <summary>
    /// restic on another copy of the repository than the configuration's (a recovery on a machine outside
    /// the cluster): that location and password file, a cache in the run's work folder, no REST credential.
    /// </summary>
    public ResticClient Restic(string? location, string? passwordFile) => location is null && passwordFile is null
        ? Restic()
        : new(Config.Repository with
        {
            Location = location ?? Config.Repository.Location,
            PasswordFile = passwordFile ?? Config.Repository.PasswordFile,
            CacheDir = location is null ? Config.Repository.CacheDir : Path.Combine(WorkDir, "restic-cache"),
            RestUsername = location is null ? Config.Repository.RestUsername : null,
            RestPasswordFile = location is null ? Config.Repository.RestPasswordFile : null,
        }, Log, TimeSpan.FromSeconds(Budget.ResticInterruptSeconds));

    /// <summary>
    /// For clean-up that must happen even after SIGTERM (start services, after hooks, unmount): not
    /// linked to <see cref="Cancel"/>, bounded by <paramref name="stepLimit"/> and, once the run is
    /// interrupted, by what is left of the grace period's clean-up share.
    /// </summary>
    public CancellationTokenSource Cleanup(TimeSpan stepLimit)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        cts.CancelAfter(stepLimit);
        return cts;
    }

    /// <summary>Seconds until the pod is gone for certain: the job's deadline left, plus the grace period.</summary>
    public int SecondsUntilPodIsGone()
    {
        var deadline = Config.ActiveDeadlineSeconds ?? JobConfig.NoDeadlineSwitchSeconds;
        var left = deadline - (int)Elapsed.TotalSeconds;
        // Never more than the bound the host gate's allow-list states for this job.
        return Math.Min(Math.Max(left, 0) + Budget.GracePeriodSeconds, JobConfig.PodLifetimeBoundSeconds(Config));
    }

    public HostConfig RequireHost(string command) => Config.Host ??
        throw new RunnerException(RunnerExit.Usage, $"`{command}` needs a job configuration with a host");

    public AppConfig RequireApp(string command) => Config.App ??
        throw new RunnerException(RunnerExit.Usage, $"`{command}` needs a job configuration with an app");

    public void Dispose()
    {
        _onCancel.Dispose();
        _shutdown.Dispose();
    }
}
