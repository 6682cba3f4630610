using System.Collections.Immutable;
using System.Globalization;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Transfer;

/// <summary>
/// Mounts each app path read-only with sshfs at its local path (needs FUSE: a privileged pod). Inode
/// numbers of a FUSE mount are not stable between mounts, so restic must run with --ignore-inode.
/// </summary>
public sealed class SshfsTransfer(SshSession ssh, AppConfig app, Log log) : IAsyncDisposable
{
    private readonly List<string> _mounted = [];

    /// <summary>
    /// Mount options that make links read exactly as the host has them: sshfs with symlink containment (a
    /// security update, on by default) answers readlink of an absolute link or one with `..` with EPERM, so
    /// restic would store `/srv/app/current -> /srv/app/releases/3` without its target and exit 3.
    /// no_contain_symlinks passes every target through unchanged; nothing here follows a link (the mount is
    /// read by restic, which stores links as links). transform_symlinks is never used: it rewrites
    /// absolute targets into relative ones. An sshfs without containment knows neither option and needs none.
    /// </summary>
    public static async Task<ImmutableArray<string>> LinkOptionsAsync(CancellationToken ct)
    {
        var help = await ProcessRunner.RunAsync(new ProcessSpec("sshfs", ["-h"]) { Timeout = TimeSpan.FromSeconds(30) }, ct);
        return (help.Stdout + help.Stderr).Contains("no_contain_symlinks", StringComparison.Ordinal)
            ? ["-o", "no_contain_symlinks"] : [];
    }

    public async Task MountAsync(CancellationToken ct)
    {
        var linkOptions = await LinkOptionsAsync(ct);
        foreach (var hostPath in app.Paths)
        {
            var local = LocalPaths.For(app.LocalRoot, hostPath);
            Directory.CreateDirectory(local);
            ImmutableArray<string> args =
            [
                "-F", ssh.ConfigFile, "-o", "ro", "-o", "reconnect", "-o", "ServerAliveInterval=15", .. linkOptions,
                .. app.CompressTransfer ? new[] { "-C" } : [],
                SshSession.Alias + ":" + hostPath, local,
            ];
            // sshfs returns once the mount answers (it then runs in the background): a request to the host.
            var r = await ProcessRunner.RunAsync(new ProcessSpec("sshfs", args)
            {
                TimeoutBound = ssh.RequestBound,
                InterruptSignal = Signals.SIGTERM,
                OnStderrLine = line => log.Output("sshfs", line),
            }, ct);
            if (r.Fired is { } fired)
                throw log.BoundFired(fired, $"sshfs mount of {hostPath} on host {ssh.Host.Name}", $"no answer after {fired.Seconds.ToString(CultureInfo.InvariantCulture)} s");
            if (!r.Succeeded)
                throw new RunnerException(RunnerExit.Failure,
                    $"sshfs mount of {hostPath} failed (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
            _mounted.Add(local);
            log.Info($"mounted {hostPath} read-only at {local}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var local in Enumerable.Reverse(_mounted))
        {
            var r = await ProcessRunner.RunAsync(new ProcessSpec("fusermount3", ["-u", "-z", local])
            { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
            if (!r.Succeeded) log.Warn($"could not unmount {local}: {SshSession.LastLine(r.Stderr)}");
        }
        _mounted.Clear();
    }
}
