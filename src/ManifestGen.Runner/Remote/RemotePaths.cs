using ManifestGen.Contracts;
using ManifestGen.Runner.Reporting;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace ManifestGen.Runner.Remote;

/// <summary>Asks the host which of the given paths do not exist (one SSH round trip, quoted paths).</summary>
public static class RemotePaths
{
    public static async Task<ImmutableArray<string>> MissingAsync(SshSession ssh, ImmutableArray<string> paths, Log log, CancellationToken ct)
    {
        if (paths.IsEmpty) return [];
        var r = await ssh.RequestAsync(RemoteCommands.MissingPaths(paths), "checking that the paths exist", log, ct);
        if (!r.Succeeded) throw new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(r));
        // Line reading re-joined the output with '\n'; names are NUL-terminated, so split on NUL only.
        var outText = r.Stdout.EndsWith('\n') ? r.Stdout[..^1] : r.Stdout;
        return [.. outText.Split('\0').Where(s => s.Length > 0)];
    }

    public static async Task RequireExistAsync(SshSession ssh, ImmutableArray<string> paths, Log log, CancellationToken ct)
    {
        var missing = await MissingAsync(ssh, paths, log, ct);
        if (missing.IsEmpty) return;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{missing.Length} app path(s) missing on host {ssh.Host.Name}: ");
        sb.Append(string.Join(", ", missing));
        throw new RunnerException(RunnerExit.Failure, sb.ToString());
    }
}
