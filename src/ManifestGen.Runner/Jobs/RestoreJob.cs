using ManifestGen.Contracts;
using System.Collections.Immutable;
using System.Diagnostics;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Restore;
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
    /// <summary>Host paths to restore (a file or a folder); empty means the whole app. With <see cref="Dump"/> onto the host: the one file to write.</summary>
    public ImmutableArray<string> Paths { get; init; } = [];
    /// <summary>Local folder; the host path is recreated beneath it (target/srv/app/x.conf), as the repository holds it.</summary>
    public string? Target { get; init; }
    /// <summary>Local folder that receives one tar archive of what the host had (types, owners, modes, devices, links).</summary>
    public string? Archive { get; init; }
    /// <summary>Write back to the same paths on the host over SSH.</summary>
    public bool ToHost { get; init; }
    /// <summary>The dump (hooks.dumps name) to restore instead of files: its newest snapshot, or the one <see cref="Snapshot"/> or <see cref="At"/> picks among its own.</summary>
    public string? Dump { get; init; }
    /// <summary>Write the dump to standard output, and nothing else there or on stderr unless the restore fails.</summary>
    public bool Stdout { get; init; }
    /// <summary>Where the snapshot is restored first (for the host, an archive, a dump); default: the run's private temp folder.</summary>
    public string? Staging { get; init; }
    /// <summary>Instead of the job configuration's: a repository location (e.g. a copy of the repository on this machine).</summary>
    public string? Repository { get; init; }
    /// <summary>Instead of the job configuration's: the file holding the repository password.</summary>
    public string? PasswordFile { get; init; }
    /// <summary>Restore from this offsite copy of the configuration (<see cref="JobConfig.Copies"/>).</summary>
    public string? FromCopy { get; init; }
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
        var destinations = new[] { options.ToHost, options.Target is not null, options.Archive is not null, options.Stdout }.Count(d => d);
        if (destinations != 1)
            throw new RunnerException(RunnerExit.Usage, "restore needs exactly one of --target DIR, --archive DIR, --to-host and --stdout");
        if (options.Stdout && options.Dump is null)
            throw new RunnerException(RunnerExit.Usage, "--stdout writes a dump: give --dump NAME");
        if (options.Dump is not null && options.Archive is not null)
            throw new RunnerException(RunnerExit.Usage, "a dump is one file: restore it with --target DIR, --to-host --path FILE or --stdout, not --archive");
        if (options.Dump is not null && options.ToHost && options.Paths.Length != 1)
            throw new RunnerException(RunnerExit.Usage, $"a dump onto the host needs --path FILE: where below app {app.Name}'s paths ({string.Join(", ", app.Paths)}) to write it");
        if (options.Dump is not null && !options.ToHost && !options.Paths.IsEmpty)
            throw new RunnerException(RunnerExit.Usage, "--path with --dump names the file on the host: only with --to-host");
        foreach (var p in options.Paths)
            if (!p.StartsWith('/')) throw new RunnerException(RunnerExit.Usage, $"--path '{p}' must be an absolute host path");

        var restic = options.FromCopy is { } copy ? ctx.CopyRestic(ctx.RequireCopy(copy)) : ctx.Restic(options.Repository, options.PasswordFile);
        await restic.RequireVersionAsync(ctx.Cancel);
        var snapshot = await ResolveAsync(restic, host.Name, app.Name, options, ctx.Cancel);
        // The snapshot's paths to restore: a dump's one file, else the requested (default: all of the app's).
        ImmutableArray<string> paths = options.Dump is not null ? [.. snapshot.Paths] : options.Paths.IsEmpty ? app.Paths : options.Paths;
        // Only the app's own paths (and, for a dump snapshot, its dump file): a pod may restore its app and
        // nothing else of the host. A dump goes onto the host only below the app's paths.
        ImmutableArray<string> allowed = snapshot.HasTag(SnapshotTags.Dump) && options.Dump is null ? [.. app.Paths, .. snapshot.Paths] : app.Paths;
        foreach (var p in options.Dump is not null ? options.Paths : paths)
            if (!IsSafePath(p) || !allowed.Any(root => IsSameOrUnder(p, root)))
                throw new RunnerException(RunnerExit.Usage,
                    $"--path '{p}' is not one of app {app.Name}'s paths ({string.Join(", ", allowed)}); refusing");
        if (options.Dump is not null && paths.Length != 1)
            throw new RunnerException(RunnerExit.Failure, $"dump snapshot {snapshot.ShortId ?? snapshot.Id} holds {paths.Length} paths, not one file");
        // Where each restored path ends: on the host the dump goes to --path, everything else to its own path.
        ImmutableArray<string> destinations2 = options.Dump is not null && options.ToHost ? options.Paths : paths;

        SshSession? ssh = null;
        string? archiveFile = null;
        if (options.ToHost)
        {
            ssh = new SshSession(host, ctx.WorkDir);
            var missing = await RemotePaths.MissingAsync(ssh, destinations2, ctx.Log, ctx.Cancel);
            var existing = destinations2.Where(p => !missing.Contains(p)).ToList();
            if (existing.Count > 0 && !options.Force)
                throw new RunnerException(RunnerExit.Failure,
                    $"restore would overwrite {string.Join(", ", existing)} on host {host.Name}; pass --force to overwrite");
        }
        else if (options.Target is { } dir)
        {
            var target = Path.GetFullPath(dir);
            var existing = paths.Select(p => LocalPaths.For(target, p)).Where(ExistsNoFollow).ToList();
            if (existing.Count > 0 && !options.Force)
                throw new RunnerException(RunnerExit.Failure,
                    $"restore would overwrite {string.Join(", ", existing)}; pass --force to overwrite");
        }
        else if (options.Archive is { } archiveDir)
        {
            archiveFile = Path.Combine(Path.GetFullPath(archiveDir), ArchiveName(host.Name, app.Name, snapshot));
            if (ExistsNoFollow(archiveFile) && !options.Force)
                throw new RunnerException(RunnerExit.Failure, $"restore would overwrite {archiveFile}; pass --force to overwrite");
        }

        // Straight into --target; everything else is staged first, on the staging volume the restore Job
        // mounts (sized to the app), or in the run's private 0700 work folder: nothing else in the pod is
        // reachable from it without a link, and links are followed neither here nor by rsync (PushAsync).
        var staging = options.Target is null ? NewStagingFolder(options.Staging ?? ctx.WorkDir) : null;
        try
        {
            var restoreInto = staging ?? Path.GetFullPath(options.Target!);
            var restored = await RestoreFilesAsync(ctx, restic, snapshot, paths, restoreInto, options.Force || staging is not null,
                $"{(options.ToHost ? "host " + host.Name : archiveFile ?? (options.Stdout ? "standard output" : restoreInto))}");
            long bytes = 0;
            var warnings = ImmutableArray<string>.Empty;
            if (ssh is not null)
            {
                if (options.Dump is not null)
                {
                    // The dump file moves to where it goes on the host, below the staging folder.
                    var from = LocalPaths.For(staging!, paths[0]);
                    var to = LocalPaths.For(staging! + "/host", destinations2[0]);
                    Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                    File.Move(from, to);
                    await PushAsync(ssh, app, staging! + "/host", destinations2[0], StagedKind.File, ctx);
                    ctx.Log.Info($"restored dump {options.Dump} to {destinations2[0]} on host {host.Name}");
                }
                else
                    foreach (var (p, kind) in Inspected(staging!, paths, snapshot))
                    {
                        await PushAsync(ssh, app, staging!, p, kind, ctx);
                        ctx.Log.Info($"restored {p} onto host {host.Name}");
                    }
            }
            else if (archiveFile is not null)
            {
                _ = Inspected(staging!, paths, snapshot);
                var partial = archiveFile + ".partial";
                using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    var r = HostArchive.Write(file, staging!, paths, ctx.Log, ctx.Cancel);
                    bytes = r.Bytes;
                    warnings = r.Warnings;
                }
                File.Move(partial, archiveFile, overwrite: true);
                ctx.Log.Info($"wrote {archiveFile}: the host's types, owners, modes and links; extract as root with " +
                    $"tar --numeric-owner --xattrs --xattrs-include='*' -xpf {Path.GetFileName(archiveFile)} -C /");
            }
            else if (options.Stdout)
            {
                _ = Inspected(staging!, paths, snapshot);
                await using var stdout = Console.OpenStandardOutput();
                await using var dump = File.OpenRead(LocalPaths.For(staging!, paths[0]));
                await dump.CopyToAsync(stdout, ctx.Cancel);
                bytes = dump.Length;
            }
            else
                _ = Inspected(restoreInto, paths, snapshot);
            return new RunSummary
            {
                Command = "restore",
                App = app.Name,
                Host = host.Name,
                Outcome = Outcome.Success,
                ExitCode = 0,
                SnapshotId = snapshot.Id,
                FilesRestored = restored,
                Warnings = warnings,
                DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            };
        }
        finally
        {
            if (staging is not null) RemoveStaging(staging, ctx.Log);
        }
    }

    /// <summary>The archive's file name: host, app and snapshot, so archives of several restores sit side by side.</summary>
    public static string ArchiveName(string host, string app, SnapshotInfo snapshot) =>
        $"{host}-{app}-{snapshot.ShortId ?? snapshot.Id[..Math.Min(8, snapshot.Id.Length)]}.tar";

    private static async Task<SnapshotInfo> ResolveAsync(ResticClient restic, string host, string app, RestoreOptions options, CancellationToken ct)
    {
        if (options.Dump is not { } dump)
            return options.At is { } at
                ? await ResolveAtAsync(restic, host, app, at, ct)
                : await ResolveSnapshotAsync(restic, host, app, options.Snapshot, ct);
        var tag = SnapshotTags.DumpName(dump);
        var all = (await restic.SnapshotsAsync(host, [SnapshotTags.App(app)], ct)).Where(s => s.HasTag(tag)).ToList();
        SnapshotInfo? found = options.At is { } when
            ? all.Where(s => s.Time <= when).OrderByDescending(s => s.Time).FirstOrDefault()
            : options.Snapshot == "latest"
                ? all.OrderByDescending(s => s.Time).FirstOrDefault()
                : all.FirstOrDefault(s => s.Id == options.Snapshot || s.ShortId == options.Snapshot ||
                    (options.Snapshot.Length >= 8 && s.Id.StartsWith(options.Snapshot, StringComparison.Ordinal)));
        return found ?? throw new RunnerException(RunnerExit.Failure,
            $"no snapshot of dump {dump} of app {app} from host {host}" +
            (options.At is { } t ? $" taken at or before {Contracts.RestoreTime.Format(t)}" : options.Snapshot != "latest" ? $" with id {options.Snapshot}" : "") +
            " in the repository (`snapshots` lists them)");
    }

    private static string NewStagingFolder(string root)
    {
        var dir = Path.Combine(root, "restore-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)));
        // Private to the pod's user: the runner's own work folder is 0700; a staging volume's root may not be.
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the runner runs on Linux");
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    private static void RemoveStaging(string staging, Log log)
    {
        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Warn($"could not remove the staging folder {staging}: {ex.Message}");
        }
    }

    private static async Task<long> RestoreFilesAsync(RunContext ctx, ResticClient restic, SnapshotInfo snapshot, ImmutableArray<string> paths,
        string into, bool overwrite, string where)
    {
        var args = new List<string> { "restore", snapshot.Id, "--target", into, "--json", "--overwrite", overwrite ? "always" : "never" };
        // restic reads --include as a glob: a literal path gets its glob characters escaped.
        foreach (var p in paths) args.AddRange(["--include", Excludes.LiteralPattern(p)]);
        long restored = 0;
        void OnLine(string line)
        {
            if (ResticJson.MessageType(line, out var root) == "summary" &&
                root.TryGetProperty("files_restored", out var n) && n.TryGetInt64(out var v)) restored = v;
        }
        ctx.Log.Info($"restoring {string.Join(", ", paths)} from snapshot {snapshot.ShortId ?? snapshot.Id} into {where}");
        var r = await restic.RunAsync(args, ctx.Cancel, onStdout: OnLine);
        ResticClient.Throw(r, "restic restore");
        return restored;
    }

    /// <summary>
    /// What restic wrote, looked at without following a link: a path that passes through a link is refused
    /// (it would lead out of the restore tree, e.g. into the pod's mounted Secrets), and a path that is
    /// itself a link is restored as that link.
    /// </summary>
    private static List<(string Path, StagedKind Kind)> Inspected(string root, ImmutableArray<string> paths, SnapshotInfo snapshot)
    {
        var kinds = paths.Select(p => (Path: p, Kind: Inspect(root, p))).ToList();
        if (kinds.FirstOrDefault(k => k.Kind == StagedKind.ThroughLink) is { Path: { } through })
            throw new RunnerException(RunnerExit.Failure,
                $"{through} in snapshot {snapshot.ShortId ?? snapshot.Id} lies behind a symbolic link; refusing to follow it out of the restore");
        var missingInSnapshot = kinds.Where(k => k.Kind == StagedKind.Missing).Select(k => k.Path).ToList();
        if (missingInSnapshot.Count > 0)
            throw new RunnerException(RunnerExit.Failure,
                $"snapshot {snapshot.ShortId ?? snapshot.Id} holds none of: {string.Join(", ", missingInSnapshot)}");
        return kinds;
    }

    /// <summary>The app's newest snapshot that is not a dump and was taken at or before <paramref name="at"/>.</summary>
    public static async Task<SnapshotInfo> ResolveAtAsync(ResticClient restic, string host, string app, DateTimeOffset at, CancellationToken ct)
    {
        var all = await restic.SnapshotsAsync(host, [SnapshotTags.App(app)], ct);
        return all.Where(s => !s.HasTag(SnapshotTags.Dump) && s.Time <= at).OrderByDescending(s => s.Time).FirstOrDefault()
            ?? throw new RunnerException(RunnerExit.Failure,
                $"no snapshot of app {app} from host {host} taken at or before {Contracts.RestoreTime.Format(at)}");
    }

    /// <summary>
    /// The snapshot to restore from, among this host's snapshots of this app only: "latest" is the newest
    /// that is not a dump; an id (full or short) of another host's or app's snapshot is refused.
    /// </summary>
    public static async Task<SnapshotInfo> ResolveSnapshotAsync(ResticClient restic, string host, string app, string snapshot, CancellationToken ct)
    {
        var all = await restic.SnapshotsAsync(host, [SnapshotTags.App(app)], ct);
        if (snapshot == "latest")
            return all.Where(s => !s.HasTag(SnapshotTags.Dump)).OrderByDescending(s => s.Time).FirstOrDefault()
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
        // Bounded like a pull: a host whose receiver freezes (a hung disk) ends the restore, named, instead of
        // holding it until the Job's deadline, a day.
        var (res, _) = await RsyncTransfer.RunAsync(rsync, ctx.Log, ctx.Cancel, RsyncTransfer.StallBound(app), ProcessTree.BytesRead);
        if (!res.Succeeded) throw RsyncTransfer.Failure(ssh, res, hostPath, ctx.Log, push: true);
    }
}
