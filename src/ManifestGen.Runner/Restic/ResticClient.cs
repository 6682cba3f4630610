using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Restic;

/// <summary>
/// Runs restic against the job's repository. The password only ever travels as RESTIC_PASSWORD_FILE;
/// inherited password variables are removed so a stray one cannot override the mounted Secret. A REST
/// server's credential goes into restic's environment (RESTIC_REST_USERNAME/PASSWORD), read from its
/// file: never into the rest: URL, which restic may print, nor onto a command line.
/// Cancellation sends SIGINT and waits, so restic removes its own lock.
/// </summary>
/// <paramref name="extraEnvironment"/>: what a copy adds (the primary as restic copy's source, an S3
/// copy's keys), read from mounted files by the caller.
public sealed class ResticClient(RepositoryConfig repo, Log log, TimeSpan interruptGrace, string executable = "restic", int? bandwidthLimitKiBps = null,
    ImmutableDictionary<string, string?>? extraEnvironment = null)
{
    public RepositoryConfig Repository => repo;

    private ImmutableDictionary<string, string?> Environment => BaseEnvironment.SetItems(extraEnvironment ?? ImmutableDictionary<string, string?>.Empty);

    private ImmutableDictionary<string, string?> BaseEnvironment => ImmutableDictionary<string, string?>.Empty
        .Add("RESTIC_REPOSITORY", repo.Location)
        .Add("RESTIC_PASSWORD_FILE", repo.PasswordFile)
        .Add("RESTIC_CACHE_DIR", repo.CacheDir)
        .Add("RESTIC_PASSWORD", null)
        .Add("RESTIC_PASSWORD_COMMAND", null)
        .Add("RESTIC_REPOSITORY_FILE", null)
        .Add("RESTIC_PROGRESS_FPS", "0.2")
        .Add("RESTIC_REST_USERNAME", repo.RestUsername)
        .Add("RESTIC_REST_PASSWORD", RestPassword.Value)
        // Only a copy names a source repository; an inherited one must not make another command read elsewhere.
        .Add("RESTIC_FROM_REPOSITORY", null)
        .Add("RESTIC_FROM_PASSWORD_FILE", null)
        .Add("RESTIC_FROM_PASSWORD", null);

    private readonly Lazy<string?> RestPassword = new(() => repo.RestPasswordFile is { } file ? ReadSecretFile(file, "REST server password") : null);

    /// <summary>A credential from its mounted file (trailing line breaks removed); a clear usage error naming the file otherwise.</summary>
    public static string ReadSecretFile(string file, string what)
    {
        try
        {
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (IOException e)
        {
            throw new RunnerException(RunnerExit.Usage, $"cannot read the {what} file {file}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RunnerException(RunnerExit.Usage, $"cannot read the {what} file {file}: {e.Message}");
        }
    }

    /// <summary>
    /// How long one attempt waits with restic's own --retry-lock before the runner removes stale locks and
    /// tries again: a sixth of the bound, 5 to 60 seconds. restic's retry never gets past a stale lock (it
    /// still conflicts until `unlock` removes it), so a lock that goes stale during the wait (a killed run's
    /// lock: same hostname and its PID gone, or 30 minutes old) is removed within one slice.
    /// </summary>
    public static TimeSpan LockWaitSlice(TimeSpan bound) =>
        TimeSpan.FromSeconds(Math.Clamp(bound.TotalSeconds / 6, 5, 60));

    public async Task<Version> RequireVersionAsync(CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(new ProcessSpec(executable, ["version"]) { Timeout = TimeSpan.FromSeconds(30) }, ct);
        if (r.ExitCode != 0)
            throw new RunnerException(RunnerExit.Usage, $"`{executable} version` failed (exit {r.ExitCode}): {r.Stderr.Trim()}");
        return ResticVersion.Require(r.Stdout, executable);
    }

    /// <summary>
    /// Runs restic. A <paramref name="locking"/> command waits for a lock at most
    /// <c>repository.retryLockSeconds</c> in all: slices of restic's --retry-lock, each followed by
    /// `restic unlock` (stale locks only), so a killed run's lock blocks it no longer than until restic
    /// counts that lock as stale. Past the bound it returns restic's exit 11 with a line that names the
    /// bound and the lock's holder.
    /// </summary>
    public async Task<ProcessResult> RunAsync(
        IEnumerable<string> args, CancellationToken ct, bool locking = true,
        Action<string>? onStdout = null, TimeSpan? timeout = null, bool echoStderr = true, Action<string>? onStderr = null, Watchdog? stall = null)
    {
        var list = args.ToList();
        Action<string>? stderr = onStderr ?? (echoStderr ? line => log.Output("restic", line) : null);
        if (!locking || list.Count == 0) return await RunOnceAsync([.. list], ct, onStdout, timeout, stderr, stall);
        var inv = CultureInfo.InvariantCulture;
        var bound = TimeSpan.FromSeconds(repo.RetryLockSeconds);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var slice = TimeSpan.FromSeconds(Math.Ceiling(Math.Max(0, Math.Min((bound - waited.Elapsed).TotalSeconds, LockWaitSlice(bound).TotalSeconds))));
            // Global flags go right after the subcommand: anything after "--" belongs to paths or a command.
            var r = await RunOnceAsync([list[0], "--retry-lock", slice.TotalSeconds.ToString(inv) + "s", .. list.Skip(1)], ct, onStdout, timeout, stderr, stall);
            if (ResticExit.Classify(r.ExitCode) != ResticOutcome.Locked || r.TimedOut) return r;
            var holder = r.Stderr.Split('\n').FirstOrDefault(l => l.Contains("already locked", StringComparison.Ordinal))?.Trim() ?? "(holder not printed)";
            if (waited.Elapsed >= bound)
            {
                var line = $"still locked after waiting {waited.Elapsed.TotalSeconds.ToString("0", inv)} s, the bound repository.retryLockSeconds = " +
                    $"{repo.RetryLockSeconds.ToString(inv)}: {holder}";
                log.Error(line);
                return r with { Stderr = r.Stderr.TrimEnd('\n') + "\n" + line + "\n" };
            }
            log.Warn($"{holder}; waited {waited.Elapsed.TotalSeconds.ToString("0", inv)} of {repo.RetryLockSeconds.ToString(inv)} s: removing stale locks and trying again");
            var unlock = await RunOnceAsync(["unlock"], ct, null, TimeSpan.FromMinutes(5), stderr);
            if (!unlock.Succeeded) return unlock;
        }
    }

    /// <summary>The bound on a repository that stops answering (<see cref="RepositoryConfig.StallTimeoutSeconds"/>).</summary>
    public Bound StallBound => new("repository.stallTimeoutSeconds", repo.StallTimeoutSeconds);

    /// <summary>A REST server: the only repository whose traffic the bandwidth limit paces (a mounted volume's is the node's).</summary>
    public bool IsRest => repo.Location.StartsWith("rest:", StringComparison.Ordinal);

    /// <summary>
    /// Global options of every repository command, after the subcommand: restic's own stuck-request bound set
    /// to the stall bound, and the bandwidth limit for a REST server.
    /// </summary>
    public ImmutableArray<string> GlobalArgs()
    {
        var inv = CultureInfo.InvariantCulture;
        var args = ImmutableArray.CreateBuilder<string>();
        args.AddRange("--stuck-request-timeout", repo.StallTimeoutSeconds.ToString(inv) + "s");
        if (IsRest && bandwidthLimitKiBps is { } limit)
            args.AddRange("--limit-upload", limit.ToString(inv), "--limit-download", limit.ToString(inv));
        return args.ToImmutable();
    }

    private async Task<ProcessResult> RunOnceAsync(
        ImmutableArray<string> argv, CancellationToken ct, Action<string>? onStdout, TimeSpan? timeout, Action<string>? onStderr, Watchdog? stall = null)
    {
        var stalled = new RepositoryStall(StallBound);
        var spec = new ProcessSpec(executable, [argv[0], .. GlobalArgs(), .. argv.Skip(1)])
        {
            Environment = Environment,
            Timeout = timeout,
            InterruptSignal = Signals.SIGINT,
            InterruptGrace = interruptGrace,
            OnStdoutLine = onStdout,
            OnStderrLine = line =>
            {
                stalled.OnStderr(line);
                onStderr?.Invoke(line);
            },
            Watchdogs = stall is null ? [stalled.Watchdog] : [stalled.Watchdog, stall],
        };
        var r = await ProcessRunner.RunAsync(spec, ct);
        // The transfer's bound (a frozen tar stream) is the caller's to report; the repository's is reported here.
        if (r.Fired is { } fired && fired == StallBound)
        {
            var e = log.BoundFired(fired, $"restic {argv[0]}", $"the repository did not answer for {fired.Seconds.ToString(CultureInfo.InvariantCulture)} s ({stalled.LastError ?? "no answer"})");
            return r with { Stderr = r.Stderr.TrimEnd('\n') + "\n" + e.Message + "\n" };
        }
        return r;
    }

    /// <summary>
    /// Reads restic's retry reports. restic retries a failing request for up to 15 minutes, and one that
    /// gets no answer for --stuck-request-timeout ("request timeout") again and again: a request reported
    /// stuck has waited the whole bound, so the watchdog fires at once; other failures fire it when they
    /// go on, without "operation successful after", for the bound. Between retries the process counts as
    /// making progress, so the watchdog never fires on healthy slow work.
    /// </summary>
    private sealed class RepositoryStall
    {
        private volatile bool _retrying;
        private long _ticks;

        public RepositoryStall(Bound bound) =>
            Watchdog = new Watchdog(bound, _ => _retrying ? -1 : Interlocked.Increment(ref _ticks));

        public Watchdog Watchdog { get; }
        public string? LastError { get; private set; }

        public void OnStderr(string line)
        {
            if (line.Contains(" returned error, retrying after ", StringComparison.Ordinal))
            {
                LastError = line.Trim();
                _retrying = true;
                if (line.EndsWith("request timeout", StringComparison.Ordinal)) Watchdog.Fire();
            }
            else if (line.Contains(" operation successful after ", StringComparison.Ordinal))
                _retrying = false;
        }
    }

    /// <summary>
    /// Checks what can be checked before the host is touched: the repository exists and the password
    /// opens it (restic cat config, no lock). Exit 10 and 12 keep their meaning.
    /// </summary>
    public async Task RequireRepositoryAsync(CancellationToken ct)
    {
        // --no-lock: the check must not wait behind (or be refused by) another job's exclusive lock.
        var r = await RunAsync(["cat", "config", "--no-lock"], ct, locking: false, echoStderr: false, timeout: TimeSpan.FromMinutes(5));
        Throw(r, "restic cat config (repository check before touching the host)");
    }

    /// <summary>
    /// restic backup --json: progress goes to the log; returns the summary line and the items restic
    /// reported errors for (the unreadable files of an exit 3).
    /// </summary>
    public async Task<(ProcessResult Result, BackupSummary? Summary, ImmutableArray<string> ErrorItems)> BackupAsync(
        IEnumerable<string> args, CancellationToken ct, TimeSpan? timeout = null, Watchdog? stall = null)
    {
        BackupSummary? summary = null;
        var errors = ImmutableArray.CreateBuilder<string>();
        var lastProgress = DateTime.MinValue;
        void OnLine(string line)
        {
            switch (ResticJson.MessageType(line, out var root))
            {
                case "summary":
                    summary = ResticJson.Deserialize<BackupSummary>(line, "restic backup", log);
                    break;
                case "status" when DateTime.UtcNow - lastProgress > TimeSpan.FromSeconds(5):
                    lastProgress = DateTime.UtcNow;
                    log.Output("restic", Progress(root));
                    break;
                case "error":
                    OnError(line);
                    break;
            }
        }
        // With --json, restic prints its per-file errors as JSON lines on stderr (exit 3 names its files there).
        void OnError(string line)
        {
            log.Output("restic", line);
            if (ResticJson.MessageType(line, out var root) == "error" &&
                root.TryGetProperty("item", out var item) && item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } path)
                lock (errors) errors.Add(path);
        }
        var r = await RunAsync(["backup", "--json", .. args], ct, onStdout: OnLine, timeout: timeout, onStderr: OnError, stall: stall);
        return (r, summary, errors.ToImmutable());
    }

    private static string Progress(JsonElement s)
    {
        double Get(string n) => s.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;
        var inv = CultureInfo.InvariantCulture;
        return string.Format(inv, "{0:0}% done, {1:0.0} of {2:0.0} MiB, {3:0} files",
            Get("percent_done") * 100, Get("bytes_done") / 1048576, Get("total_bytes") / 1048576, Get("files_done"));
    }

    public async Task<ImmutableArray<SnapshotInfo>> SnapshotsAsync(string? host, IEnumerable<string> tags, CancellationToken ct)
    {
        var args = new List<string> { "snapshots", "--json" };
        if (host is not null) args.AddRange(["--host", host]);
        foreach (var t in tags) args.AddRange(["--tag", t]);
        var r = await RunAsync(args, ct, echoStderr: false);
        Throw(r, "restic snapshots");
        return [.. ResticJson.Deserialize<SnapshotInfo[]>(r.Stdout, "restic snapshots", log)];
    }

    /// <summary>Throws the mapped runner exception unless restic succeeded.</summary>
    public static void Throw(ProcessResult r, string what)
    {
        if (r.Succeeded) return;
        // A named bound that fired left its own line (what waited, why, which bound) last on stderr.
        if (r.TimedOut) throw new RunnerException(RunnerExit.Failure, r.Fired is null ? $"{what} timed out" : Remote.SshSession.LastLine(r.Stderr));
        var outcome = ResticExit.Classify(r.ExitCode);
        throw new RunnerException(ResticExit.ToRunnerExit(outcome, partialIsFailure: true),
            $"{what}: {ResticExit.Describe(outcome, r.ExitCode)}: {Remote.SshSession.LastLine(r.Stderr)}");
    }
}
