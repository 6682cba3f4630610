using System.Globalization;
using System.Text.RegularExpressions;

namespace ManifestGen.Planning;

/// <summary>
/// Expands Jenkins-style <c>H</c> in the minute and hour fields into a stable value hashed from a seed
/// (the host and app name), so apps do not all start at once and every render gives the same schedule.
/// Forms: <c>H</c>, <c>H(a-b)</c>, <c>H/n</c>, <c>H(a-b)/n</c>. Other fields are left as written (the
/// validation rules check the cron dialect).
/// </summary>
public static partial class Schedules
{
    [GeneratedRegex(@"^H(?:\((\d+)-(\d+)\))?(?:/(\d+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex HashForm();

    /// <summary>
    /// Returns the expanded schedule, or null with a reason when it cannot be expanded. <paramref name="shift"/>
    /// moves the hashed value by that many steps (of the hour field when it has H, else of the minute field),
    /// wrapping inside its range: the planner's further candidates when the first meets another job.
    /// </summary>
    public static string? Expand(string schedule, string seed, out string? error, int shift = 0)
    {
        error = null;
        var trimmed = schedule.Trim();
        if (trimmed.StartsWith('@'))
            return trimmed;
        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            error = $"a schedule has five fields (minute hour day-of-month month day-of-week); '{schedule}' has {fields.Length}";
            return null;
        }
        for (var i = 2; i < 5; i++)
        {
            if (fields[i].Contains('H', StringComparison.Ordinal))
            {
                error = $"H is allowed only in the minute and hour fields, not in '{fields[i]}'";
                return null;
            }
        }
        var hourIsHashed = fields[1].Contains('H', StringComparison.Ordinal);
        var minute = ExpandField(fields[0], 0, 59, seed + "#minute", hourIsHashed ? 0 : shift, out error);
        if (minute is null)
            return null;
        var hour = ExpandField(fields[1], 0, 23, seed + "#hour", shift, out error);
        if (hour is null)
            return null;
        return string.Join(' ', minute, hour, fields[2], fields[3], fields[4]);
    }

    /// <summary>How many different expansions <see cref="Expand"/> gives by its shift: the values of the field it moves.</summary>
    public static int Candidates(string schedule)
    {
        var fields = schedule.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5 || fields[0].StartsWith('@'))
            return 1;
        return fields[1].Contains('H', StringComparison.Ordinal) ? 24 : fields[0].Contains('H', StringComparison.Ordinal) ? 60 : 1;
    }

    private static string? ExpandField(string field, int min, int max, string seed, int shift, out string? error)
    {
        error = null;
        if (!field.Contains('H', StringComparison.Ordinal))
            return field;
        var parts = field.Split(',');
        for (var i = 0; i < parts.Length; i++)
        {
            if (!parts[i].Contains('H', StringComparison.Ordinal))
                continue;
            var match = HashForm().Match(parts[i]);
            if (!match.Success)
            {
                error = $"'{parts[i]}' is not a form of H (H, H(a-b), H/n, H(a-b)/n)";
                return null;
            }
            var low = match.Groups[1].Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : min;
            var high = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : max;
            if (low < min || high > max || low > high)
            {
                error = $"range {low}-{high} in '{parts[i]}' is outside {min}-{max}";
                return null;
            }
            var hash = StableHash.UInt(seed);
            if (match.Groups[3].Success)
            {
                var step = int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
                if (step < 1 || step > high - low + 1)
                {
                    error = $"step {step} in '{parts[i]}' must be between 1 and {high - low + 1}";
                    return null;
                }
                var start = low + (int)(((ulong)hash + (ulong)shift) % (uint)step);
                parts[i] = $"{start}-{high}/{step}";
            }
            else
            {
                parts[i] = (low + (int)(((ulong)hash + (ulong)shift) % (uint)(high - low + 1))).ToString(CultureInfo.InvariantCulture);
            }
        }
        return string.Join(',', parts);
    }
}
