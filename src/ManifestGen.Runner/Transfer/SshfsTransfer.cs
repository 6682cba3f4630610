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

    public async Task MountAsync(CancellationToken ct)
    {
        foreach (var hostPath in app.Paths)
        {
            var local = LocalPaths.For(app.LocalRoot, hostPath);
            Directory.CreateDirectory(local);
            ImmutableArray<string> args =
            [
                "-F", ssh.ConfigFile, "-o", "ro", "-o", "reconnect", "-o", "ServerAliveInterval=15",
                .. app.CompressTransfer ? new[] { "-C" } : [],
                SshSession.Alias + ":" + hostPath, local,
            ];
            var r = await ProcessRunner.RunAsync(new ProcessSpec("sshfs", args)
            {
                Timeout = TimeSpan.FromSeconds(ssh.Host.ConnectTimeoutSeconds + 30),
                InterruptSignal = Signals.SIGTERM,
                OnStderrLine = line => log.Output("sshfs", line),
            }, ct);
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
