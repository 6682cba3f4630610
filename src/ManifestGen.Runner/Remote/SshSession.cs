using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Remote;

/// <summary>
/// How the runner reaches the host. All options live in a private ssh_config file, so every tool that
/// speaks SSH (ssh, rsync -e, sshfs -F) uses exactly the same settings: pinned host key and nothing
/// else, the identity file only, batch mode, connect timeout and keep-alive.
/// </summary>
public sealed class SshSession
{
    /// <summary>The alias the config file defines; the real address is only in the file.</summary>
    public const string Alias = "manifestgen-host";

    public HostConfig Host { get; }
    public string ConfigFile { get; }

    public SshSession(HostConfig host, string workDir)
    {
        Host = host;
        ConfigFile = Path.Combine(workDir, "ssh_config");
        // rsync splits its -e command on spaces; the file lives in our own temp dir, so its path is plain.
        if (ConfigFile.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '\\'))
            throw new RunnerException(RunnerExit.Usage, $"temporary directory '{workDir}' must not contain spaces or quotes");
        File.WriteAllText(ConfigFile, RenderConfig(host), new UTF8Encoding(false));
    }

    public static string RenderConfig(HostConfig host)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("Host ").Append(Alias).Append('\n');
        void Opt(string k, string v) => sb.Append("  ").Append(k).Append(' ').Append(v).Append('\n');
        Opt("HostName", ConfigValue(host.Address));
        Opt("Port", host.Port.ToString(inv));
        Opt("User", ConfigValue(host.User));
        Opt("IdentityFile", ConfigValue(host.IdentityFile));
        Opt("IdentitiesOnly", "yes");
        Opt("IdentityAgent", "none");
        Opt("BatchMode", "yes");
        Opt("PasswordAuthentication", "no");
        Opt("KbdInteractiveAuthentication", "no");
        Opt("StrictHostKeyChecking", "yes");
        Opt("UserKnownHostsFile", ConfigValue(host.KnownHostsFile));
        Opt("GlobalKnownHostsFile", "/dev/null");
        Opt("UpdateHostKeys", "no");
        Opt("CheckHostIP", "no");
        Opt("ConnectTimeout", host.ConnectTimeoutSeconds.ToString(inv));
        Opt("ServerAliveInterval", host.ServerAliveIntervalSeconds.ToString(inv));
        Opt("ServerAliveCountMax", "3");
        Opt("ControlMaster", "no");
        Opt("ControlPath", "none");
        Opt("LogLevel", "ERROR");
        return sb.ToString();
    }

    /// <summary>ssh_config values are tokenised on whitespace; double quotes keep one token.</summary>
    private static string ConfigValue(string value)
    {
        if (value.Contains('"') || value.Contains('\n') || value.Contains('\r'))
            throw new RunnerException(RunnerExit.Usage, $"ssh setting '{value}' must not contain quotes or newlines");
        return "\"" + value + "\"";
    }

    /// <summary>The ssh command (program and options, without the remote command).</summary>
    public ImmutableArray<string> SshCommand(bool compress) =>
        compress ? ["ssh", "-F", ConfigFile, "-C", "-T", Alias] : ["ssh", "-F", ConfigFile, "-T", Alias];

    /// <summary>What rsync gets as -e: it splits on spaces, which is safe for our own paths.</summary>
    public string RsyncShell => "ssh -F " + ConfigFile;

    /// <summary>Runs one command line in the remote user's shell. Build it with <see cref="ShellQuote"/>.</summary>
    public Task<ProcessResult> RunAsync(
        string remoteCommand, TimeSpan timeout, CancellationToken ct,
        Action<string>? onStdout = null, Action<string>? onStderr = null, string? stdin = null, Bound? timeoutBound = null, Watchdog? stall = null)
    {
        var cmd = SshCommand(compress: false);
        var spec = new ProcessSpec(cmd[0], [.. cmd.Skip(1), "--", remoteCommand])
        {
            Timeout = timeout,
            InterruptSignal = Signals.SIGTERM,
            InterruptGrace = TimeSpan.FromSeconds(5),
            OnStdoutLine = onStdout,
            OnStderrLine = onStderr,
            StandardInput = stdin,
            TimeoutBound = timeoutBound,
            Watchdogs = stall is null ? [] : [stall],
        };
        return ProcessRunner.RunAsync(spec, ct);
    }

    /// <summary>The bound on each of the runner's own requests to the host (<see cref="HostConfig.RequestTimeoutSeconds"/>).</summary>
    public Bound RequestBound => new("host.requestTimeoutSeconds", Host.RequestTimeoutSeconds);

    /// <summary>
    /// One request under <paramref name="bound"/> (<see cref="RequestBound"/> unless given): a request that
    /// outlives it fails naming the setting, "WHAT on host H: no answer after N s[; CONSEQUENCE] (the bound
    /// SETTING = N fired)". Any other result is the caller's to read.
    /// </summary>
    public async Task<ProcessResult> RequestAsync(
        string request, string what, Log log, CancellationToken ct, Bound? bound = null, string? consequence = null, Action<string>? output = null)
    {
        var b = bound ?? RequestBound;
        var r = await RunAsync(request, b.Span, ct, output, output, timeoutBound: b);
        if (r.Fired is { } fired)
            throw log.BoundFired(fired, $"{what} on host {Host.Name}",
                $"no answer after {fired.Seconds.ToString(CultureInfo.InvariantCulture)} s" + (consequence is null ? "" : "; " + consequence));
        return r;
    }

    /// <summary>Turns an ssh failure (exit 255) into a clear message; the host key case is named.</summary>
    public string DescribeFailure(ProcessResult r)
    {
        var where = $"{Host.User}@{Host.Address}:{Host.Port.ToString(CultureInfo.InvariantCulture)}";
        if (r.TimedOut) return $"ssh to {where} timed out";
        var err = r.Stderr.Trim();
        if (err.Contains("Host key verification failed", StringComparison.Ordinal) ||
            err.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal) ||
            err.Contains("No ED25519 host key is known", StringComparison.Ordinal) ||
            err.Contains("host key is known", StringComparison.Ordinal))
            return $"host key of {where} does not match the pinned known_hosts file {Host.KnownHostsFile}: refused ({LastLine(err)})";
        return $"ssh to {where} failed (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {LastLine(err)}";
    }

    /// <summary>The host gate's refusal when the output holds one (rsync adds its own lines after it), else the last line.</summary>
    internal static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.LastOrDefault(l => l.StartsWith(GateRefusalPrefix, StringComparison.Ordinal)) ?? (lines.Length == 0 ? "(no output)" : lines[^1]);
    }

    /// <summary>How host/manifestgen-gate starts the line it prints on stderr when it refuses a request.</summary>
    internal const string GateRefusalPrefix = "manifestgen-gate: refused: ";
}
