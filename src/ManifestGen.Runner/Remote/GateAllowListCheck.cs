using System.Globalization;
using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Remote;

/// <summary>
/// The first request of a run behind the host gate: the version of the allow-list the job was rendered
/// with (<see cref="HostConfig.AllowLists"/>). When the host runs another one (the host files of this
/// commit were not installed before Argo CD synced it), the run fails here, before any hook, naming the
/// file to install. A job configuration without versions (rendered before them) sends nothing.
/// </summary>
public static class GateAllowListCheck
{
    /// <summary>The rendered allow-list the command's key uses, or null when the job carries no versions.</summary>
    public static AllowListVersion? For(JobConfig config, GateRole role) =>
        config.Host is { Gated: true, AllowLists: { } lists } ? role == GateRole.Backup ? lists.Backup : lists.Restore : null;

    public static async Task RequireAsync(SshSession ssh, GateRole role, Log log, CancellationToken ct)
    {
        if (ssh.Host is not { Gated: true, AllowLists: { } lists })
            return;
        var list = role == GateRole.Backup ? lists.Backup : lists.Restore;
        var r = await ssh.RequestAsync(RemoteCommands.AllowListVersion(list.Version), "asking the gate's allow-list version", log, ct);
        if (r.Succeeded)
            return;
        var host = ssh.Host.Name;
        if (r.ExitCode != GateRefusedExit)
            throw new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(r));
        var said = SshSession.LastLine(r.Stderr);
        // A gate that predates versions does not know the request at all.
        var why = said.EndsWith("not on the allow-list", StringComparison.Ordinal)
            ? $"the gate on host {host} predates allow-list versions: install host/manifestgen-gate and {list.File} on {host}"
            : $"host {host} runs another allow-list than this job was rendered with (version {list.Version}): install {list.File} on {host}";
        throw new RunnerException(RunnerExit.HostFilesStale, string.Create(CultureInfo.InvariantCulture, $"{why}; nothing ran on the host ({said})"));
    }

    /// <summary>The exit status of a request the gate refuses.</summary>
    public const int GateRefusedExit = 126;
}
