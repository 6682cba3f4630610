using ManifestGen.Contracts;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Hooks;

/// <summary>
/// Makes sure stopped services start again even when the pod is killed or the host becomes unreachable:
/// before a stop, the host gets a marker and a timer that starts the services after a short delay; while
/// the run goes on the runner renews that delay (a heartbeat, every quarter of it), so when renewals stop
/// (pod killed, host or network gone) the host starts the services within the delay. The runner cancels
/// the timer when it starts them itself, and the next run starts what a previous run left stopped. The commands are in <see cref="RemoteCommands"/>; behind the host gate the
/// gate runs the switch itself (<see cref="RemoteCommands.GateSwitchArm"/>). Every request is bounded by
/// <paramref name="bound"/>, the compose bound of the stop it guards (<see cref="HookRunner.ComposeBound"/>):
/// a host slow enough to need more than a fixed minute for an SSH round trip gets what its operator set.
/// </summary>
public sealed class DeadMansSwitch(SshSession ssh, string app, Bound bound, Log log) : IAsyncDisposable
{
    private CancellationTokenSource? _heartbeat;
    private Task? _beating;

    /// <summary>Identifies this run's marker, so a late timer never acts on a later run's stop.</summary>
    public string RunId { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

    /// <summary>When the host will start the services unless cancelled (UTC).</summary>
    public DateTimeOffset? FiresAt { get; private set; }

    /// <summary>
    /// Behind the host gate the switch is the gate's own: the runner sends fixed requests (app, delay,
    /// services) that the gate checks against its allow-list and carries out itself.
    /// </summary>
    private bool Gated => ssh.Host.Gated;

    /// <summary>Cancels the timer and removes the marker (the gate's own cancel behind the gate).</summary>
    private string CancelRequest => Gated ? RemoteCommands.GateSwitchCancel(app) : RemoteCommands.DeadMansSwitchDisarm(app);

    /// <summary>
    /// Arms the host's timer for <paramref name="delaySeconds"/> and starts renewing it until <see cref="DisarmAsync"/>
    /// or <see cref="StopHeartbeatAsync"/>; never past <paramref name="boundSeconds"/> from now (the latest the pod can
    /// live; the host gate enforces the same bound, its allow-list's total).
    /// </summary>
    public async Task ArmAsync(string composeDirectory, ImmutableArray<string> services, int delaySeconds, int boundSeconds, CancellationToken ct)
    {
        var delay = Math.Max(1, Math.Min(delaySeconds, boundSeconds));
        var until = DateTimeOffset.UtcNow.AddSeconds(boundSeconds);
        var request = Gated
            ? RemoteCommands.GateSwitchArm(app, delay, services)
            : RemoteCommands.DeadMansSwitchArm(app, RunId, composeDirectory, services, delay);
        ProcessResult r;
        try
        {
            r = await RequestAsync(request, "arming the dead man's switch", "services were not stopped", ct);
        }
        catch (RunnerException)
        {
            await CancelHalfArmedAsync(ct);
            throw;
        }
        if (!r.Succeeded)
        {
            await CancelHalfArmedAsync(ct);
            throw new RunnerException(RunnerExit.Failure,
                $"cannot arm the dead man's switch on host {ssh.Host.Name} (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): " +
                $"{SshSession.LastLine(r.Stderr)}; services were not stopped");
        }
        FiresAt = DateTimeOffset.UtcNow.AddSeconds(delay);
        log.Info($"dead man's switch armed on host {ssh.Host.Name} ({SshSession.LastLine(r.Stdout)}): it starts {string.Join(' ', services)} " +
                 $"at {FiresAt.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)} unless this run does; renewed every {(delay / 4.0).ToString("0.#", CultureInfo.InvariantCulture)} s while it runs");
        _heartbeat = new CancellationTokenSource();
        var beat = _heartbeat.Token;
        _beating = Task.Run(() => BeatAsync(composeDirectory, services, delay, until, beat), CancellationToken.None);
    }

    /// <summary>
    /// Renews the timer every quarter of the delay. A renewal that fails (host cut off) is retried at the next
    /// beat; the timer then fires within the delay of the last renewal that got through, which is what
    /// <see cref="FiresAt"/> says.
    /// </summary>
    private async Task BeatAsync(string composeDirectory, ImmutableArray<string> services, int delay, DateTimeOffset until, CancellationToken beat)
    {
        var interval = TimeSpan.FromSeconds(delay / 4.0);
        try
        {
            while (true)
            {
                await Task.Delay(interval, beat);
                var left = (int)Math.Floor((until - DateTimeOffset.UtcNow).TotalSeconds);
                var seconds = Math.Min(delay, left);
                if (seconds < 1)
                {
                    log.Warn($"dead man's switch: not renewed past the pod's lifetime; the host starts the services at {FiresAt?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)} unless this run does");
                    return;
                }
                var request = Gated
                    ? RemoteCommands.GateSwitchRenew(app, seconds)
                    : RemoteCommands.DeadMansSwitchRenew(app, RunId, composeDirectory, services, seconds);
                var sent = DateTimeOffset.UtcNow;
                // A renewal slower than half the delay is given up (and retried at the next beat): the timer it
                // would replace fires at the delay, so waiting longer cannot help.
                var r = await ssh.RunAsync(request, TimeSpan.FromSeconds(Math.Max(1, Math.Min(bound.Seconds, delay / 2.0))), beat);
                if (r.Succeeded)
                {
                    // The gate may have shortened it to its total bound; it prints the seconds it armed.
                    var armed = int.TryParse(SshSession.LastLine(r.Stdout).Split(' ')[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? a : seconds;
                    FiresAt = sent.AddSeconds(Math.Min(armed, seconds));
                }
                else
                    log.Warn($"dead man's switch: renewal failed ({SshSession.LastLine(r.Stderr)}); the host starts the services at " +
                             $"{FiresAt?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)} unless a later renewal gets through");
            }
        }
        catch (OperationCanceledException) when (beat.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops renewing: the host's timer then fires at <see cref="FiresAt"/> unless cancelled.</summary>
    public async Task StopHeartbeatAsync()
    {
        if (_heartbeat is null) return;
        await _heartbeat.CancelAsync();
        if (_beating is not null) await _beating;
        _heartbeat.Dispose();
        _heartbeat = null;
        _beating = null;
    }

    public async ValueTask DisposeAsync() => await StopHeartbeatAsync();

    public async Task DisarmAsync(CancellationToken ct)
    {
        await StopHeartbeatAsync();
        var r = await RequestAsync(CancelRequest, "cancelling the dead man's switch", "it will start already running services, which is harmless", ct);
        if (!r.Succeeded)
            throw new RunnerException(RunnerExit.Failure,
                $"could not cancel the dead man's switch on host {ssh.Host.Name}: {SshSession.LastLine(r.Stderr)} (it will start already running services, which is harmless)");
        FiresAt = null;
        log.Info("dead man's switch cancelled");
    }

    /// <summary>Starts the services a previous run left stopped; returns them (empty when there were none).</summary>
    public async Task<ImmutableArray<string>> RecoverAsync(CancellationToken ct)
    {
        var marker = await RequestAsync(Gated ? RemoteCommands.GateSwitchMarker(app) : RemoteCommands.DeadMansSwitchMarker(app),
            "reading a previous run's marker", "nothing was started", ct);
        if (!marker.Succeeded) throw new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(marker));
        if (marker.Stdout.Trim().Length == 0) return [];
        var services = RemoteCommands.MarkerServices(marker.Stdout).ToImmutableArray();
        log.Warn($"a previous run left services stopped on host {ssh.Host.Name}: {string.Join(' ', services)}; starting them");
        var r = await RequestAsync(Gated ? RemoteCommands.GateSwitchRecover(app) : RemoteCommands.DeadMansSwitchRecover(app),
            $"starting {string.Join(' ', services)} left stopped by a previous run", "they may still be stopped", ct, line => log.Output("compose start", line));
        if (!r.Succeeded)
            throw new RunnerException(RunnerExit.Failure,
                $"services {string.Join(' ', services)} left stopped by a previous run could not be started " +
                $"(exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
        return services;
    }

    /// <summary>
    /// An arm that failed or did not answer may have left its marker and timer on the host: cancelled at once, so
    /// the next run does not report services "left stopped" that were never stopped (and its timer does not
    /// start running services). Best effort: the run fails either way, and a timer without its marker does nothing.
    /// </summary>
    private async Task CancelHalfArmedAsync(CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return;
        var r = await ssh.RunAsync(CancelRequest, bound.Span, ct);
        if (r.Succeeded)
            log.Info($"dead man's switch: what the failed arm may have left on host {ssh.Host.Name} is cancelled");
        else
            log.Warn($"dead man's switch: could not cancel what the failed arm may have left on host {ssh.Host.Name} ({SshSession.LastLine(r.Stderr)}); " +
                     "the next run may report services left stopped that are running");
    }

    /// <summary>One request of the switch under the compose bound; a request that outlives it fails naming the setting.</summary>
    private Task<ProcessResult> RequestAsync(string request, string what, string consequence, CancellationToken ct, Action<string>? output = null) =>
        ssh.RequestAsync(request, what, log, ct, bound, consequence, output);
}
