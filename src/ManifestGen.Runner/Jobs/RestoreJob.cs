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
            : await ResolveSnapshotAsync(restic, host.Name, app.Name, options.Snapshot, ctx.Cancel);
        // Only the app's own paths (and, for a dump snapshot, its dump file): a pod may restore its app and
        // nothing else of the host.
        ImmutableArray<string> allowed = snapshot.HasTag("dump") ? [.. app.Paths, .. snapshot.Paths] : app.Paths;
        foreach (var p in paths)
            if (!IsSafePath(p) || !allowed.Any(root => IsSameOrUnder(p, root)))
                throw new RunnerException(RunnerExit.Usage,
                    $"--path '{p}' is not one of app {app.Name}'s paths ({string.Join(", ", allowed)}); refusing");

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
            // A private staging folder (inside the run's 0700 work folder): nothing else in the pod is
            // reachable from it without a link, and links are followed neither here nor by rsync (PushAsync).
            target = Path.Combine(ctx.WorkDir, "restore-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)));
            Directory.CreateDirectory(target);
        }
        else
        {
            target = Path.GetFullPath(options.Target!);
            var existing = paths.Select(p => LocalPaths.For(target, p)).Where(ExistsNoFollow).ToList();
            if (existing.Count > 0 && !options.Force)
                throw new RunnerException(RunnerExit.Failure,
                    $"restore would overwrite {string.Join(", ", existing)}; pass --force to overwrite");
        }

        var args = new List<string> { "restore", snapshot.Id, "--target", target, "--json", "--overwrite", options.Force ? "always" : "never" };
        // restic reads --include as a glob: a literal path gets its glob characters escaped.
        foreach (var p in paths) args.AddRange(["--include", Excludes.LiteralPattern(p)]);
        long restored = 0;
        void OnLine(string line)
        {
            if (ResticJson.MessageType(line, out var root) == "summary" &&
                root.TryGetProperty("files_restored", out var n) && n.TryGetInt64(out var v)) restored = v;
        }
        ctx.Log.Info($"restoring {string.Join(", ", paths)} from snapshot {snapshot.ShortId ?? snapshot.Id} into {(options.ToHost ? "host " + host.Name : target)}");
        var r = await restic.RunAsync(args, ctx.Cancel, onStdout: OnLine);
        ResticClient.Throw(r, "restic restore");
        // What restic wrote is looked at without following a link: a path that passes through a link is
        // refused (it would lead out of the restore tree, e.g. into the pod's mounted Secrets), and a path
        // that is itself a link is restored as that link.
        var kinds = paths.Select(p => (Path: p, Kind: Inspect(target, p))).ToList();
        if (kinds.FirstOrDefault(k => k.Kind == StagedKind.ThroughLink) is { Path: { } through })
            throw new RunnerException(RunnerExit.Failure,
                $"{through} in snapshot {snapshot.ShortId ?? snapshot.Id} lies behind a symbolic link; refusing to follow it out of the restore");
        var missingInSnapshot = kinds.Where(k => k.Kind == StagedKind.Missing).Select(k => k.Path).ToList();
        if (missingInSnapshot.Count > 0)
            throw new RunnerException(RunnerExit.Failure,
                $"snapshot {snapshot.ShortId ?? snapshot.Id} holds none of: {string.Join(", ", missingInSnapshot)}");

        if (ssh is not null)
        {
            foreach (var (p, kind) in kinds)
            {
                await PushAsync(ssh, app, target, p, kind, ctx);
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
            SnapshotId = snapshot.Id,
            FilesRestored = restored,
            DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
        };
    }

    /// <summary>The app's newest snapshot that is not a dump and was taken at or before <paramref name="at"/>.</summary>
    public static async Task<SnapshotInfo> ResolveAtAsync(ResticClient restic, string host, string app, DateTimeOffset at, CancellationToken ct)
    {
        var all = await restic.SnapshotsAsync(host, [RunContext.AppTag(app)], ct);
        return all.Where(s => !s.HasTag("dump") && s.Time <= at).OrderByDescending(s => s.Time).FirstOrDefault()
            ?? throw new RunnerException(RunnerExit.Failure,
                $"no snapshot of app {app} from host {host} taken at or before {Contracts.RestoreTime.Format(at)}");
    }

    /// <summary>
    /// The snapshot to restore from, among this host's snapshots of this app only: "latest" is the newest
    /// that is not a dump; an id (full or short) of another host's or app's snapshot is refused.
    /// </summary>
    public static async Task<SnapshotInfo> ResolveSnapshotAsync(ResticClient restic, string host, string app, string snapshot, CancellationToken ct)
    {
        var all = await restic.SnapshotsAsync(host, [RunContext.AppTag(app)], ct);
        if (snapshot == "latest")
            return all.Where(s => !s.HasTag("dump")).OrderByDescending(s => s.Time).FirstOrDefault()
                ?? throw new RunnerException(RunnerExit.Failure, $"no snapshot of app {app} from host {host} in the repository");
        var matches = all.Where(s => s.Id == snapshot || s.ShortId == snapshot ||
            (snapshot.Length >= 8 && s.Id.StartsWith(snapshot, StringComparison.Ordinal))).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new RunnerException(RunnerExit.Failure,
                $"snapshot {snapshot} is not a snapshot of app {app} from host {host}; refusing to restore it"),
            _ => throw new RunnerException(RunnerExit.Usage, $"snapshot id {snapshot} is ambiguous; give more of it"),
        };
    }

    /// <summary>Absolute, and no empty, "." or ".." component (which would let a path step out of the app's).</summary>
    internal static bool IsSafePath(string path) =>
        path.StartsWith('/') && path.TrimEnd('/').Split('/').Skip(1).All(c => c.Length > 0 && c != "." && c != "..")
        || path == "/";

    internal static bool IsSameOrUnder(string path, string root)
    {
        var p = path.TrimEnd('/');
        var r = root.TrimEnd('/');
        return p == r || p.StartsWith(r + "/", StringComparison.Ordinal) || r.Length == 0;
    }

    internal enum StagedKind { Missing, File, Directory, Link, ThroughLink }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static bool ExistsNoFollow(string path) => IsLink(path) || File.Exists(path) || Directory.Exists(path);

    /// <summary>What a restored host path is below <paramref name="root"/>, component by component, never following a link.</summary>
    internal static StagedKind Inspect(string root, string hostPath)
    {
        var current = root.TrimEnd('/');
        var parts = hostPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            current += "/" + parts[i];
            if (IsLink(current)) return i == parts.Length - 1 ? StagedKind.Link : StagedKind.ThroughLink;
            if (!File.Exists(current) && !Directory.Exists(current)) return StagedKind.Missing;
        }
        return Directory.Exists(current) ? StagedKind.Directory : StagedKind.File;
    }

    /// <summary>
    /// rsync from the staging folder to the host. Links are copied as links (-a, never -L,
    /// --copy-links or --copy-unsafe-links); a folder is sent with a trailing slash only when it is a real
    /// folder, since a trailing slash makes rsync follow a link.
    /// </summary>
    private static async Task PushAsync(SshSession ssh, AppConfig app, string target, string hostPath, StagedKind kind, RunContext ctx)
    {
        var staged = LocalPaths.For(target, hostPath);
        var isDir = kind == StagedKind.Directory;
        var rsync = RsyncTransfer.BaseArgs(ssh, app.CompressTransfer)
            .AddRange("--mkpath", isDir ? staged + "/" : staged,
                SshSession.Alias + ":" + (isDir ? hostPath.TrimEnd('/') + "/" : hostPath.TrimEnd('/')));
        var (res, _) = await RsyncTransfer.RunAsync(rsync, ctx.Log, ctx.Cancel);
        if (!res.Succeeded) throw RsyncTransfer.Failure(ssh, res, hostPath, ctx.Log);
    }
}
