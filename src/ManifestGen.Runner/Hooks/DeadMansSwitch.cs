using ManifestGen.Contracts;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Hooks;

/// <summary>
/// Makes sure stopped services start again even when the pod is killed or the host becomes unreachable:
/// before a stop, the host gets a marker and a timer that starts the services after the pod is gone for
/// certain; the runner cancels the timer when it starts them itself, and the next run starts what a
/// previous run left stopped. The commands are in <see cref="RemoteCommands"/>; behind the host gate the
/// gate runs the switch itself (<see cref="RemoteCommands.GateSwitchArm"/>).
/// </summary>
public sealed class DeadMansSwitch(SshSession ssh, string app, Log log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>Identifies this run's marker, so a late timer never acts on a later run's stop.</summary>
    public string RunId { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

    /// <summary>When the host will start the services unless cancelled (UTC).</summary>
    public DateTimeOffset? FiresAt { get; private set; }

    /// <summary>
    /// Behind the host gate the switch is the gate's own: the runner sends fixed requests (app, delay,
    /// services) that the gate checks against its allow-list and carries out itself.
    /// </summary>
    private bool Gated => ssh.Host.Gated;

    public async Task ArmAsync(string composeDirectory, ImmutableArray<string> services, int delaySeconds, CancellationToken ct)
    {
        var request = Gated
            ? RemoteCommands.GateSwitchArm(app, delaySeconds, services)
            : RemoteCommands.DeadMansSwitchArm(app, RunId, composeDirectory, services, delaySeconds);
        var r = await ssh.RunAsync(request, Timeout, ct);
        if (!r.Succeeded)
            throw new RunnerException(RunnerExit.Failure,
                $"cannot arm the dead man's switch on host {ssh.Host.Name} (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): " +
                $"{SshSession.LastLine(r.Stderr)}; services were not stopped");
        FiresAt = DateTimeOffset.UtcNow.AddSeconds(delaySeconds);
        log.Info($"dead man's switch armed on host {ssh.Host.Name} ({SshSession.LastLine(r.Stdout)}): it starts {string.Join(' ', services)} " +
                 $"at {FiresAt.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)} unless this run does");
    }

    public async Task DisarmAsync(CancellationToken ct)
    {
        var r = await ssh.RunAsync(Gated ? RemoteCommands.GateSwitchCancel(app) : RemoteCommands.DeadMansSwitchDisarm(app), Timeout, ct);
        if (!r.Succeeded)
            throw new RunnerException(RunnerExit.Failure,
                $"could not cancel the dead man's switch on host {ssh.Host.Name}: {SshSession.LastLine(r.Stderr)} (it will start already running services, which is harmless)");
        FiresAt = null;
        log.Info("dead man's switch cancelled");
    }

    /// <summary>Starts the services a previous run left stopped; returns them (empty when there were none).</summary>
    public async Task<ImmutableArray<string>> RecoverAsync(CancellationToken ct)
    {
        var marker = await ssh.RunAsync(Gated ? RemoteCommands.GateSwitchMarker(app) : RemoteCommands.DeadMansSwitchMarker(app), Timeout, ct);
        if (!marker.Succeeded) throw new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(marker));
        if (marker.Stdout.Trim().Length == 0) return [];
        var services = RemoteCommands.MarkerServices(marker.Stdout).ToImmutableArray();
        log.Warn($"a previous run left services stopped on host {ssh.Host.Name}: {string.Join(' ', services)}; starting them");
        var r = await ssh.RunAsync(Gated ? RemoteCommands.GateSwitchRecover(app) : RemoteCommands.DeadMansSwitchRecover(app), TimeSpan.FromMinutes(5), ct,
            line => log.Output("compose start", line), line => log.Output("compose start", line));
        if (!r.Succeeded)
            throw new RunnerException(RunnerExit.Failure,
                $"services {string.Join(' ', services)} left stopped by a previous run could not be started " +
                $"(exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
        return services;
    }
}
