using System.Diagnostics;
using System.Runtime.InteropServices;
using ManifestGen.Contracts;
using ManifestGen.Runner.Cli;
using ManifestGen.Runner.Jobs;
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
        return await RunAsync(args, Console.Out, Log.Stderr, cts.Token);
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
            return (int)RunnerExit.Usage;
        }

        var workDir = Directory.CreateTempSubdirectory("manifestgen-runner-").FullName;
        using var http = Notifier.CreateHttpClient();
        var notifier = new Notifier(config.Reporting, log, http);
        var reported = cli.Command is "backup" or "maintain" or "check" or "init" or "drill";
        RunSummary summary;
        try
        {
            if (reported) await notifier.StartAsync(cancel);
            var ctx = new RunContext(config, log, workDir, cancel);
            summary = cli.Command switch
            {
                "backup" => await BackupJob.RunAsync(ctx),
                "maintain" => await RepositoryJobs.MaintainAsync(ctx),
                "check" => await RepositoryJobs.CheckAsync(ctx),
                "init" => await RepositoryJobs.InitAsync(ctx),
                "snapshots" => await RepositoryJobs.SnapshotsAsync(ctx, cli.All, cli.Json, stdout),
                "restore" => await RestoreJob.RunAsync(ctx, cli.Restore),
                "drill" => await DrillJob.RunAsync(ctx, cli.Sample),
                _ => throw new UnreachableException(),
            };
        }
        catch (Exception ex) when (ex is RunnerException or OperationCanceledException or IOException or UnauthorizedAccessException)
        {
            var exit = ex switch
            {
                RunnerException r => r.Exit,
                OperationCanceledException => RunnerExit.Interrupted,
                _ => RunnerExit.Failure,
            };
            // A child may report its own failure after SIGTERM; the truth is that the run was interrupted.
            if (cancel.IsCancellationRequested) exit = RunnerExit.Interrupted;
            var message = ex is OperationCanceledException ? "interrupted" : ex.Message;
            if (cancel.IsCancellationRequested && ex is not OperationCanceledException) message = "interrupted: " + message;
            log.Error(message);
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
            };
        }
        finally
        {
            try
            {
                Directory.Delete(workDir, recursive: true);
            }
            catch (IOException ex)
            {
                log.Warn($"could not remove {workDir}: {ex.Message}");
            }
        }

        if (cli.Command != "snapshots" || summary.Outcome == Outcome.Failure)
        {
            stdout.WriteLine(summary.ToJsonLine());
            stdout.Flush();
        }
        if (reported)
        {
            using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await notifier.FinishAsync(summary, config.Kind.ToString().ToLowerInvariant(), budget.Token);
        }
        log.Info($"{cli.Command}: {summary.Outcome.ToString().ToLowerInvariant()} (exit {summary.ExitCode})");
        return summary.ExitCode;
    }

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
        var expected = cli.Command switch
        {
            "backup" => JobKind.Backup,
            "maintain" => JobKind.Maintain,
            "check" => JobKind.Check,
            "init" => JobKind.Init,
            _ => (JobKind?)null,
        };
        if (expected is { } k && config.Kind != k)
            throw new RunnerException(RunnerExit.Usage,
                $"{file}: job kind is '{config.Kind.ToString().ToLowerInvariant()}' but the command is `{cli.Command}`");
        return config;
    }
}
