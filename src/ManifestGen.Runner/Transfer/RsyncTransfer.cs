using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Transfer;

/// <summary>
/// Pulls each app path into the persistent mirror with rsync. Unchanged files keep their inode, so the
/// following restic backup skips them by metadata; a changed file is rewritten (new inode) and read.
/// Arguments go over the rsync protocol (--secluded-args), never through the remote shell; on a gated
/// host they go on rsync's server command line instead, where the gate checks the path (the gate runs
/// rsync without a shell, and the generator allows only paths that need no quoting there).
/// </summary>
public static partial class RsyncTransfer
{
    public sealed record Result(long BytesOverWire, ImmutableArray<string> Warnings);

    public static ImmutableArray<string> BaseArgs(SshSession ssh, bool compress)
    {
        var args = ImmutableArray.CreateBuilder<string>();
        args.AddRange("-aHAX", "--numeric-ids");
        if (!ssh.Host.Gated) args.Add("--secluded-args");
        args.AddRange("--stats", "--no-human-readable", "--info=progress2", "-e", ssh.RsyncShell);
        if (compress) args.AddRange("--compress", "--compress-choice=zstd");
        return args.ToImmutable();
    }

    public static async Task<Result> PullAsync(SshSession ssh, AppConfig app, Log log, CancellationToken ct)
    {
        long wire = 0;
        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var hostPath in app.Paths)
        {
            var local = LocalPaths.For(app.LocalRoot, hostPath);
            var parent = Path.GetDirectoryName(local) ?? "/";
            Directory.CreateDirectory(parent);
            var args = BaseArgs(ssh, app.CompressTransfer).ToBuilder();
            args.Add("--delete");
            foreach (var e in app.Excludes) args.Add("--exclude=" + e);
            args.Add(SshSession.Alias + ":" + hostPath.TrimEnd('/'));
            args.Add(parent.TrimEnd('/') + "/");
            var r = await RunAsync(args.ToImmutable(), log, ct);
            wire += r.Wire;
            if (r.Result.ExitCode == 24)
            {
                var w = $"rsync: some files of {hostPath} vanished during the transfer (exit 24)";
                log.Warn(w);
                warnings.Add(w);
            }
            else if (!r.Result.Succeeded) throw Failure(ssh, r.Result, hostPath);
        }
        return new Result(wire, warnings.ToImmutable());
    }

    internal static RunnerException Failure(SshSession ssh, ProcessResult r, string what)
    {
        if (r.Interrupted) return new RunnerException(RunnerExit.Interrupted, $"rsync of {what} was interrupted");
        if (r.TimedOut) return new RunnerException(RunnerExit.Failure, $"rsync of {what} timed out");
        // rsync reports an ssh failure as 255 (or 12 when the connection closed during setup).
        if (r.ExitCode is 255 or 12 && r.Stderr.Contains("Host key", StringComparison.OrdinalIgnoreCase))
            return new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(r));
        return new RunnerException(RunnerExit.Failure,
            $"rsync of {what} failed (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
    }

    internal static async Task<(ProcessResult Result, long Wire)> RunAsync(ImmutableArray<string> args, Log log, CancellationToken ct)
    {
        var lastProgress = DateTime.MinValue;
        var spec = new ProcessSpec("rsync", args)
        {
            InterruptSignal = Signals.SIGTERM,
            InterruptGrace = TimeSpan.FromSeconds(10),
            OnStdoutLine = line =>
            {
                // --info=progress2 rewrites one line with \r; report it every few seconds only.
                if (line.Contains('%') && DateTime.UtcNow - lastProgress > TimeSpan.FromSeconds(5))
                {
                    lastProgress = DateTime.UtcNow;
                    log.Output("rsync", line.Trim());
                }
            },
            OnStderrLine = line => log.Output("rsync", line),
        };
        var r = await ProcessRunner.RunAsync(spec, ct);
        return (r, ParseStat(r.Stdout, "Total bytes sent") + ParseStat(r.Stdout, "Total bytes received"));
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z ]+):\s*(?<value>[\d,.]+)", RegexOptions.Multiline)]
    private static partial Regex StatLine();

    /// <summary>Reads one --stats figure; digits only, so thousands separators of any locale are ignored.</summary>
    public static long ParseStat(string stdout, string name)
    {
        foreach (Match m in StatLine().Matches(stdout))
        {
            if (m.Groups["name"].Value.Trim() != name) continue;
            var digits = new string(m.Groups["value"].Value.Where(char.IsAsciiDigit).ToArray());
            return digits.Length == 0 ? 0 : long.Parse(digits, CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
