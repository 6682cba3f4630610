using System.Collections.Immutable;
using System.Diagnostics;
using ManifestGen.Contracts;
using ManifestGen.Runner.Hooks;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Restic;
using ManifestGen.Runner.Reporting;
using ManifestGen.Runner.Transfer;

namespace ManifestGen.Runner.Jobs;

/// <summary>
/// One app's backup: check the paths, before hooks, dump streams, stop services, transfer, restic
/// backup, start services again (finally), after hooks (finally). For rsync the services run again as
/// soon as the mirror is complete; restic then reads the mirror, not the host.
/// </summary>
public static class BackupJob
{
    public static async Task<RunSummary> RunAsync(RunContext ctx)
    {
        var sw = Stopwatch.StartNew();
        var host = ctx.RequireHost("backup");
        var app = ctx.RequireApp("backup");
        var log = ctx.Log;
        var ct = ctx.Cancel;
        var restic = new ResticClient(ctx.Config.Repository, log);
        await restic.RequireVersionAsync(ct);
        var ssh = new SshSession(host, ctx.WorkDir);
        var hooks = new HookRunner(ssh, app.Hooks, log);
        var warnings = ImmutableArray.CreateBuilder<string>();
        var dumpIds = ImmutableArray.CreateBuilder<string>();
        var cleanupErrors = new List<RunnerException>();
        long bytesAdded = 0;
        long? wire = null;
        BackupSummary? files = null;
        var exit = RunnerExit.Ok;

        log.Info($"backup of app {app.Name} from host {host.Name} ({app.Strategy.ToString().ToLowerInvariant()}): {string.Join(", ", app.Paths)}");
        await RemotePaths.RequireExistAsync(ssh, app.Paths, ct);
        try
        {
            await hooks.RunCommandsAsync("before", app.Hooks.Before, ct);
            foreach (var dump in app.Hooks.Dumps)
            {
                var d = await DumpAsync(ctx, restic, ssh, host, app, dump);
                dumpIds.Add(d.SnapshotId!);
                bytesAdded += d.DataAddedPacked;
            }

            var running = await hooks.RunningServicesAsync(ct);
            var restartNeeded = false;
            try
            {
                // Set before stopping: a stop that fails half-way is still undone.
                restartNeeded = true;
                await hooks.StopServicesAsync(running, ct);
                if (app.Strategy == TransferStrategy.Rsync)
                {
                    var pulled = await RsyncTransfer.PullAsync(ssh, app, log, ct);
                    wire = pulled.BytesOverWire;
                    warnings.AddRange(pulled.Warnings);
                    restartNeeded = false;
                    await Restart(hooks, running, log, cleanupErrors);
                    (files, exit) = await FileBackupAsync(restic, host, app, log, warnings, ignoreInode: false, ct);
                }
                else if (app.Strategy == TransferStrategy.Sshfs)
                {
                    await using var mount = new SshfsTransfer(ssh, app, log);
                    await mount.MountAsync(ct);
                    (files, exit) = await FileBackupAsync(restic, host, app, log, warnings, ignoreInode: true, ct);
                }
                else
                {
                    files = await TarAsync(ctx, restic, ssh, host, app);
                    wire = files.TotalBytesProcessed;
                }
            }
            finally
            {
                if (restartNeeded) await Restart(hooks, running, log, cleanupErrors);
            }
        }
        finally
        {
            using var budget = RunContext.CleanupBudget();
            try
            {
                await hooks.RunCommandsAsync("after", app.Hooks.After, budget.Token);
            }
            catch (RunnerException ex)
            {
                log.Error(ex.Message);
                cleanupErrors.Add(ex);
            }
        }
        bytesAdded += files?.DataAddedPacked ?? 0;
        string? error = exit == RunnerExit.Partial ? "restic could not read some files and the app treats that as a failure" : null;
        // The snapshot exists, but a service that did not come back or a failed after hook fails the run.
        if (cleanupErrors.Count > 0)
        {
            exit = RunnerExit.Failure;
            error = string.Join("; ", cleanupErrors.Select(e => e.Message));
        }
        var failed = exit != RunnerExit.Ok;
        return new RunSummary
        {
            Command = "backup",
            App = app.Name,
            Host = host.Name,
            Strategy = app.Strategy.ToString().ToLowerInvariant(),
            Outcome = failed ? Outcome.Failure : warnings.Count > 0 ? Outcome.Warning : Outcome.Success,
            ExitCode = (int)exit,
            SnapshotId = files?.SnapshotId,
            DumpSnapshotIds = dumpIds.ToImmutable(),
            FilesNew = files?.FilesNew,
            FilesChanged = files?.FilesChanged,
            FilesUnmodified = files?.FilesUnmodified,
            BytesOverWire = wire,
            BytesAdded = bytesAdded,
            DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            Warnings = warnings.ToImmutable(),
            Error = error,
        };
    }

    private static async Task Restart(HookRunner hooks, ImmutableArray<string> services, Log log, List<RunnerException> errors)
    {
        using var budget = RunContext.CleanupBudget();
        try
        {
            await hooks.StartServicesAsync(services, budget.Token);
        }
        catch (RunnerException ex)
        {
            log.Error(ex.Message);
            errors.Add(ex);
        }
    }

    private static ImmutableArray<string> Tags(AppConfig app, params string[] extra) =>
        [RunContext.AppTag(app.Name), .. extra, .. app.Tags];

    private static IEnumerable<string> TagArgs(ImmutableArray<string> tags) => tags.SelectMany(t => new[] { "--tag", t });

    private static async Task<(BackupSummary, RunnerExit)> FileBackupAsync(
        ResticClient restic, HostConfig host, AppConfig app, Log log, ImmutableArray<string>.Builder warnings, bool ignoreInode, CancellationToken ct)
    {
        var args = new List<string> { "--host", host.Name };
        args.AddRange(TagArgs(Tags(app)));
        foreach (var e in app.Excludes) args.AddRange(["--exclude", e]);
        if (ignoreInode) args.Add("--ignore-inode");
        args.Add("--");
        args.AddRange(app.Paths.Select(p => LocalPaths.For(app.LocalRoot, p)));
        log.Info("restic backup started");
        var (r, summary) = await restic.BackupAsync(args, ct);
        var outcome = r.Interrupted ? ResticOutcome.Interrupted : ResticExit.Classify(r.ExitCode);
        if (outcome == ResticOutcome.Partial && summary?.SnapshotId is not null)
        {
            var w = ResticExit.Describe(outcome, r.ExitCode);
            log.Warn(w);
            warnings.Add(w);
            return (summary, ResticExit.ToRunnerExit(outcome, app.PartialIsFailure));
        }
        if (outcome != ResticOutcome.Ok || summary?.SnapshotId is null)
        {
            ResticClient.Throw(r with { ExitCode = r.ExitCode == 0 ? 1 : r.ExitCode }, "restic backup");
        }
        log.Info($"snapshot {summary!.SnapshotId}: {summary.FilesNew} new, {summary.FilesChanged} changed, {summary.FilesUnmodified} unmodified files");
        return (summary, RunnerExit.Ok);
    }

    /// <summary>
    /// A command's stdout streamed into restic (--stdin-from-command): restic saves no snapshot when the
    /// command exits non-zero. Should one appear anyway, it is forgotten before the failure is reported.
    /// </summary>
    private static async Task<BackupSummary> StreamAsync(
        RunContext ctx, ResticClient restic, SshSession ssh, HostConfig host, AppConfig app,
        string fileName, string remoteCommand, ImmutableArray<string> tags, TimeSpan? timeout, string what)
    {
        var args = new List<string> { "--host", host.Name };
        args.AddRange(TagArgs(tags));
        args.AddRange(["--stdin-filename", fileName, "--stdin-from-command", "--"]);
        args.AddRange(ssh.SshCommand(app.CompressTransfer));
        args.AddRange(["--", remoteCommand]);
        ctx.Log.Info($"restic backup started ({what} streamed as {fileName})");
        BackupSummary? summary = null;
        Processes.ProcessResult? result = null;
        using var timeoutCts = timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancel, timeoutCts.Token);
        (result, summary) = await restic.BackupAsync(args, linked.Token);
        if (result.Succeeded && summary?.SnapshotId is not null)
        {
            ctx.Log.Info($"{what}: snapshot {summary.SnapshotId}, {summary.TotalBytesProcessed} bytes streamed");
            return summary;
        }
        if (summary?.SnapshotId is { } orphan)
        {
            ctx.Log.Warn($"{what} failed after restic saved snapshot {orphan}: forgetting it");
            using var budget = RunContext.CleanupBudget();
            var f = await restic.RunAsync(["forget", orphan], budget.Token);
            if (!f.Succeeded) ctx.Log.Error($"could not forget snapshot {orphan} of the failed {what}: remove it by hand");
        }
        if (timeoutCts.IsCancellationRequested && !ctx.Cancel.IsCancellationRequested)
            throw new RunnerException(RunnerExit.Failure, $"{what} timed out after {timeout!.Value.TotalSeconds} s");
        ResticClient.Throw(result with { ExitCode = result.ExitCode == 0 ? 1 : result.ExitCode }, $"{what} into restic");
        throw new UnreachableException();
    }

    private static Task<BackupSummary> DumpAsync(RunContext ctx, ResticClient restic, SshSession ssh, HostConfig host, AppConfig app, DumpStream dump)
    {
        // restic 0.18 saves a stream only as a top-level file; a folder in the name fails late and obscurely.
        if (dump.FileName.Contains('/') || dump.FileName.Length == 0)
            throw new RunnerException(RunnerExit.Usage, $"dump {dump.Name}: fileName '{dump.FileName}' must be a plain file name without '/'");
        return StreamAsync(ctx, restic, ssh, host, app, dump.FileName, RemoteRequests.Dump(dump),
            Tags(app, "dump", "dump=" + dump.Name), TimeSpan.FromSeconds(dump.TimeoutSeconds), $"dump {dump.Name}");
    }

    private static Task<BackupSummary> TarAsync(RunContext ctx, ResticClient restic, SshSession ssh, HostConfig host, AppConfig app) =>
        StreamAsync(ctx, restic, ssh, host, app, app.Name + ".tar", RemoteRequests.Tar(app), Tags(app, "tar"), null, "tar stream");
}
