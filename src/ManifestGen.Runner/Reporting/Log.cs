using System.Collections.Immutable;
using System.Globalization;
using ManifestGen.Runner.Processes;

namespace ManifestGen.Runner.Reporting;

/// <summary>Human progress and diagnostics: stderr only, so stdout carries just the JSON summary line.</summary>
public sealed class Log(TextWriter writer, bool errorsOnly = false)
{
    private readonly Lock _lock = new();
    private ImmutableArray<string> _boundsFired = [];

    public static Log Stderr { get; } = new(Console.Error);

    /// <summary>The same log, quiet but for errors (while stdout carries a dump that is read from the pod's log).</summary>
    public Log ErrorsOnly() => new(writer, errorsOnly: true);

    public void Info(string message) { if (!errorsOnly) Write("info", message); }
    public void Warn(string message) { if (!errorsOnly) Write("warning", message); }
    public void Error(string message) => Write("error", message);

    /// <summary>The named bounds that fired during the run, in order (the summary's <c>boundsFired</c>).</summary>
    public ImmutableArray<string> BoundsFired
    {
        get
        {
            lock (_lock) return _boundsFired;
        }
    }

    /// <summary>
    /// A bound fired: logs it as an error and returns the failure that names the setting and its value,
    /// <c>"WHAT: WHY (the bound SETTING = N fired)"</c>, for the summary's error.
    /// </summary>
    public RunnerException BoundFired(Bound bound, string what, string why)
    {
        var message = $"{what}: {why} (the bound {bound} fired)";
        lock (_lock)
            if (!_boundsFired.Contains(bound.ToString())) _boundsFired = _boundsFired.Add(bound.ToString());
        Error(message);
        return new RunnerException(RunnerExit.Failure, message);
    }

    /// <summary>A line of a child's output, prefixed with what produced it.</summary>
    public void Output(string source, string line) { if (!errorsOnly) Write(source, line); }

    private void Write(string level, string message)
    {
        var ts = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        lock (_lock)
        {
            writer.WriteLine($"{ts} [{level}] {message}");
            writer.Flush();
        }
    }
}
