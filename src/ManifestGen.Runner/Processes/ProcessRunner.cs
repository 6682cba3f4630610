using System.Diagnostics;
using System.Text;

namespace ManifestGen.Runner.Processes;

/// <summary>
/// The one way the runner starts a process: an argument list, a timeout and cancellation. On either,
/// the process first gets its interrupt signal and time to clean up (restic removes its lock), and only
/// then is killed, together with whatever it started (also what it left behind when it ended on the
/// interrupt). A timeout is a result (<see cref="ProcessResult.TimedOut"/>); cancellation throws
/// <see cref="OperationCanceledException"/> once the process is gone, so no caller can mistake an
/// interrupted child's exit code for an answer.
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
        // A handler runs on a thread-pool thread, where an exception would end the process: keep the
        // first one and rethrow it to the caller once the child is gone.
        Exception? handlerError = null;
        void Handle(Action<string>? handler, string line)
        {
            try
            {
                handler?.Invoke(line);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref handlerError, ex, null);
            }
        }
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { stdoutDone.TrySetResult(); return; }
            stdout.AppendLine(e.Data);
            Handle(spec.OnStdoutLine, e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { stderrDone.TrySetResult(); return; }
            stderr.AppendLine(e.Data);
            Handle(spec.OnStderrLine, e.Data);
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

        using var timeoutCts = (spec.Timeout ?? spec.TimeoutBound?.Span) is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var stallCts = new CancellationTokenSource();
        using var watchStop = new CancellationTokenSource();
        var watch = Task.WhenAll(spec.Watchdogs.Select(w => w.WatchAsync(process.Id, stallCts, watchStop.Token)));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token, stallCts.Token);
        var timedOut = false;
        Bound? fired = null;
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            if (timedOut) fired = stallCts.IsCancellationRequested ? spec.Watchdogs.First(w => w.HasFired).Bound : spec.TimeoutBound;
            // The tree as it is before the interrupt. What the child leaves behind when it ends on it (its own
            // children, now under init, where a kill of its tree no longer finds them) is ended too: it would
            // go on working past the bound and hold the output pipes open.
            var tree = ProcessTree.Snapshot(process.Id);
            Signals.Send(process.Id, spec.InterruptSignal);
            if (!await ExitedAsync(process, spec.InterruptGrace))
            {
                process.Kill(entireProcessTree: true);
                if (!await ExitedAsync(process, TimeSpan.FromMinutes(1)))
                    throw new RunnerException(RunnerExit.Failure, $"{spec.FileName} did not end a minute after SIGKILL");
            }
            ProcessTree.KillSurvivors(tree);
        }
        await watchStop.CancelAsync();
        await watch;
        // Output pipes may stay open in grandchildren (ssh ControlMaster, daemons): wait boundedly.
        await Task.WhenAny(Task.WhenAll(stdoutDone.Task, stderrDone.Task), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        var result = new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), started.Elapsed, timedOut) { Fired = fired };
        if (!timedOut) cancellationToken.ThrowIfCancellationRequested();
        if (handlerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(handlerError);
        return result;
    }

    /// <summary>
    /// Whether the process ended within <paramref name="bound"/>. Not WaitForExitAsync, which also waits until its
    /// output pipes close: a grandchild holding them open would stretch an interrupt's grace without bound.
    /// </summary>
    private static async Task<bool> ExitedAsync(Process process, TimeSpan bound)
    {
        var sw = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            if (sw.Elapsed >= bound) return false;
            await Task.Delay(50, CancellationToken.None);
        }
        return true;
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
