using ManifestGen.Contracts;
using System.Collections.Immutable;
using System.Diagnostics;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Restic;
using ManifestGen.Runner.Reporting;
using ManifestGen.Runner.Transfer;

namespace ManifestGen.Runner.Jobs;

public sealed record RestoreOptions
{
    /// <summary>A snapshot id, or "latest" (the app's newest file snapshot, dumps excluded).</summary>
    public string Snapshot { get; init; } = "latest";
    /// <summary>Instead of <see cref="Snapshot"/>: the app's newest file snapshot taken at or before this time.</summary>
    public DateTimeOffset? At { get; init; }
    /// <summary>Host paths to restore (a file or a folder); empty means the whole app.</summary>
    public ImmutableArray<string> Paths { get; init; } = [];
    /// <summary>Local folder; the host path is recreated beneath it (target/srv/app/x.conf).</summary>
    public string? Target { get; init; }
    /// <summary>Write back to the same paths on the host over SSH.</summary>
    public bool ToHost { get; init; }
    /// <summary>Overwrite existing files; without it an existing target path is a refusal.</summary>
    public bool Force { get; init; }
}

/// <summary>Restores a file, a folder or the whole app into a local folder or back onto the host.</summary>
public static class RestoreJob
{
    public static async Task<RunSummary> RunAsync(RunContext ctx, RestoreOptions options)
    {
        var sw = Stopwatch.StartNew();
        var host = ctx.RequireHost("restore");
        var app = ctx.RequireApp("restore");
        if (options.ToHost == (options.Target is not null))
            throw new RunnerException(RunnerExit.Usage, "restore needs exactly one of --target DIR or --to-host");
        var paths = options.Paths.IsEmpty ? app.Paths : options.Paths;
        foreach (var p in paths)
            if (!p.StartsWith('/')) throw new RunnerException(RunnerExit.Usage, $"--path '{p}' must be an absolute host path");

        var restic = ctx.Restic();
        await restic.RequireVersionAsync(ctx.Cancel);
        var snapshot = options.At is { } at
            ? await ResolveAtAsync(restic, host.Name, app.Name, at, ctx.Cancel)
            : await ResolveAsync(restic, host.Name, app.Name, options.Snapshot, ctx.Cancel);

        SshSession? ssh = null;
        string target;
        if (options.ToHost)
        {
            ssh = new SshSession(host, ctx.WorkDir);
            var missing = await RemotePaths.MissingAsync(ssh, paths, ctx.Cancel);
            var existing = paths.Where(p => !missing.Contains(p)).ToList();
            if (existing.Count > 0 && !options.Force)
                throw new RunnerException(RunnerExit.Failure,
                    $"restore would overwrite {string.Join(", ", existing)} on host {host.Name}; pass --force to overwrite");
            target = Path.Combine(ctx.WorkDir, "restore");
            Directory.CreateDirectory(target);
        }
        else
        {
            target = Path.GetFullPath(options.Target!);
            var existing = paths.Select(p => LocalPaths.For(target, p)).Where(p => File.Exists(p) || Directory.Exists(p)).ToList();
            if (existing.Count > 0 && !options.Force)
                throw new RunnerException(RunnerExit.Failure,
                    $"restore would overwrite {string.Join(", ", existing)}; pass --force to overwrite");
        }

        var args = new List<string> { "restore", snapshot, "--target", target, "--json", "--overwrite", options.Force ? "always" : "never" };
        // restic reads --include as a glob: a literal path gets its glob characters escaped.
        foreach (var p in paths) args.AddRange(["--include", Excludes.LiteralPattern(p)]);
        long restored = 0;
        void OnLine(string line)
        {
            if (ResticJson.MessageType(line, out var root) == "summary" &&
                root.TryGetProperty("files_restored", out var n) && n.TryGetInt64(out var v)) restored = v;
        }
        ctx.Log.Info($"restoring {string.Join(", ", paths)} from snapshot {snapshot} into {(options.ToHost ? "host " + host.Name : target)}");
        var r = await restic.RunAsync(args, ctx.Cancel, onStdout: OnLine);
        ResticClient.Throw(r, "restic restore");
        var present = paths.Where(p => File.Exists(LocalPaths.For(target, p)) || Directory.Exists(LocalPaths.For(target, p))).ToList();
        if (present.Count != paths.Length)
            throw new RunnerException(RunnerExit.Failure,
                $"snapshot {snapshot} holds none of: {string.Join(", ", paths.Except(present))}");

        if (ssh is not null)
        {
            foreach (var p in paths)
            {
                var staged = LocalPaths.For(target, p);
                var isDir = Directory.Exists(staged);
                var rsync = RsyncTransfer.BaseArgs(ssh, app.CompressTransfer)
                    .AddRange("--mkpath", isDir ? staged + "/" : staged, SshSession.Alias + ":" + (isDir ? p.TrimEnd('/') + "/" : p));
                var (res, _) = await RsyncTransfer.RunAsync(rsync, ctx.Log, ctx.Cancel);
                if (!res.Succeeded) throw RsyncTransfer.Failure(ssh, res, p);
                ctx.Log.Info($"restored {p} onto host {host.Name}");
            }
        }
        return new RunSummary
        {
            Command = "restore",
            App = app.Name,
            Host = host.Name,
            Outcome = Outcome.Success,
            ExitCode = 0,
            SnapshotId = snapshot,
            FilesRestored = restored,
            DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
        };
    }

    /// <summary>The app's newest snapshot that is not a dump and was taken at or before <paramref name="at"/>.</summary>
    public static async Task<string> ResolveAtAsync(ResticClient restic, string host, string app, DateTimeOffset at, CancellationToken ct)
    {
        var all = await restic.SnapshotsAsync(host, [RunContext.AppTag(app)], ct);
        return all.Where(s => !s.HasTag("dump") && s.Time <= at).OrderByDescending(s => s.Time).FirstOrDefault()?.Id
            ?? throw new RunnerException(RunnerExit.Failure,
                $"no snapshot of app {app} from host {host} taken at or before {Contracts.RestoreTime.Format(at)}");
    }

    /// <summary>"latest" is the app's newest snapshot that is not a dump; an id is passed through.</summary>
    public static async Task<string> ResolveAsync(ResticClient restic, string host, string app, string snapshot, CancellationToken ct)
    {
        if (snapshot != "latest") return snapshot;
        var all = await restic.SnapshotsAsync(host, [RunContext.AppTag(app)], ct);
        var latest = all.Where(s => !s.HasTag("dump")).OrderByDescending(s => s.Time).FirstOrDefault()
            ?? throw new RunnerException(RunnerExit.Failure, $"no snapshot of app {app} from host {host} in the repository");
        return latest.Id;
    }
}
