using System.Globalization;
using System.Text.RegularExpressions;

namespace ManifestGen.Contracts;

/// <summary>
/// The `--at TIME` of a restore, read the same way by the generator (which writes it into the restore Job)
/// and the runner (which picks the snapshot): ISO 8601 with an offset. A time without an offset would mean
/// the pod's zone to the runner and the operator's zone to the person typing it, so it is refused.
/// </summary>
public static partial class RestoreTime
{
    public const string Example = "2026-11-30T02:00:00Z";

    public static bool TryParse(string text, out DateTimeOffset at)
    {
        at = default;
        return WithOffset().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out at);
    }

    /// <summary>The canonical form passed to the runner: UTC, seconds.</summary>
    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$")]
    private static partial Regex WithOffset();
}
