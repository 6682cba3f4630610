using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using ManifestGen.Contracts;

namespace ManifestGen.Runner.Reporting;

public enum Outcome { Success, Warning, Failure }

/// <summary>The one JSON line each run prints on stdout; machines read it, so fields are stable.</summary>
public sealed record RunSummary
{
    public required string Command { get; init; }
    public string? App { get; init; }
    public string? Host { get; init; }
    public string? Strategy { get; init; }
    public required Outcome Outcome { get; init; }
    public required int ExitCode { get; init; }
    public string? SnapshotId { get; init; }
    public ImmutableArray<string> DumpSnapshotIds { get; init; } = [];
    public long? FilesNew { get; init; }
    public long? FilesChanged { get; init; }
    public long? FilesUnmodified { get; init; }
    public long? BytesOverWire { get; init; }
    public long? BytesAdded { get; init; }
    public long? SnapshotsRemoved { get; init; }
    /// <summary>copy: snapshots the run added to the offsite copy (0 when it had them all).</summary>
    public long? SnapshotsCopied { get; init; }
    public long? FilesRestored { get; init; }
    public required double DurationSeconds { get; init; }
    /// <summary>Services a previous run left stopped (its pod was killed or the host was cut off) that this run started.</summary>
    public ImmutableArray<string> ServicesRecovered { get; init; } = [];
    /// <summary>Services this run stopped and could not start again; the host's dead man's switch starts them.</summary>
    public ImmutableArray<string> ServicesLeftStopped { get; init; } = [];
    /// <summary>Seconds from compose stop until compose start returned (null when nothing was stopped, or it did not start).</summary>
    public double? ServicesStoppedSeconds { get; init; }
    /// <summary>When the host's dead man's switch starts <see cref="ServicesLeftStopped"/> (UTC, ISO 8601).</summary>
    public string? ServicesRestartAt { get; init; }
    public ImmutableArray<string> Warnings { get; init; } = [];
    /// <summary>
    /// The host file to install before the next run (out/ENV/hosts/HOST/backup.allow) when the host gate
    /// refused the run for running another allow-list (exit <see cref="RunnerExit.HostFilesStale"/>).
    /// </summary>
    public string? InstallHostFile { get; init; }
    public string? Error { get; init; }
    /// <summary>The named bounds that ended a wait in this run ("app.transferTimeoutSeconds = 20"), in order.</summary>
    public ImmutableArray<string> BoundsFired { get; init; } = [];
    /// <summary>The coverage job's report: what the host runs and every finding of what no app backs up.</summary>
    public CoverageReport? Coverage { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public string ToJsonLine() => JsonSerializer.Serialize(this, Options);

    public static RunSummary Parse(string line) =>
        JsonSerializer.Deserialize<RunSummary>(line, Options) ?? throw new JsonException("empty summary");
}
