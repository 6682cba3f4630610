using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Testing;

/// <summary>A bind mount the runner sees, like a volumeMount: <c>Source</c> appears at <c>Target</c>.</summary>
public sealed record BindMount(string Source, string Target);

/// <summary>
/// Runs the runner as a pod's non-root user: <c>setpriv</c> to <paramref name="Uid"/>:<paramref name="Gid"/>
/// with that group as its only supplementary group (fsGroup), no capabilities in any set and no_new_privs.
/// <paramref name="Home"/> is its HOME; a passwd and group entry for the uid are added to /etc/passwd and
/// /etc/group inside the runner's private mount namespace only (<see cref="PrivateUserDatabase"/>; ssh refuses
/// a uid without one, and the image has one).
/// </summary>
public sealed record RunAs(long Uid, long Gid, string Home);

/// <summary>One finished runner process: exit code, its two streams and the parsed summary line.</summary>
public sealed record RunnerRun(int ExitCode, string Stdout, string Stderr)
{
    public RunSummary Summary => RunSummary.Parse(
        Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'))
        ?? throw new InvalidOperationException($"no summary line on stdout. stderr:\n{Stderr}"));

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Starts the built runner (`dotnet manifestgen-runner.dll`) the way a CronJob does: the job config
/// through MANIFESTGEN_JOB_CONFIG, optionally in a private mount namespace (unshare -m) with bind
/// mounts, so the mirror sits at the host's own absolute paths exactly as in a pod.
/// </summary>
public static class RunnerProcess
{
    public static string RunnerDll => Path.Combine(AppContext.BaseDirectory, "manifestgen-runner.dll");

    /// <summary>Where the runner's folder is bound in the pod user's home (<see cref="RunAs"/>).</summary>
    private const string RunnerFolder = ".runner";

    /// <summary>Writes the config with the contract's own serializer; returns its path.</summary>
    public static string WriteConfig(string dir, JobConfig config, string name = "job.json")
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, JobConfigJson.Serialize(config));
        return path;
    }

    public static (string File, ImmutableArray<string> Args) Command(IEnumerable<string> runnerArgs, IReadOnlyList<BindMount>? mounts, RunAs? runAs = null)
    {
        // As the pod's user, the runner is started from its folder bound inside the user's home: the checkout
        // it was built in may be closed to other users (a clone in root's 0700 home), as the image is not.
        ImmutableArray<string> dotnet = ["dotnet", runAs is null ? RunnerDll : Path.Combine(runAs.Home, RunnerFolder, Path.GetFileName(RunnerDll)), .. runnerArgs];
        if ((mounts is null || mounts.Count == 0) && runAs is null) return (dotnet[0], dotnet[1..]);
        mounts ??= [];
        // unshare, sh and setpriv all exec: the pid the test holds is the runner's, so signals reach it directly.
        const string binds = "set -e; n=$1; shift; while [ \"$n\" -gt 0 ]; do mount --bind \"$1\" \"$2\"; shift 2; n=$((n-1)); done; ";
        const string asRoot = binds + "exec \"$@\"";
        const string asUser = binds + "uid=$1; gid=$2; home=$3; bin=$4; shift 4; " +
            "mkdir -p \"$home/" + RunnerFolder + "\"; mount --bind \"$bin\" \"$home/" + RunnerFolder + "\"; " +
            "mg_etc=$home/.etc; mkdir -p \"$mg_etc\"; mg_passwd=\"runner:x:$uid:$gid::$home:/usr/sbin/nologin\"; mg_group=\"runner:x:$gid:\"; " +
            PrivateUserDatabase.Script +
            "exec setpriv --reuid=\"$uid\" --regid=\"$gid\" --groups=\"$gid\" --inh-caps=-all --ambient-caps=-all --bounding-set=-all --no-new-privs -- \"$@\"";
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        ImmutableArray<string> args =
        [
            "-m", "--propagation", "private", "--", "sh", "-c", runAs is null ? asRoot : asUser, "sh", mounts.Count.ToString(inv),
            .. mounts.SelectMany(m => new[] { m.Source, m.Target }),
            .. runAs is null ? [] : new[] { runAs.Uid.ToString(inv), runAs.Gid.ToString(inv), runAs.Home, Path.GetDirectoryName(RunnerDll)! },
            .. dotnet,
        ];
        return ("unshare", args);
    }

    public static Dictionary<string, string?> Environment(string configFile, string? pathPrefix = null, RunAs? runAs = null)
    {
        var env = new Dictionary<string, string?>
        {
            [PodPaths.JobConfigEnv] = configFile,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        if (runAs is not null) env["HOME"] = runAs.Home;
        if (pathPrefix is not null) env["PATH"] = pathPrefix + ":" + System.Environment.GetEnvironmentVariable("PATH");
        return env;
    }

    public static async Task<RunnerRun> RunAsync(
        string configFile, IEnumerable<string> args, IReadOnlyList<BindMount>? mounts = null,
        string? pathPrefix = null, TimeSpan? timeout = null, RunAs? runAs = null)
    {
        var (file, argv) = Command(args, mounts, runAs);
        var r = await ProcessRunner.RunAsync(new ProcessSpec(file, argv)
        {
            Environment = Environment(configFile, pathPrefix, runAs).ToImmutableDictionary(),
            Timeout = timeout ?? Patience.Progress,
            InterruptSignal = Signals.SIGTERM,
        }, CancellationToken.None);
        return new RunnerRun(r.TimedOut ? -1 : r.ExitCode, r.Stdout, r.Stderr);
    }

    /// <summary>Starts the runner without waiting, for tests that signal it mid-run.</summary>
    public static BackgroundProcess Start(string configFile, IEnumerable<string> args, IReadOnlyList<BindMount>? mounts = null)
    {
        var (file, argv) = Command(args, mounts);
        return new BackgroundProcess(file, argv, Environment(configFile));
    }
}
