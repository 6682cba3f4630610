namespace ManifestGen.Validation.Schedules;

/// <summary>
/// A parsed schedule: one bit per allowed value of each field (as robfig/cron stores it), or a fixed
/// period for <c>@every</c>. Computes the next run times in a time zone, so rules can reason about
/// intervals and overlaps with concrete times.
/// </summary>
public sealed record CronSchedule(string Expression, ulong Minute, ulong Hour, ulong DayOfMonth, ulong Month, ulong DayOfWeek, TimeSpan? Every)
{
    /// <summary>robfig gives up after five years; a schedule with no run in that time never runs.</summary>
    private const int SearchDays = 5 * 366;

    /// <summary>
    /// Run times strictly after <paramref name="after"/>, in ascending order, at most <paramref name="max"/>
    /// of them and none later than <paramref name="until"/>. Wall-clock times that do not exist in the
    /// zone (skipped by a DST change) are not runs.
    /// </summary>
    public IEnumerable<DateTimeOffset> Occurrences(DateTimeOffset after, TimeZoneInfo zone, int max, DateTimeOffset? until = null)
    {
        var limit = until ?? after.AddDays(SearchDays);
        if (Every is { } period)
        {
            for (int i = 1; i <= max && after + period * i <= limit; i++)
                yield return TimeZoneInfo.ConvertTime(after + period * i, zone);
            yield break;
        }
        var local = TimeZoneInfo.ConvertTime(after, zone).DateTime;
        var startDay = local.Date;
        int count = 0;
        for (int day = 0; day <= SearchDays; day++)
        {
            var date = startDay.AddDays(day);
            if (!DayMatches(date))
                continue;
            var dayOffset = ZoneDays.ConstantOffset(zone, date);
            for (int hour = 0; hour < 24; hour++)
            {
                if ((Hour & (1UL << hour)) == 0)
                    continue;
                for (int minute = 0; minute < 60; minute++)
                {
                    if ((Minute & (1UL << minute)) == 0)
                        continue;
                    var wall = date.AddHours(hour).AddMinutes(minute);
                    TimeSpan offset;
                    if (dayOffset is { } constant)
                        offset = constant;
                    else if (zone.IsInvalidTime(wall))
                        continue;
                    else
                        offset = zone.GetUtcOffset(wall);
                    var at = new DateTimeOffset(wall, offset);
                    if (at <= after)
                        continue;
                    if (at > limit)
                        yield break;
                    yield return at;
                    if (++count >= max)
                        yield break;
                }
            }
        }
    }

    /// <summary>The next run after <paramref name="after"/>, or null when there is none within five years.</summary>
    public DateTimeOffset? Next(DateTimeOffset after, TimeZoneInfo zone)
    {
        foreach (var at in Occurrences(after, zone, 1))
            return at;
        return null;
    }

    /// <summary>
    /// The shortest gap between two consecutive runs over a sample of runs from <paramref name="from"/>
    /// (a year, or 2000 runs, whichever is first); null when the schedule runs fewer than twice.
    /// </summary>
    public TimeSpan? ShortestInterval(DateTimeOffset from, TimeZoneInfo zone) =>
        Every is { } period ? period : Gaps(from, zone).Select(g => (TimeSpan?)g).Min();

    /// <summary>
    /// The longest gap between two consecutive runs over the same sample: how long a run may be missing
    /// before it is late (a weekday-only schedule: the weekend). Null when the schedule runs fewer than twice.
    /// </summary>
    public TimeSpan? LongestInterval(DateTimeOffset from, TimeZoneInfo zone) =>
        Every is { } period ? period : Gaps(from, zone).Select(g => (TimeSpan?)g).Max();

    private IEnumerable<TimeSpan> Gaps(DateTimeOffset from, TimeZoneInfo zone)
    {
        DateTimeOffset? previous = null;
        foreach (var at in Occurrences(from, zone, 2000, from.AddDays(400)))
        {
            if (previous is { } p)
                yield return at - p;
            previous = at;
        }
    }

    // robfig dayMatches: when either day field starts with * or ?, both must match; otherwise either.
    private bool DayMatches(DateTime date)
    {
        if ((Month & (1UL << date.Month)) == 0)
            return false;
        bool dom = (DayOfMonth & (1UL << date.Day)) != 0;
        bool dow = (DayOfWeek & (1UL << (int)date.DayOfWeek)) != 0;
        return (DayOfMonth & CronExpression.StarBit) != 0 || (DayOfWeek & CronExpression.StarBit) != 0 ? dom && dow : dom || dow;
    }
}

/// <summary>
/// The UTC offset of a whole local day in a zone, when it is the same from midnight to midnight (every
/// day but the few with a clock change), computed once per zone and day for every schedule. Schedule
/// rules walk hundreds of days for each of thousands of jobs; asking the zone's adjustment rules for
/// every run time was most of their cost.
/// </summary>
internal static class ZoneDays
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Zone, DateTime Date), TimeSpan?> Cache = new();

    /// <summary>
    /// The offset every wall-clock time of <paramref name="date"/> has, or null when the day holds a clock
    /// change (or starts in one): then each time is asked individually. The day is constant when midnight
    /// is a valid time and midnight, noon and the next midnight have the same offset (zones change their
    /// clocks at most once in half a day).
    /// </summary>
    public static TimeSpan? ConstantOffset(TimeZoneInfo zone, DateTime date) =>
        Cache.GetOrAdd((zone.Id, date), static (key, zone) =>
        {
            var (_, day) = key;
            if (zone.IsInvalidTime(day))
                return null;
            var offset = zone.GetUtcOffset(day);
            return zone.GetUtcOffset(day.AddHours(12)) == offset && zone.GetUtcOffset(day.AddDays(1)) == offset ? offset : null;
        }, zone);
}
