using System.Text.Json;

namespace ManifestGen.PodHarness.Scenarios;

/// <summary>The runner's one JSON summary line (stdout), read for reports and assertions.</summary>
public sealed record RunSummaryLine(
    string Outcome, int ExitCode, string? SnapshotId, long? FilesNew, long? FilesChanged, long? FilesUnmodified,
    long? BytesOverWire, long? BytesAdded, long? FilesRestored, long? SnapshotsRemoved, double DurationSeconds, string? Error)
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The last line of <paramref name="stdout"/> that is a JSON object; throws when there is none.</summary>
    public static RunSummaryLine Parse(string stdout)
    {
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith('{'))
            ?? throw new HarnessException($"no JSON summary line in the runner's output: {stdout}");
        return JsonSerializer.Deserialize<RunSummaryLine>(line, Options)
            ?? throw new HarnessException($"empty summary line: {line}");
    }
}
