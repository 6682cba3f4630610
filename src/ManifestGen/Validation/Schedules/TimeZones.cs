using System.Collections.Immutable;

namespace ManifestGen.Validation.Schedules;

/// <summary>
/// IANA time zone names as the CronJob controller accepts them in spec.timeZone. The list of names is
/// committed (IanaTimeZoneNames) so that the verdict is the same on every machine; the zone's rules
/// come from the machine (TimeZoneInfo) and are only used to compute example run times.
/// </summary>
public static class TimeZones
{
    private static readonly Lazy<ImmutableHashSet<string>> Names = new(Load);

    public static ImmutableHashSet<string> All => Names.Value;

    public static bool IsValid(string name) => All.Contains(name);

    /// <summary>A suggestion for a misspelt name: the same name in other letter case (or without invisible characters), or null.</summary>
    public static string? Suggest(string name) => SuggestPlain(Primitives.LookAlikeText.Skeleton(name).Trim());

    private static string? SuggestPlain(string name) =>
        All.Where(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)).OrderBy(n => n, StringComparer.Ordinal).FirstOrDefault()
        ?? All.Where(n => n.EndsWith("/" + name, StringComparison.OrdinalIgnoreCase)).OrderBy(n => n, StringComparer.Ordinal).FirstOrDefault();

    /// <summary>The zone's rules, or UTC when the machine lacks them (only example times change).</summary>
    public static TimeZoneInfo Resolve(string? name)
    {
        if (name is null || !IsValid(name))
            return TimeZoneInfo.Utc;
        try { return TimeZoneInfo.FindSystemTimeZoneById(name); }
        catch (TimeZoneNotFoundException) { return TimeZoneInfo.Utc; }
        catch (InvalidTimeZoneException) { return TimeZoneInfo.Utc; }
    }

    private static ImmutableHashSet<string> Load() =>
        IanaTimeZoneNames.List.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToImmutableHashSet(StringComparer.Ordinal);
}
