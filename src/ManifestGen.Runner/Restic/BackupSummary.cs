using System.Text.Json;
using System.Text.Json.Serialization;

namespace ManifestGen.Runner.Restic;

/// <summary>restic backup --json's final line ("message_type":"summary").</summary>
public sealed record BackupSummary
{
    [JsonPropertyName("files_new")] public long FilesNew { get; init; }
    [JsonPropertyName("files_changed")] public long FilesChanged { get; init; }
    [JsonPropertyName("files_unmodified")] public long FilesUnmodified { get; init; }
    [JsonPropertyName("data_added")] public long DataAdded { get; init; }
    [JsonPropertyName("data_added_packed")] public long DataAddedPacked { get; init; }
    [JsonPropertyName("total_files_processed")] public long TotalFilesProcessed { get; init; }
    [JsonPropertyName("total_bytes_processed")] public long TotalBytesProcessed { get; init; }
    [JsonPropertyName("snapshot_id")] public string? SnapshotId { get; init; }
}

/// <summary>One entry of restic snapshots --json.</summary>
public sealed record SnapshotInfo
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("short_id")] public string? ShortId { get; init; }
    [JsonPropertyName("time")] public DateTimeOffset Time { get; init; }
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
    [JsonPropertyName("paths")] public string[] Paths { get; init; } = [];
    [JsonPropertyName("tags")] public string[]? Tags { get; init; }

    public bool HasTag(string tag) => Tags?.Contains(tag, StringComparer.Ordinal) == true;
}

internal static class ResticJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = false };

    /// <summary>
    /// Reads restic's JSON output; output that does not parse is a runner error, never a crash, and the
    /// raw text goes to the log (it holds no secret: restic never prints the password).
    /// </summary>
    public static T Deserialize<T>(string text, string what, Reporting.Log log)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text, Options) ?? throw new JsonException("null");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            log.Error($"{what} printed output the runner cannot read ({ex.Message}); raw output follows");
            foreach (var line in text.Split('\n').Take(200)) log.Output("restic", line);
            throw new RunnerException(RunnerExit.Failure, $"{what}: restic printed output that is not the expected JSON (raw text in the log)");
        }
    }

    /// <summary>The message_type of a --json line, or null when the line is not a JSON object.</summary>
    public static string? MessageType(string line, out JsonElement root)
    {
        root = default;
        if (!line.StartsWith('{')) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            root = doc.RootElement.Clone();
            return root.TryGetProperty("message_type", out var t) ? t.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
