using System.Diagnostics;
using System.Text;

namespace ManifestGen.PodHarness.Processes;

/// <summary>The outcome of one process: exit code and everything it wrote.</summary>
public sealed record ProcResult(int ExitCode, string Stdout, string Stderr, TimeSpan Duration, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>Throws with the command's own output when it failed; used for setup steps that must work.</summary>
    public ProcResult EnsureSuccess(string what)
    {
        if (!Succeeded)
            throw new HarnessException(
                $"{what} failed (exit {ExitCode}{(TimedOut ? ", timed out" : "")}): {Stderr.Trim()} {Stdout.Trim()}".Trim());
        return this;
    }
}

/// <summary>
/// Starts processes with argument lists (never a shell string), an explicit environment when given,
/// a bounded run time and cancellation. On timeout the process gets <c>SIGTERM</c>, then after a grace
/// period <c>SIGKILL</c> — the same sequence the kubelet uses.
/// </summary>
public static class Proc
{
    public static async Task<ProcResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? grace = null,
        Action<string>? onStderrLine = null,
        Func<Process, TimeSpan, Task>? stop = null,
        CancellationToken cancellationToken = default)
    {
        var psi = Create(fileName, arguments, environment);
        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var sw = Stopwatch.StartNew();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.Append(e.Data).Append('\n');
            onStderrLine?.Invoke(e.Data);
        };
        if (!process.Start())
            throw new HarnessException($"could not start {fileName}");
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            await (stop ?? StopAsync)(process, grace ?? TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        // Flush the asynchronous readers (bounded: the process is gone).
        using (var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try { await process.WaitForExitAsync(drain.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        cancellationToken.ThrowIfCancellationRequested();
        string o, e2;
        lock (stdout) o = stdout.ToString();
        lock (stderr) e2 = stderr.ToString();
        return new ProcResult(process.HasExited ? process.ExitCode : -1, o, e2, sw.Elapsed, timedOut);
    }

    internal static ProcessStartInfo Create(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            psi.Environment.Clear();
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }
        return psi;
    }

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL; bounded in time.</summary>
    internal static async Task StopAsync(Process process, TimeSpan grace)
    {
        if (process.HasExited) return;
        Signal(process.Id, 15);
        using var g = new CancellationTokenSource(grace);
        try { await process.WaitForExitAsync(g.Token).ConfigureAwait(false); return; }
        catch (OperationCanceledException) { }
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        using var k = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await process.WaitForExitAsync(k.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    internal static void Signal(int pid, int signal)
    {
        // /bin/kill with an argument list; the pid is ours, the signal a number.
        using var p = Process.Start(Create("/bin/kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], null));
        p?.WaitForExit(5000);
    }
}
