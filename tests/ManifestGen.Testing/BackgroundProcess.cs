using System.Collections.Concurrent;
using System.Diagnostics;
using ManifestGen.Runner.Processes;

namespace ManifestGen.Testing;

/// <summary>
/// A long-running process (sshd, a runner killed mid-run): output collected line by line, a bounded
/// wait for a line, and on dispose a signal, a bounded wait, then a kill of the whole tree.
/// </summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BackgroundProcess(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (k, v) in env)
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is null) _stdoutClosed.TrySetResult(); else _stdout.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is null) _stderrClosed.TrySetResult(); else _stderr.Enqueue(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Stdout => string.Join('\n', _stdout);
    public string Stderr => string.Join('\n', _stderr);

    public void Signal(int signal) => Signals.Send(_process.Id, signal);

    /// <summary>Waits (bounded) until a stderr line contains <paramref name="text"/>; false on timeout or exit.</summary>
    public async Task<bool> WaitForStderrAsync(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_stderr.Any(l => l.Contains(text, StringComparison.Ordinal))) return true;
            if (_process.HasExited) return _stderr.Any(l => l.Contains(text, StringComparison.Ordinal));
            await Task.Delay(50);
        }
        return false;
    }

    /// <summary>Waits (bounded) for exit and for the output to be complete; returns the exit code or null.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(TimeSpan.FromSeconds(5)));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal(Signals.SIGTERM);
            if (await WaitForExitAsync(TimeSpan.FromSeconds(5)) is null)
            {
                _process.Kill(entireProcessTree: true);
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
        }
        _process.Dispose();
    }

    /// <summary>Kills the process and all its descendants now (sshd and its session processes).</summary>
    /// <summary>
    /// SIGKILL of the whole tree, as when a pod dies, and a bounded wait until every process of it is gone
    /// (reaped, not only dead): restic counts a lock as stale only when its PID no longer exists, and an
    /// unreaped child still does.
    /// </summary>
    public async Task KillTreeAsync()
    {
        if (_process.HasExited) return;
        var tree = Descendants(_process.Id);
        _process.Kill(entireProcessTree: true);
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        var deadline = DateTime.UtcNow + Patience.Command;
        while (tree.Any(pid => Directory.Exists($"/proc/{pid}")) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
    }

    /// <summary>The process and all its descendants, from the parent ids in /proc.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
                // the process ended while we looked
            }
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        return tree;
    }
}
