using System.Collections.Immutable;
using System.Diagnostics;
using ManifestGen.Contracts;
using ManifestGen.Runner.Hooks;
using ManifestGen.Runner.Processes;
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
        var restic = ctx.Restic();
        var ssh = new SshSession(host, ctx.WorkDir);
        var hooks = new HookRunner(ssh, app.Hooks, log);
        // Disposed at the end of the run: a heartbeat never outlives it.
        await using var deadMan = new DeadMansSwitch(ssh, app.Name, HookRunner.ComposeBound(app.Hooks), log);
        var warnings = ImmutableArray.CreateBuilder<string>();
        var dumpIds = ImmutableArray.CreateBuilder<string>();
        var cleanupErrors = new List<string>();
        var recovered = ImmutableArray<string>.Empty;
        var stopped = ImmutableArray<string>.Empty;
        // From the stop until compose start returned: what the services were down for.
        var stoppedFor = new Stopwatch();
        long bytesAdded = 0;
        long? wire = null;
        BackupSummary? files = null;
        var exit = RunnerExit.Ok;
        string? error = null;
        string? partial = null;
        Exception? failure = null;
        // After hooks belong to runs that got as far as the before hooks (also when those then failed).
        var hostTouched = false;

        log.Info($"backup of app {app.Name} from host {host.Name} ({app.Strategy.ToString().ToLowerInvariant()}): {string.Join(", ", app.Paths)}");
        try
        {
            // Everything that can be checked before the host is touched: restic, repository and
            // password, then the host's paths. Only then hooks run and services stop.
            await restic.RequireVersionAsync(ct);
            await restic.RequireRepositoryAsync(ct);
            // Stale locks only (restic's rule: same hostname and its PID gone, or 30 minutes old). Every
            // pod of this job has the same hostname and never two at once, so a lock a killed pod of this
            // job left behind goes now instead of blocking the next prune, or this backup behind a killed prune.
            ResticClient.Throw(await restic.RunAsync(["unlock"], ct, locking: false), "restic unlock");
            await RemotePaths.RequireExistAsync(ssh, app.Paths, ctx.Log, ct);
            if (!app.Hooks.StopServices.IsEmpty)
            {
                recovered = await deadMan.RecoverAsync(ct);
                if (!recovered.IsEmpty)
                    warnings.Add($"services {string.Join(' ', recovered)} were left stopped by a previous run and have been started again");
            }

            hostTouched = true;
            await hooks.RunCommandsAsync("before", app.Hooks.Before, ct);
            foreach (var dump in app.Hooks.Dumps)
            {
                var d = await DumpAsync(ctx, restic, ssh, host, app, dump);
                dumpIds.Add(d.SnapshotId!);
                bytesAdded += d.DataAddedPacked;
            }

            var running = app.Hooks.KeepServicesRunning ? [] : await hooks.RunningServicesAsync(ct);
            if (app.Hooks.KeepServicesRunning && !app.Hooks.StopServices.IsEmpty)
                log.Warn($"services {string.Join(' ', app.Hooks.StopServices)} keep running during the copy (hooks.keepServicesRunning): the snapshot holds their files as they were being written");
            // Arms the host's switch, then stops: from here until StartAsync the services are down.
            async Task StopAsync()
            {
                if (running.IsEmpty) return;
                // The host starts them again on its own if this pod stops renewing the switch (killed, cut off).
                await deadMan.ArmAsync(hooks.ComposeDirectory, running, app.Hooks.SwitchDelaySeconds, ctx.SecondsUntilPodIsGone(), ct);
                // Set before stopping: a stop that fails half-way is still undone.
                stopped = running;
                stoppedFor.Start();
                await hooks.StopServicesAsync(running, ct);
            }
            try
            {
                if (app.Strategy == TransferStrategy.Rsync)
                {
                    // The stamps live next to the restic cache, on the mirror's own volume.
                    var stamps = Path.Combine(ctx.Config.Repository.CacheDir, "manifestgen");
                    var checksumStamp = Path.Combine(stamps, app.Name + ".checksum");
                    var mirrorStamp = Path.Combine(stamps, app.Name + ".mirror");
                    var damaged = await RsyncTransfer.RemoveMirrorFilesChangedSinceAsync(app, mirrorStamp, log, ct);
                    if (!damaged.IsEmpty)
                    {
                        var w = $"{damaged.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)} mirror file(s) changed since the last run without a transfer " +
                            $"(damaged or replaced on the mirror's volume), fetched again from the host: {string.Join(", ", damaged.Take(20))}" +
                            (damaged.Length > 20 ? $" and {damaged.Length - 20} more" : "");
                        log.Warn(w);
                        warnings.Add(w);
                    }
                    // An empty mirror (the first run, or a mirror volume lost) fetches every file whole: a comparison
                    // by content would read the whole app on the host once more for nothing, and counts as done.
                    var firstCopy = RsyncTransfer.MirrorIsEmpty(app);
                    if (firstCopy) log.Info($"the mirror of {app.Name} is empty: every file is fetched whole, no comparison by checksum");
                    var checksum = !firstCopy && RsyncTransfer.ChecksumDue(checksumStamp, app.ChecksumIntervalDays, DateTimeOffset.UtcNow);
                    RsyncTransfer.Result pulled;
                    if (running.IsEmpty)
                        pulled = await RsyncTransfer.PullAsync(ssh, app, log, checksum, servicesStopped: false, ct);
                    else
                    {
                        // The long pass (and the periodic checksum comparison) while the services run; under
                        // the stop only what changed since moves, and the listings decide about a third pass.
                        var live = await RsyncTransfer.LivePassAsync(ssh, app, log, checksum, ct);
                        await StopAsync();
                        var last = await RsyncTransfer.PullAsync(ssh, app, log, checksum: false, servicesStopped: true, ct);
                        pulled = new RsyncTransfer.Result(live.BytesOverWire + last.BytesOverWire, [.. live.Warnings.Union(last.Warnings)]);
                    }
                    if (checksum || firstCopy) RsyncTransfer.WriteChecksumStamp(checksumStamp, DateTimeOffset.UtcNow);
                    RsyncTransfer.WriteMirrorStamp(mirrorStamp);
                    wire = pulled.BytesOverWire;
                    warnings.AddRange(pulled.Warnings);
                    stopped = await StartAsync(ctx, hooks, deadMan, stopped, cleanupErrors, stoppedFor);
                    (files, exit, partial) = await FileBackupAsync(restic, host, app, log, warnings, ignoreInode: false, ct);
                }
                else if (app.Strategy == TransferStrategy.Sshfs)
                {
                    await StopAsync();
                    await using var mount = new SshfsTransfer(ssh, app, log);
                    await mount.MountAsync(ct);
                    (files, exit, partial) = await FileBackupAsync(restic, host, app, log, warnings, ignoreInode: true, ct);
                }
                else
                {
                    await StopAsync();
                    files = await TarAsync(ctx, restic, ssh, host, app);
                    wire = files.TotalBytesProcessed;
                }
            }
            finally
            {
                stopped = await StartAsync(ctx, hooks, deadMan, stopped, cleanupErrors, stoppedFor);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            if (hostTouched)
            {
                using var budget = ctx.Cleanup(TimeSpan.FromHours(1));
                try
                {
                    await hooks.RunCommandsAsync("after", app.Hooks.After, budget.Token);
                }
                catch (Exception ex) when (ex is RunnerException or OperationCanceledException)
                {
                    var message = ex is OperationCanceledException ? "after hooks cut short: the shutdown budget ran out" : ex.Message;
                    log.Error(message);
                    cleanupErrors.Add(message);
                }
            }
        }
        bytesAdded += files?.DataAddedPacked ?? 0;
        if (failure is not null)
            (exit, error) = Failures.Classify(failure, ct.IsCancellationRequested);
        else if (exit == RunnerExit.Partial)
            error = partial + " (partialIsFailure: set it to false to keep such a snapshot as a warning)";
        // Clean-up errors always reach the summary: a service that did not come back or a failed after
        // hook fails the run, also when the snapshot exists and also when the main step failed.
        if (cleanupErrors.Count > 0)
        {
            if (exit == RunnerExit.Ok) exit = RunnerExit.Failure;
            error = string.Join("; ", (error is null ? [] : new[] { error }).Concat(cleanupErrors));
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
            ServicesRecovered = recovered,
            ServicesLeftStopped = stopped,
            ServicesStoppedSeconds = stoppedFor.IsRunning || stoppedFor.ElapsedTicks == 0 ? null : Math.Round(stoppedFor.Elapsed.TotalSeconds, 3),
            ServicesRestartAt = stopped.IsEmpty ? null : deadMan.FiresAt?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            Warnings = warnings.ToImmutable(),
            Error = error,
        };
    }

    /// <summary>
    /// Starts the stopped services within the clean-up budget and cancels the host's switch; returns
    /// what is still stopped (empty on success). A failure is a clean-up error that names the services
    /// and when the host will start them on its own.
    /// </summary>
    private static async Task<ImmutableArray<string>> StartAsync(
        RunContext ctx, HookRunner hooks, DeadMansSwitch deadMan, ImmutableArray<string> services, List<string> errors, Stopwatch? stoppedFor = null)
    {
        if (services.IsEmpty) return services;
        using var budget = ctx.Cleanup(TimeSpan.FromMinutes(5));
        try
        {
            await hooks.StartServicesAsync(services, budget.Token);
            stoppedFor?.Stop();
        }
        catch (Exception ex) when (ex is RunnerException or OperationCanceledException)
        {
            // Renewals end here, so the host starts them within the delay of the last one that got through.
            await deadMan.StopHeartbeatAsync();
            var when = deadMan.FiresAt?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) ?? "(unknown)";
            var message = $"services {string.Join(' ', services)} are still stopped on host {ctx.Config.Host?.Name}: " +
                (ex is OperationCanceledException ? "compose start ran out of time" : ex.Message) +
                $"; the host's dead man's switch starts them at {when}, or the next run does";
            ctx.Log.Error(message);
            errors.Add(message);
            return services;
        }
        try
        {
            await deadMan.DisarmAsync(budget.Token);
        }
        catch (Exception ex) when (ex is RunnerException or OperationCanceledException)
        {
            ctx.Log.Warn(ex is OperationCanceledException ? "could not cancel the dead man's switch in time" : ex.Message);
        }
        return [];
    }

    private static ImmutableArray<string> Tags(AppConfig app, params string[] extra) => SnapshotTags.Of(app.Name, app.Tags, extra);

    private static IEnumerable<string> TagArgs(ImmutableArray<string> tags) => tags.SelectMany(t => new[] { "--tag", t });

    private static async Task<(BackupSummary, RunnerExit, string?)> FileBackupAsync(
        ResticClient restic, HostConfig host, AppConfig app, Log log, ImmutableArray<string>.Builder warnings, bool ignoreInode, CancellationToken ct)
    {
        var args = new List<string> { "--host", host.Name };
        args.AddRange(TagArgs(Tags(app)));
        foreach (var e in app.Excludes) args.AddRange(["--exclude", e]);
        if (ignoreInode) args.Add("--ignore-inode");
        args.Add("--");
        args.AddRange(app.Paths.Select(p => LocalPaths.For(app.LocalRoot, p)));
        log.Info("restic backup started");
        var (r, summary, unreadable) = await restic.BackupAsync(args, ct);
        var outcome = ResticExit.Classify(r.ExitCode);
        if (outcome == ResticOutcome.Partial && summary?.SnapshotId is not null)
        {
            var named = unreadable.IsEmpty ? "" : $": {string.Join(", ", unreadable.Take(20))}{(unreadable.Length > 20 ? $" and {unreadable.Length - 20} more" : "")}";
            var w = ResticExit.Describe(outcome, r.ExitCode) + named;
            log.Warn(w);
            warnings.Add(w);
            return (summary, ResticExit.ToRunnerExit(outcome, app.PartialIsFailure), w);
        }
        if (outcome != ResticOutcome.Ok || summary?.SnapshotId is null)
        {
            ResticClient.Throw(r with { ExitCode = r.ExitCode == 0 ? 1 : r.ExitCode }, "restic backup");
        }
        log.Info($"snapshot {summary!.SnapshotId}: {summary.FilesNew} new, {summary.FilesChanged} changed, {summary.FilesUnmodified} unmodified files");
        return (summary, RunnerExit.Ok, null);
    }

    /// <summary>
    /// A command's stdout streamed into restic (--stdin-from-command): restic saves no snapshot when the
    /// command exits non-zero. Should one appear anyway, it is forgotten before the failure is reported.
    /// </summary>
    private static async Task<BackupSummary> StreamAsync(
        RunContext ctx, ResticClient restic, SshSession ssh, HostConfig host, AppConfig app,
        string fileName, string remoteCommand, ImmutableArray<string> tags, Bound? timeout, Bound? stall, string what)
    {
        var args = new List<string> { "--host", host.Name };
        args.AddRange(TagArgs(tags));
        args.AddRange(["--stdin-filename", fileName, "--stdin-from-command", "--"]);
        args.AddRange(ssh.SshCommand(app.CompressTransfer));
        args.AddRange(["--", remoteCommand]);
        ctx.Log.Info($"restic backup started ({what} streamed as {fileName})");
        var (result, summary, _) = await restic.BackupAsync(args, ctx.Cancel, timeout?.Span,
            stall is null ? null : new Watchdog(stall, ProcessTree.BytesRead));
        if (result.Succeeded && summary?.SnapshotId is not null)
        {
            ctx.Log.Info($"{what}: snapshot {summary.SnapshotId}, {summary.TotalBytesProcessed} bytes streamed");
            return summary;
        }
        if (summary?.SnapshotId is { } orphan)
        {
            ctx.Log.Warn($"{what} failed after restic saved snapshot {orphan}: forgetting it");
            using var budget = ctx.Cleanup(TimeSpan.FromMinutes(5));
            var f = await restic.RunAsync(["forget", orphan], budget.Token);
            if (!f.Succeeded) ctx.Log.Error($"could not forget snapshot {orphan} of the failed {what}: remove it by hand");
        }
        if (result.Fired is { } fired && fired == stall)
            throw ctx.Log.BoundFired(fired, what, $"nothing arrived from the host for {fired.Seconds} s (a frozen stream)");
        if (result.Fired is null && result.TimedOut && timeout is { } bound)
            throw ctx.Log.BoundFired(bound, what, $"still streaming after {bound.Seconds} s");
        ResticClient.Throw(result with { ExitCode = result.ExitCode == 0 ? 1 : result.ExitCode }, $"{what} into restic");
        throw new UnreachableException();
    }

    private static Task<BackupSummary> DumpAsync(RunContext ctx, ResticClient restic, SshSession ssh, HostConfig host, AppConfig app, DumpStream dump)
    {
        // dump.FileName is a plain file name: JobConfigRules refused anything else when the configuration was loaded.
        var index = app.Hooks.Dumps.IndexOf(dump);
        return StreamAsync(ctx, restic, ssh, host, app, dump.FileName, dump.Command, Tags(app, SnapshotTags.Dump, SnapshotTags.DumpName(dump.Name)),
            new Bound($"app.hooks.dumps[{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}].timeoutSeconds", dump.TimeoutSeconds), null, $"dump {dump.Name}");
    }

    // A tar stream that stops arriving (tar frozen on the host) is bounded like a frozen rsync.
    private static Task<BackupSummary> TarAsync(RunContext ctx, ResticClient restic, SshSession ssh, HostConfig host, AppConfig app) =>
        StreamAsync(ctx, restic, ssh, host, app, app.Name + ".tar", RemoteCommands.TarStream(app), Tags(app, SnapshotTags.TarStream), null,
            RsyncTransfer.StallBound(app), "tar stream");
}
