using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using ManifestGen.Runner.Restic;

namespace ManifestGen.Runner.Jobs;

/// <summary>
/// The offsite copy: restic copy of the primary's snapshots that the copy does not have yet. Idempotent
/// (restic skips a snapshot the copy already holds), safe to kill and rerun (packs of a killed run are
/// written again or reused; no snapshot refers to an incomplete one), and locking as a backup does: a shared
/// lock on both repositories, waited for within repository.retryLockSeconds.
/// </summary>
public static class CopyJob
{
    /// <summary>A snapshot id no repository holds: what the append-only probe asks the server to delete.</summary>
    private static readonly string ProbeId = new('0', 64);

    public static async Task<RunSummary> RunAsync(RunContext ctx)
    {
        var sw = Stopwatch.StartNew();
        var copy = ctx.Config.Copies is [var only] ? only
            : throw new RunnerException(RunnerExit.Usage, "`copy` needs a job configuration with exactly the one copy it writes");
        var primary = ctx.Restic();
        await primary.RequireVersionAsync(ctx.Cancel);
        var target = ctx.CopyRestic(copy, fromPrimary: true);
        if (copy.AppendOnly)
            await RequireAppendOnlyAsync(copy, ctx);
        // A new copy takes the primary's chunker parameters, so restic copies packs' blobs without re-chunking
        // and the copy deduplicates as the primary does.
        var probe = await target.RunAsync(["cat", "config", "--no-lock"], ctx.Cancel, locking: false, echoStderr: false);
        if (!probe.Succeeded)
        {
            if (ResticExit.Classify(probe.ExitCode) != ResticOutcome.RepositoryMissing) ResticClient.Throw(probe, $"restic cat config (copy {copy.Name})");
            ctx.Log.Info($"initialising copy {copy.Name}");
            ResticClient.Throw(await target.RunAsync(["init", "--copy-chunker-params"], ctx.Cancel, locking: false), $"restic init (copy {copy.Name})");
        }
        var before = (await target.SnapshotsAsync(null, [], ctx.Cancel)).Length;
        var r = await target.RunAsync(["copy"], ctx.Cancel, onStdout: line => ctx.Log.Output("restic", line));
        ResticClient.Throw(r, $"restic copy (to {copy.Name})");
        var after = (await target.SnapshotsAsync(null, [], ctx.Cancel)).Length;
        ctx.Log.Info($"copy {copy.Name}: {(after - before).ToString(CultureInfo.InvariantCulture)} snapshot(s) copied, {after.ToString(CultureInfo.InvariantCulture)} in the copy");
        return new RunSummary
        {
            Command = "copy",
            Outcome = Outcome.Success,
            ExitCode = 0,
            SnapshotsCopied = after - before,
            DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
        };
    }

    /// <summary>
    /// The inventory says the REST server refuses deletions: ask it to delete a snapshot no repository
    /// holds. An append-only server refuses every deletion but of locks before it looks for the file (403);
    /// a server that would delete answers 404 for the missing file. Nothing is ever deleted.
    /// </summary>
    public static async Task RequireAppendOnlyAsync(CopyConfig copy, RunContext ctx)
    {
        var location = copy.Repository.Location;
        if (!location.StartsWith("rest:", StringComparison.Ordinal))
            throw new RunnerException(RunnerExit.Usage, $"copy {copy.Name} is marked append-only, but {location} is not a REST server");
        var url = new Uri(location["rest:".Length..].TrimEnd('/') + "/snapshots/" + ProbeId);
        var user = copy.UsernameFile is { } u ? ResticClient.ReadSecretFile(u, $"copy {copy.Name}'s user") : "";
        var password = copy.SecretFile is { } p ? ResticClient.ReadSecretFile(p, $"copy {copy.Name}'s password") : "";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(Math.Max(30, copy.Repository.StallTimeoutSeconds)) };
        using var request = new HttpRequestMessage(HttpMethod.Delete, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        HttpStatusCode status;
        try
        {
            using var response = await http.SendAsync(request, ctx.Cancel);
            status = response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            throw new RunnerException(RunnerExit.Failure, $"copy {copy.Name}: the REST server did not answer the append-only probe: {e.Message}");
        }
        if (status == HttpStatusCode.Forbidden)
        {
            ctx.Log.Info($"copy {copy.Name}: the server refuses deletions (append-only)");
            return;
        }
        throw new RunnerException(RunnerExit.Failure, status == HttpStatusCode.Unauthorized
            ? $"copy {copy.Name}: the REST server refused the copy's user (401): check the access Secret"
            : $"copy {copy.Name} is marked append-only, but its REST server answered a deletion with {(int)status} instead of 403: it would delete snapshots (run it with --append-only), nothing copied");
    }

}
