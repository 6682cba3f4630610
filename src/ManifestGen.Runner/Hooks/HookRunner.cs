using System.Collections.Immutable;
using System.Globalization;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Hooks;

/// <summary>
/// Runs an app's hooks on the host: shell commands (each with a timeout, output into the log) and the
/// compose services to stop during the transfer. Only services that were running are stopped, and
/// exactly those are started again.
/// </summary>
public sealed class HookRunner(SshSession ssh, HooksConfig hooks, Log log)
{
    /// <summary>
    /// Each compose call, and each request of the dead man's switch that guards the stop, is bounded by the app's
    /// setting, so a hung `compose stop` cannot hold the run until its deadline, and a host that answers slowly
    /// gets the time its operator gave it rather than a fixed minute.
    /// </summary>
    public static Bound ComposeBound(HooksConfig hooks) => new("app.hooks.composeTimeoutSeconds", hooks.ComposeTimeoutSeconds);

    private readonly Bound _composeBound = ComposeBound(hooks);

    public async Task RunCommandsAsync(string phase, ImmutableArray<HookCommand> commands, CancellationToken ct)
    {
        for (var i = 0; i < commands.Length; i++)
        {
            var hook = commands[i];
            var name = $"hook {phase}[{(i + 1).ToString(CultureInfo.InvariantCulture)}]";
            log.Info($"{name}: {hook.Run}");
            var bound = new Bound($"app.hooks.{phase}[{i.ToString(CultureInfo.InvariantCulture)}].timeoutSeconds", hook.TimeoutSeconds);
            var r = await ssh.RunAsync(hook.Run, bound.Span, ct,
                line => log.Output(name, line), line => log.Output(name, line), timeoutBound: bound);
            if (r.ExitCode == 255 && !r.TimedOut) throw new RunnerException(RunnerExit.Failure, $"{name}: {ssh.DescribeFailure(r)}");
            if (r.Fired is { } fired)
                throw log.BoundFired(fired, name, $"still running after {fired.Seconds.ToString(CultureInfo.InvariantCulture)} s");
            if (r.ExitCode != 0)
                throw new RunnerException(RunnerExit.Failure, $"{name} failed (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)})");
        }
    }

    public string ComposeDirectory => hooks.ComposeDirectory ?? throw new RunnerException(RunnerExit.Usage,
        "hooks.stopServices needs hooks.composeDirectory (the folder holding the compose file on the host)");

    /// <summary>The configured services that are running now, in configured order.</summary>
    public async Task<ImmutableArray<string>> RunningServicesAsync(CancellationToken ct)
    {
        if (hooks.StopServices.IsEmpty) return [];
        var r = await ssh.RunAsync(RemoteCommands.ComposeRunning(ComposeDirectory), _composeBound.Span, ct, timeoutBound: _composeBound);
        if (r.Fired is { } fired)
            throw log.BoundFired(fired, "listing the running compose services", $"no answer after {fired.Seconds.ToString(CultureInfo.InvariantCulture)} s");
        if (r.ExitCode != 0)
            throw new RunnerException(RunnerExit.Failure,
                $"cannot list running compose services (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
        var running = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var result = hooks.StopServices.Where(running.Contains).ToImmutableArray();
        foreach (var s in hooks.StopServices.Where(s => !running.Contains(s)))
            log.Info($"service {s} is not running: it will not be stopped or started");
        return result;
    }

    public Task StopServicesAsync(ImmutableArray<string> services, CancellationToken ct) =>
        ComposeAsync("stop", RemoteCommands.ComposeStop(ComposeDirectory, services), services, ct);

    public Task StartServicesAsync(ImmutableArray<string> services, CancellationToken ct) =>
        ComposeAsync("start", RemoteCommands.ComposeStart(ComposeDirectory, services), services, ct);

    private async Task ComposeAsync(string verb, string command, ImmutableArray<string> services, CancellationToken ct)
    {
        if (services.IsEmpty) return;
        var name = $"compose {verb}";
        log.Info($"{name}: {string.Join(' ', services)}");
        var r = await ssh.RunAsync(command, _composeBound.Span, ct,
            line => log.Output(name, line), line => log.Output(name, line), timeoutBound: _composeBound);
        if (r.Fired is { } fired)
            throw log.BoundFired(fired, $"{name} {string.Join(' ', services)}", $"still running after {fired.Seconds.ToString(CultureInfo.InvariantCulture)} s");
        if (!r.Succeeded)
            throw new RunnerException(RunnerExit.Failure,
                $"{name} {string.Join(' ', services)} failed (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
    }
}
