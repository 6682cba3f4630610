using System.Globalization;

namespace ManifestGen.Runner.Reporting;

/// <summary>Human progress and diagnostics: stderr only, so stdout carries just the JSON summary line.</summary>
public sealed class Log(TextWriter writer, bool errorsOnly = false)
{
    private readonly Lock _lock = new();

    public static Log Stderr { get; } = new(Console.Error);

    /// <summary>The same log, quiet but for errors (while stdout carries a dump that is read from the pod's log).</summary>
    public Log ErrorsOnly() => new(writer, errorsOnly: true);

    public void Info(string message) { if (!errorsOnly) Write("info", message); }
    public void Warn(string message) { if (!errorsOnly) Write("warning", message); }
    public void Error(string message) => Write("error", message);

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
