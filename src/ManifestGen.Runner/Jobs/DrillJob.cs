using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ManifestGen.Contracts;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Restic;
using ManifestGen.Runner.Reporting;
using ManifestGen.Runner.Transfer;

namespace ManifestGen.Runner.Jobs;

/// <summary>
/// The restore drill (a spot check): restores a random sample of files from the app's latest snapshot and
/// compares them, byte for byte (SHA-256), with the host's files that did not change since the snapshot
/// (same size and modification time, the test restic itself uses to skip unchanged files). A restore
/// error or a differing file fails the run: it proves that the backup can be read back, not only that it
/// was written.
/// </summary>
public static class DrillJob
{
    /// <summary>How many files the drill restores and compares.</summary>
    public const int DefaultSample = 20;
    // Files whose host metadata is asked for: more than the sample, since some changed since the snapshot.
    private const int CandidateFactor = 4;

    private sealed record SnapshotFile(string Path, long Size, long MtimeSeconds);

    public static async Task<RunSummary> RunAsync(RunContext ctx, int sample = DefaultSample)
    {
        var sw = Stopwatch.StartNew();
        var host = ctx.RequireHost("drill");
        var app = ctx.RequireApp("drill");
        var restic = ctx.Restic();
        await restic.RequireVersionAsync(ctx.Cancel);
        var snapshot = (await RestoreJob.ResolveSnapshotAsync(restic, host.Name, app.Name, "latest", ctx.Cancel)).Id;

        // Every regular file of the snapshot, with the metadata restic recorded.
        var files = new List<SnapshotFile>();
        void OnLine(string line)
        {
            if (!line.StartsWith('{')) return;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("type", out var type) && type.GetString() == "file" &&
                root.TryGetProperty("path", out var path) && root.TryGetProperty("size", out var size) &&
                root.TryGetProperty("mtime", out var mtime))
                files.Add(new SnapshotFile(path.GetString()!, size.GetInt64(), mtime.GetDateTimeOffset().ToUnixTimeSeconds()));
        }
        var ls = await restic.RunAsync(["ls", "--json", snapshot], ctx.Cancel, onStdout: OnLine);
        ResticClient.Throw(ls, "restic ls");
        if (files.Count == 0)
            throw new RunnerException(RunnerExit.Failure, $"drill: snapshot {snapshot} of app {app.Name} holds no files");

        // A random sample each run, so that over time every part of the repository is read.
        // The host is asked about files below the app's paths only (a tar app's snapshot holds its stream's
        // file name, which is no host file), and behind the host gate only about paths it can check (plain
        // characters).
        var askable = files.Where(f => app.Paths.Any(root => RestoreJob.IsSameOrUnder(f.Path, root)) &&
                                       (!host.Gated || GateAllowList.IsPlainPath(f.Path))).ToList();
        if (askable.Count < files.Count)
            ctx.Log.Info($"drill: {files.Count - askable.Count} of {files.Count} files are not below the app's paths or have names the host gate does not pass on; they are not sampled");
        var candidates = askable.OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)).Take(sample * CandidateFactor).ToList();
        var ssh = new SshSession(host, ctx.WorkDir);
        var onHost = await HostMetadataAsync(ssh, candidates.Select(f => f.Path), ctx.Log, ctx.Cancel);
        var unchanged = candidates.Where(f => onHost.TryGetValue(f.Path, out var m) && m.Size == f.Size && m.MtimeSeconds == f.MtimeSeconds)
            .Take(sample).ToList();
        var warnings = ImmutableArray.CreateBuilder<string>();
        if (unchanged.Count == 0)
        {
            warnings.Add($"drill: none of {candidates.Count} sampled files is unchanged on host {host.Name} since snapshot {snapshot}; nothing compared");
            ctx.Log.Warn(warnings[^1]);
            return Summary(app.Name, host.Name, snapshot, 0, sw, warnings.ToImmutable());
        }

        // Restore exactly the sample; a damaged pack or index fails here.
        var target = Path.Combine(ctx.WorkDir, "drill");
        Directory.CreateDirectory(target);
        var args = new List<string> { "restore", snapshot, "--target", target };
        foreach (var f in unchanged) args.AddRange(["--include", f.Path]);
        ctx.Log.Info($"drill: restoring {unchanged.Count} of {files.Count} files of snapshot {snapshot} and comparing them with host {host.Name}");
        var restore = await restic.RunAsync(args, ctx.Cancel);
        ResticClient.Throw(restore, "drill: restic restore");

        var hostHashes = await HostHashesAsync(ssh, unchanged.Select(f => f.Path), ctx.Log, ctx.Cancel);
        var differing = new List<string>();
        foreach (var f in unchanged)
        {
            var local = LocalPaths.For(target, f.Path);
            var restored = File.Exists(local) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(local))) : "(not restored)";
            var current = hostHashes.GetValueOrDefault(f.Path, "(unreadable)");
            if (restored != current)
                differing.Add($"{f.Path} (restored {restored}, host {current})");
        }
        if (differing.Count > 0)
            throw new RunnerException(RunnerExit.Failure,
                $"drill: {differing.Count} of {unchanged.Count} unchanged files restored from snapshot {snapshot} differ from host {host.Name}: {string.Join("; ", differing)}");
        ctx.Log.Info($"drill: {unchanged.Count} files restored from snapshot {snapshot} are identical to host {host.Name}");
        return Summary(app.Name, host.Name, snapshot, unchanged.Count, sw, warnings.ToImmutable());
    }

    private static RunSummary Summary(string app, string host, string snapshot, long restored, Stopwatch sw, ImmutableArray<string> warnings) => new()
    {
        Command = "drill",
        App = app,
        Host = host,
        Outcome = warnings.IsEmpty ? Outcome.Success : Outcome.Warning,
        ExitCode = 0,
        SnapshotId = snapshot,
        FilesRestored = restored,
        DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
        Warnings = warnings,
    };

    /// <summary>Size and modification time (seconds) of each path that is a regular file on the host; one round trip.</summary>
    private static async Task<Dictionary<string, (long Size, long MtimeSeconds)>> HostMetadataAsync(SshSession ssh, IEnumerable<string> paths, Log log, CancellationToken ct)
    {
        var fields = await RunNulSeparatedAsync(ssh, RemoteCommands.FileMetadata(paths), "reading the host files' sizes and times", log, ct);
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var parts = fields[i].Split(' ');
            if (parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var size) &&
                long.TryParse(parts[1], CultureInfo.InvariantCulture, out var mtime))
                result[fields[i + 1]] = (size, mtime);
        }
        return result;
    }

    /// <summary>SHA-256 of each path on the host; one round trip.</summary>
    private static async Task<Dictionary<string, string>> HostHashesAsync(SshSession ssh, IEnumerable<string> paths, Log log, CancellationToken ct)
    {
        var fields = await RunNulSeparatedAsync(ssh, RemoteCommands.FileHashes(paths), "hashing the host files", log, ct);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < fields.Length; i += 2)
            result[fields[i + 1]] = fields[i];
        return result;
    }

    private static async Task<string[]> RunNulSeparatedAsync(SshSession ssh, string script, string what, Log log, CancellationToken ct)
    {
        var r = await ssh.RequestAsync(script, what, log, ct);
        ct.ThrowIfCancellationRequested();
        if (!r.Succeeded) throw new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(r));
        // Line reading re-joined the output with '\n'; fields are NUL-terminated, so split on NUL only.
        var text = r.Stdout.EndsWith('\n') ? r.Stdout[..^1] : r.Stdout;
        return text.Split('\0')[..^1];
    }
}
