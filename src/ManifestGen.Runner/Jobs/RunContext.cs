using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Jobs;

/// <summary>What every command gets: the job configuration, the log, a private temp dir and two tokens.</summary>
public sealed class RunContext(JobConfig config, Log log, string workDir, CancellationToken cancel)
{
    public JobConfig Config => config;
    public Log Log => log;
    /// <summary>Private (0700) directory for the ssh config and restore staging; removed after the run.</summary>
    public string WorkDir => workDir;
    /// <summary>Cancelled on SIGTERM/SIGINT.</summary>
    public CancellationToken Cancel => cancel;

    /// <summary>
    /// For clean-up that must happen even after SIGTERM (restart services, after hooks, unmount): not
    /// linked to <see cref="Cancel"/>, bounded by its own time instead.
    /// </summary>
    public static CancellationTokenSource CleanupBudget() => new(TimeSpan.FromMinutes(10));

    public HostConfig RequireHost(string command) => config.Host ??
        throw new RunnerException(RunnerExit.Usage, $"`{command}` needs a job configuration with a host");

    public AppConfig RequireApp(string command) => config.App ??
        throw new RunnerException(RunnerExit.Usage, $"`{command}` needs a job configuration with an app");

    public static string AppTag(string app) => "app=" + app;
}
