using System.Diagnostics;
using System.Globalization;
using ManifestGen.Contracts;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Jobs;

/// <summary>
/// `coverage`: asks the host gate what the host runs (<see cref="RemoteCommands.Discover"/>) and compares it
/// with the host's apps (<see cref="CoverageAnalysis"/>). Every finding is a warning of the run and a line of
/// its summary's report; the run fails only when the host cannot be asked.
/// </summary>
public static class CoverageJob
{
    public static async Task<RunSummary> RunAsync(RunContext ctx)
    {
        var sw = Stopwatch.StartNew();
        var host = ctx.Config.Host!;
        var ssh = new SshSession(host, ctx.WorkDir);
        var r = await ssh.RequestAsync(RemoteCommands.Discover, "the discovery (the gate asking docker)", ctx.Log, ctx.Cancel);
        if (!r.Succeeded)
        {
            if (r.ExitCode == GateAllowListCheck.GateRefusedExit)
                throw new RunnerException(RunnerExit.Failure, string.Create(CultureInfo.InvariantCulture,
                    $"the gate on host {host.Name} refused the discovery ({SshSession.LastLine(r.Stderr)}): install host/manifestgen-gate, jq and {host.AllowLists?.Backup.File ?? "the backup allow-list rendered with this job"} on {host.Name}"));
            throw new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(r));
        }
        HostDiscovery discovery;
        try
        {
            discovery = CoverageJson.ParseDiscovery(r.Stdout, $"the discovery of host {host.Name}");
        }
        catch (JobConfigException ex)
        {
            throw new RunnerException(RunnerExit.Failure, ex.Message);
        }
        var report = CoverageAnalysis.Compare(host.Name, discovery, ctx.Config.Coverage!.Apps);
        foreach (var f in report.Findings) ctx.Log.Warn(f.Message);
        ctx.Log.Info(string.Create(CultureInfo.InvariantCulture,
            $"coverage of {host.Name}: {discovery.Projects.Length} compose projects, {report.Findings.Length} findings"));
        return new RunSummary
        {
            Command = "coverage",
            Host = host.Name,
            Outcome = report.Findings.IsEmpty ? Outcome.Success : Outcome.Warning,
            ExitCode = 0,
            DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            Warnings = [.. report.Findings.Select(f => f.Message)],
            Coverage = report,
        };
    }
}
