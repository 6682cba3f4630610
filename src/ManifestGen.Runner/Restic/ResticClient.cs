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
public sealed class ResticClient(RepositoryConfig repo, Log log, TimeSpan interruptGrace, string executable = "restic")
{
    public RepositoryConfig Repository => repo;

    private ImmutableDictionary<string, string?> Environment => ImmutableDictionary<string, string?>.Empty
        .Add("RESTIC_REPOSITORY", repo.Location)
        .Add("RESTIC_PASSWORD_FILE", repo.PasswordFile)
        .Add("RESTIC_CACHE_DIR", repo.CacheDir)
        .Add("RESTIC_PASSWORD", null)
        .Add("RESTIC_PASSWORD_COMMAND", null)
        .Add("RESTIC_REPOSITORY_FILE", null)
        .Add("RESTIC_PROGRESS_FPS", "0.2")
        .Add("RESTIC_REST_USERNAME", repo.RestUsername)
        .Add("RESTIC_REST_PASSWORD", RestPassword.Value);

    private readonly Lazy<string?> RestPassword = new(() => ReadRestPassword(repo));

    private static string? ReadRestPassword(RepositoryConfig repo)
    {
        if (repo.RestPasswordFile is not { } file) return null;
        try
        {
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (IOException e)
        {
            throw new RunnerException(RunnerExit.Usage, $"cannot read the REST server password file {file}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RunnerException(RunnerExit.Usage, $"cannot read the REST server password file {file}: {e.Message}");
        }
    }

    private string RetryLock => repo.RetryLockSeconds.ToString(CultureInfo.InvariantCulture) + "s";

    public async Task<Version> RequireVersionAsync(CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(new ProcessSpec(executable, ["version"]) { Timeout = TimeSpan.FromSeconds(30) }, ct);
        if (r.ExitCode != 0)
            throw new RunnerException(RunnerExit.Usage, $"`{executable} version` failed (exit {r.ExitCode}): {r.Stderr.Trim()}");
        return ResticVersion.Require(r.Stdout, executable);
    }

    /// <summary>Runs restic; <paramref name="locking"/> adds the bounded --retry-lock.</summary>
    public Task<ProcessResult> RunAsync(
        IEnumerable<string> args, CancellationToken ct, bool locking = true,
        Action<string>? onStdout = null, TimeSpan? timeout = null, bool echoStderr = true)
    {
        // Global flags go right after the subcommand: anything after "--" belongs to paths or a command.
        var list = args.ToList();
        ImmutableArray<string> argv = locking && list.Count > 0 ? [list[0], "--retry-lock", RetryLock, .. list.Skip(1)] : [.. list];
        var spec = new ProcessSpec(executable, argv)
        {
            Environment = Environment,
            Timeout = timeout,
            InterruptSignal = Signals.SIGINT,
            InterruptGrace = interruptGrace,
            OnStdoutLine = onStdout,
            OnStderrLine = echoStderr ? line => log.Output("restic", line) : null,
        };
        return ProcessRunner.RunAsync(spec, ct);
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
    public async Task<(ProcessResult Result, BackupSummary? Summary, ImmutableArray<string> ErrorItems)> BackupAsync(IEnumerable<string> args, CancellationToken ct, TimeSpan? timeout = null)
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
                    log.Output("restic", "error: " + line);
                    if (root.TryGetProperty("item", out var item) && item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } path)
                        lock (errors) errors.Add(path);
                    break;
            }
        }
        var r = await RunAsync(["backup", "--json", .. args], ct, onStdout: OnLine, timeout: timeout);
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
        if (r.TimedOut) throw new RunnerException(RunnerExit.Failure, $"{what} timed out");
        var outcome = ResticExit.Classify(r.ExitCode);
        throw new RunnerException(ResticExit.ToRunnerExit(outcome, partialIsFailure: true),
            $"{what}: {ResticExit.Describe(outcome, r.ExitCode)}: {Remote.SshSession.LastLine(r.Stderr)}");
    }
}
