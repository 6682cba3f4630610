using ManifestGen.Contracts;

namespace ManifestGen.Runner;

/// <summary>The one place that turns any exception into an exit code and a message for the summary.</summary>
public static class Failures
{
    public static (RunnerExit Exit, string Message) Classify(Exception ex, bool cancelled)
    {
        var (exit, message) = ex switch
        {
            RunnerException r => (r.Exit, r.Message),
            JobConfigException j => (RunnerExit.Usage, j.Message),
            OperationCanceledException => (RunnerExit.Interrupted, "interrupted"),
            IOException or UnauthorizedAccessException => (RunnerExit.Failure, ex.Message),
            // Anything else is a defect of the runner; still a failure with a summary, never a crash.
            _ => (RunnerExit.Failure, $"runner error: {ex.GetType().Name}: {ex.Message}"),
        };
        // A child may report its own failure after SIGTERM; the truth is that the run was interrupted.
        if (cancelled && ex is not OperationCanceledException)
        {
            exit = RunnerExit.Interrupted;
            message = "interrupted: " + message;
        }
        return (exit, message);
    }
}
