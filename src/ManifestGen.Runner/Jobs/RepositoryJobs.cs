using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using ManifestGen.Contracts;
using ManifestGen.Runner.Restic;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Jobs;

/// <summary>Commands that touch only the repository: init, maintain, check, snapshots.</summary>
public static class RepositoryJobs
{
    private static RunSummary Done(string command, Stopwatch sw, long? removed = null) => new()
    {
        Command = command,
        Outcome = Outcome.Success,
        ExitCode = 0,
        SnapshotsRemoved = removed,
        DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
    };

    /// <summary>Idempotent: initialises only a repository that does not exist (restic exit 10).</summary>
    public static async Task<RunSummary> InitAsync(RunContext ctx)
    {
        var sw = Stopwatch.StartNew();
        var restic = ctx.Restic();
        await restic.RequireVersionAsync(ctx.Cancel);
        var probe = await restic.RunAsync(["cat", "config"], ctx.Cancel, locking: false, echoStderr: false);
        var outcome = ResticExit.Classify(probe.ExitCode);
        if (probe.Succeeded)
        {
            ctx.Log.Info($"repository {ctx.Config.Repository.Location} already exists: nothing to do");
            return Done("init", sw);
        }
        if (outcome != ResticOutcome.RepositoryMissing) ResticClient.Throw(probe, "restic cat config");
        ctx.Log.Info($"initialising repository {ctx.Config.Repository.Location}");
        var r = await restic.RunAsync(["init"], ctx.Cancel, locking: false);
        ResticClient.Throw(r, "restic init");
        return Done("init", sw);
    }

    /// <summary>
    /// restic check, with a read-data subset when configured. A copy's check job (its configuration names
    /// the copy) checks the copy instead, reading the subset n/N of this day (<see cref="CopyJob.Subset"/>).
    /// </summary>
    public static async Task<RunSummary> CheckAsync(RunContext ctx)
    {
        var sw = Stopwatch.StartNew();
        var copy = ctx.Config.Copies is [var only] ? only : null;
        var restic = copy is null ? ctx.Restic() : ctx.CopyRestic(copy);
        await restic.RequireVersionAsync(ctx.Cancel);
        var args = new List<string> { "check" };
        if (copy is not null)
        {
            var n = ResticSyntax.CopyCheckSubset(DateTimeOffset.UtcNow, copy.CheckSubsets);
            args.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--read-data-subset={n}/{copy.CheckSubsets}"));
            ctx.Log.Info($"checking copy {copy.Name}, pack subset {n} of {copy.CheckSubsets}");
        }
        else if (ctx.Config.Maintenance?.ReadDataSubset is { } subset) args.Add("--read-data-subset=" + subset);
        var r = await restic.RunAsync(args, ctx.Cancel, onStdout: line => ctx.Log.Output("restic", line));
        ResticClient.Throw(r, "restic check");
        return Done("check", sw);
    }

    /// <summary>
    /// Removes stale locks, forgets per retention group (host + app tag, grouped by host and tags so
    /// dumps, tar and file snapshots each keep their own history), then prunes once.
    /// </summary>
    public static async Task<RunSummary> MaintainAsync(RunContext ctx)
    {
        var sw = Stopwatch.StartNew();
        var maintenance = ctx.Config.Maintenance ??
            throw new RunnerException(RunnerExit.Usage, "`maintain` needs a job configuration with maintenance settings");
        var restic = ctx.Restic();
        await restic.RequireVersionAsync(ctx.Cancel);
        // Only stale locks: a lock of a running backup on another pod is kept.
        ResticClient.Throw(await restic.RunAsync(["unlock"], ctx.Cancel, locking: false), "restic unlock");

        long removed = 0;
        foreach (var group in maintenance.Groups)
        {
            var policy = PolicyArgs(group);
            var tag = SnapshotTags.App(group.App);
            var existing = await restic.SnapshotsAsync(group.Host, [tag], ctx.Cancel);
            if (existing.IsEmpty)
            {
                ctx.Log.Info($"retention {group.Host}/{group.App}: no snapshots yet");
                continue;
            }
            // restic forgets everything when --keep-tag names a tag no snapshot has: refuse instead.
            foreach (var keepTag in group.Policy.KeepTags.Where(t => !existing.Any(s => s.HasTag(t))))
                throw new RunnerException(RunnerExit.Usage,
                    $"retention {group.Host}/{group.App}: keep-tag '{keepTag}' matches no snapshot; forgetting would remove all of them, refused");
            var r = await restic.RunAsync(
                ["forget", "--json", "--host", group.Host, "--tag", tag, "--group-by", "host,tags", .. policy],
                ctx.Cancel, echoStderr: true);
            ResticClient.Throw(r, $"restic forget ({group.Host}/{group.App})");
            var ids = RemovedIds(r.Stdout, ctx.Log);
            var n = ids.Length;
            // restic 0.18 exits 0 when the backend refuses a deletion (an append-only REST server answers
            // 403): only the repository itself tells whether the snapshots are gone.
            if (n > 0)
            {
                var after = await restic.SnapshotsAsync(group.Host, [tag], ctx.Cancel);
                var kept = after.Count(s => ids.Contains(s.Id));
                if (kept > 0)
                    throw new RunnerException(RunnerExit.Failure,
                        $"retention {group.Host}/{group.App}: restic forget did not remove {kept} of {n} snapshot(s); the repository refused the deletion (an append-only server does: run maintenance with the full credential)");
            }
            removed += n;
            ctx.Log.Info($"retention {group.Host}/{group.App}: {n} snapshot(s) forgotten");
        }
        if (maintenance.Prune)
            ResticClient.Throw(await restic.RunAsync(["prune"], ctx.Cancel, onStdout: line => ctx.Log.Output("restic", line)), "restic prune");
        return Done("maintain", sw, removed);
    }

    public static ImmutableArray<string> PolicyArgs(RetentionGroup group)
    {
        var args = ResticSyntax.KeepArgs(group.Policy);
        if (args.IsEmpty)
            throw new RunnerException(RunnerExit.Usage, $"retention {group.Host}/{group.App}: the policy keeps nothing; refused");
        return args;
    }

    private static ImmutableArray<string> RemovedIds(string forgetJson, Log log)
    {
        var ids = ImmutableArray.CreateBuilder<string>();
        foreach (var g in ResticJson.Deserialize<JsonElement[]>(forgetJson.Trim() is { Length: > 0 } s ? s : "[]", "restic forget", log))
            if (g.ValueKind == JsonValueKind.Object && g.TryGetProperty("remove", out var rm) && rm.ValueKind == JsonValueKind.Array)
                foreach (var snap in rm.EnumerateArray())
                    ids.Add(snap.ValueKind == JsonValueKind.Object && snap.TryGetProperty("id", out var id) ? id.GetString() ?? "" : "");
        return ids.ToImmutable();
    }

    /// <summary>The app's snapshots (or the whole repository's with --all), as restic prints them.</summary>
    public static async Task<RunSummary> SnapshotsAsync(RunContext ctx, bool all, bool json, TextWriter stdout, string? repository = null, string? passwordFile = null,
        string? fromCopy = null)
    {
        var sw = Stopwatch.StartNew();
        var restic = fromCopy is { } copy ? ctx.CopyRestic(ctx.RequireCopy(copy)) : ctx.Restic(repository, passwordFile);
        await restic.RequireVersionAsync(ctx.Cancel);
        var args = new List<string> { "snapshots" };
        if (json) args.Add("--json");
        if (!all)
        {
            var app = ctx.RequireApp("snapshots");
            args.AddRange(["--host", ctx.RequireHost("snapshots").Name, "--tag", SnapshotTags.App(app.Name)]);
        }
        var r = await restic.RunAsync(args, ctx.Cancel);
        ResticClient.Throw(r, "restic snapshots");
        stdout.Write(r.Stdout);
        return Done("snapshots", sw);
    }
}
