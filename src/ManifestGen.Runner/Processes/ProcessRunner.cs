using System.Diagnostics;
using System.Text;

namespace ManifestGen.Runner.Processes;

/// <summary>
/// Starts a process from an argument list with a timeout and cancellation. On either, the process first
/// gets its interrupt signal and time to clean up, and only then is killed; the caller always learns
/// the exit code, whether it timed out and whether it was interrupted.
/// </summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? string.Empty,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in spec.Arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in spec.Environment)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }

        var stdout = new TailBuffer(spec.CaptureLimit);
        var stderr = new TailBuffer(spec.CaptureLimit);
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var stdoutDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { stdoutDone.TrySetResult(); return; }
            stdout.AppendLine(e.Data);
            spec.OnStdoutLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { stderrDone.TrySetResult(); return; }
            stderr.AppendLine(e.Data);
            spec.OnStderrLine?.Invoke(e.Data);
        };

        var started = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new RunnerException(RunnerExit.Failure, $"cannot start {spec.FileName}: {ex.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (spec.StandardInput is not null) await process.StandardInput.WriteAsync(spec.StandardInput);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited without reading its input; its exit code tells what happened.
        }

        using var timeoutCts = spec.Timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        var timedOut = false;
        var interrupted = false;
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = timeoutCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            interrupted = !timedOut;
            Signals.Send(process.Id, spec.InterruptSignal);
            using var grace = new CancellationTokenSource(spec.InterruptGrace);
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        // Output pipes may stay open in grandchildren (ssh ControlMaster, daemons): wait boundedly.
        await Task.WhenAny(Task.WhenAll(stdoutDone.Task, stderrDone.Task), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), started.Elapsed, timedOut, interrupted);
    }

    /// <summary>Keeps the last <c>limit</c> characters, so a chatty process cannot exhaust memory.</summary>
    private sealed class TailBuffer(int limit)
    {
        private readonly StringBuilder _sb = new();
        private readonly Lock _lock = new();

        public void AppendLine(string line)
        {
            lock (_lock)
            {
                _sb.Append(line).Append('\n');
                if (_sb.Length > limit) _sb.Remove(0, _sb.Length - limit);
            }
        }

        public override string ToString()
        {
            lock (_lock) return _sb.ToString();
        }
    }
}
