using System.Diagnostics;
using System.Runtime.InteropServices;
using ManifestGen.Contracts;
using ManifestGen.Runner.Cli;
using ManifestGen.Runner.Jobs;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        // Kubernetes sends SIGTERM: cancel, so running children get SIGINT (restic removes its lock)
        // and the finally blocks restart services, instead of the runtime exiting at once.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        try
        {
            return await RunAsync(args, Console.Out, Log.Stderr, cts.Token);
        }
        catch (Exception ex)
        {
            // Last resort: RunAsync reports every failure itself; should anything escape it, the run still
            // ends with exit 1 and a summary line instead of an abort without one.
            Log.Stderr.Error($"runner error: {ex}");
            Console.Out.WriteLine(new RunSummary
            {
                Command = args.Length > 0 ? args[0] : "",
                Outcome = Outcome.Failure,
                ExitCode = (int)RunnerExit.Failure,
                DurationSeconds = 0,
                Error = $"runner error: {ex.GetType().Name}: {ex.Message}",
            }.ToJsonLine());
            return (int)RunnerExit.Failure;
        }
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, Log log, CancellationToken cancel)
    {
        var sw = Stopwatch.StartNew();
        CommandLine cli;
        JobConfig config;
        try
        {
            cli = CommandLine.Parse(args);
            if (cli.Help)
            {
                stdout.WriteLine(CommandLine.Usage);
                return 0;
            }
            if (cli.Version)
            {
                stdout.WriteLine($"manifestgen-runner {ProductVersion.Of(typeof(Program).Assembly)}");
                return 0;
            }
            config = LoadConfig(cli);
        }
        catch (Exception ex) when (ex is RunnerException or JobConfigException)
        {
            log.Error(ex.Message);
            Console.Error.WriteLine(CommandLine.Usage);
            stdout.WriteLine(new RunSummary
            {
                Command = args.Count > 0 ? args[0] : "",
                Outcome = Outcome.Failure,
                ExitCode = (int)RunnerExit.Usage,
                DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
                Error = ex.Message,
            }.ToJsonLine());
            return (int)RunnerExit.Usage;
        }

        // The runner stops itself at the job's deadline, as Kubernetes would, so its clean-up runs.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        if (config.ActiveDeadlineSeconds is { } seconds) deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        var budget = ShutdownBudget.For(config.TerminationGracePeriodSeconds);
        var workDir = Directory.CreateTempSubdirectory("manifestgen-runner-").FullName;
        using var http = Notifier.CreateHttpClient();
        var notifier = new Notifier(config.Reporting, log, http);
        var reported = cli.Command is "backup" or "maintain" or "check" or "init" or "drill" or "coverage" or "copy";
        RunSummary summary;
        // A dump on stdout is read from the pod's log, where stderr lands too: only an error may join it.
        var dataOnStdout = cli.Command == "snapshots" || cli.Restore.Stdout;
        if (cli.Restore.Stdout) log = log.ErrorsOnly();
        using var ctx = new RunContext(config, log, workDir, deadline.Token);
        try
        {
            // A reporting target that can never work is a configuration error, found before the host is touched.
            if (reported && notifier.Problem() is { } problem) throw new RunnerException(RunnerExit.Usage, problem);
            if (reported) await notifier.StartAsync(deadline.Token);
            // Behind the host gate, before anything touches the host: is its allow-list the one this job was rendered with?
            if (GateRoleOf(cli) is { } role && config.Host is { } host)
                await GateAllowListCheck.RequireAsync(new SshSession(host, workDir), role, log, deadline.Token);
            summary = cli.Command switch
            {
                "backup" => await BackupJob.RunAsync(ctx),
                "maintain" => await RepositoryJobs.MaintainAsync(ctx),
                "check" => await RepositoryJobs.CheckAsync(ctx),
                "init" => await RepositoryJobs.InitAsync(ctx),
                "snapshots" => await RepositoryJobs.SnapshotsAsync(ctx, cli.All, cli.Json, stdout, cli.Restore.Repository, cli.Restore.PasswordFile, cli.Restore.FromCopy),
                "restore" => await RestoreJob.RunAsync(ctx, cli.Restore),
                "drill" => await DrillJob.RunAsync(ctx, cli.Sample),
                "coverage" => await CoverageJob.RunAsync(ctx),
                "copy" => await CopyJob.RunAsync(ctx),
                _ => throw new UnreachableException(),
            };
        }
        catch (Exception ex)
        {
            var (exit, message) = Failures.Classify(ex, deadline.IsCancellationRequested);
            if (deadline.IsCancellationRequested && !cancel.IsCancellationRequested)
                message += $" (the job's deadline of {config.ActiveDeadlineSeconds} s passed)";
            log.Error(message);
            if (exit == RunnerExit.Failure && ex is not RunnerException and not IOException and not UnauthorizedAccessException)
                log.Error(ex.ToString());
            summary = new RunSummary
            {
                Command = cli.Command,
                App = config.App?.Name,
                Host = config.Host?.Name,
                Strategy = cli.Command == "backup" ? config.App?.Strategy.ToString().ToLowerInvariant() : null,
                Outcome = Outcome.Failure,
                ExitCode = (int)exit,
                DurationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
                Error = message,
                InstallHostFile = exit == RunnerExit.HostFilesStale && GateRoleOf(cli) is { } role ? GateAllowListCheck.For(config, role)?.File : null,
            };
        }
        finally
        {
            try
            {
                Directory.Delete(workDir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log.Warn($"could not remove {workDir}: {ex.Message}");
            }
        }

        // Every job's summary says which named bound ended a wait, whichever step it bounded.
        summary = summary with { BoundsFired = log.BoundsFired };
        if (!dataOnStdout || summary.Outcome == Outcome.Failure)
        {
            stdout.WriteLine(summary.ToJsonLine());
            stdout.Flush();
        }
        if (reported)
        {
            // After SIGTERM or at the deadline the reports get their share of the grace period; a run that
            // ended on its own has the time a slow endpoint needs (the bound of a ping that starts a run).
            var shuttingDown = cancel.IsCancellationRequested || deadline.IsCancellationRequested;
            using var reportBudget = new CancellationTokenSource(shuttingDown
                ? TimeSpan.FromSeconds(budget.ReportSeconds)
                : TimeSpan.FromSeconds(Math.Max(budget.ReportSeconds, Notifier.UnhurriedReportSeconds)));
            await notifier.FinishAsync(summary, config.Reporting.InstanceOf(cli.Command), reportBudget.Token);
        }
        log.Info($"{cli.Command}: {summary.Outcome.ToString().ToLowerInvariant()} (exit {summary.ExitCode})");
        return summary.ExitCode;
    }

    /// <summary>The key (and so the allow-list) a command uses on a gated host; null for a command that does not reach the host.</summary>
    private static GateRole? GateRoleOf(CommandLine cli) => cli.Command switch
    {
        "backup" or "drill" or "coverage" => GateRole.Backup,
        "restore" when cli.Restore.ToHost => GateRole.Restore,
        _ => null,
    };

    private static JobConfig LoadConfig(CommandLine cli)
    {
        var env = Environment.GetEnvironmentVariable(PodPaths.JobConfigEnv);
        // No silent default path: the variable is part of the contract with the rendered CronJob, so a
        // manifest that forgets it fails here, loudly, instead of reading whatever sits at a default path.
        var file = cli.ConfigFile ?? (string.IsNullOrEmpty(env)
            ? throw new RunnerException(RunnerExit.Usage,
                $"no job configuration: pass --config FILE or set {PodPaths.JobConfigEnv} (the rendered CronJob sets it to {PodPaths.JobConfigFile})")
            : env);
        string json;
        try
        {
            json = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException(RunnerExit.Usage, $"{file}: cannot read the job configuration: {ex.Message}");
        }
        var config = JobConfigJson.Deserialize(json, file);
        // The same function the generator runs on every job.json it renders: what fails here failed at commit there.
        var problems = JobConfigRules.Check(config);
        if (!problems.IsEmpty)
            throw new RunnerException(RunnerExit.Usage, $"{file}: job configuration refused: {string.Join("; ", problems)}");
        var expected = cli.Command switch
        {
            "backup" => JobKind.Backup,
            "maintain" => JobKind.Maintain,
            "check" => JobKind.Check,
            "init" => JobKind.Init,
            "coverage" => JobKind.Coverage,
            "copy" => JobKind.Copy,
            _ => (JobKind?)null,
        };
        if (expected is { } k && config.Kind != k)
            throw new RunnerException(RunnerExit.Usage,
                $"{file}: job kind is '{config.Kind.ToString().ToLowerInvariant()}' but the command is `{cli.Command}`");
        return config;
    }
}
