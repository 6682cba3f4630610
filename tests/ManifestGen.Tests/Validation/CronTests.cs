using ManifestGen.Diagnostics;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Tests.Validation;

public sealed class CronTests
{
    private static readonly DateTimeOffset Reference = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero); // a Monday

    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("America/New_York")]
    [InlineData("America/Santiago")] // clocks change at midnight
    [InlineData("Australia/Lord_Howe")] // half-hour change
    [InlineData("Asia/Kolkata")] // no change at all
    public void Should_give_the_runs_a_minute_by_minute_walk_of_the_clock_gives_across_clock_changes(string zoneId)
    {
        // The oracle walks every UTC minute of a year and asks what the wall clock shows; a wall time the
        // clock shows twice (autumn) runs once, at the standard offset, as the CronJob controller runs it.
        var zone = TimeZones.Resolve(zoneId);
        var until = Reference.AddDays(370);
        foreach (var spec in new[] { "*/30 0-3 * * *", "30 2 * * *", "0 0 * * *", "59 23 * * 0" })
        {
            var schedule = CronExpression.Parse(spec).Schedule!;
            var expected = new List<DateTimeOffset>();
            for (var at = Reference.AddMinutes(1); at <= until; at = at.AddMinutes(1))
            {
                var wall = TimeZoneInfo.ConvertTime(at, zone);
                if (wall.Offset == zone.GetUtcOffset(wall.DateTime) && Matches(schedule, wall.DateTime))
                    expected.Add(new DateTimeOffset(wall.DateTime, wall.Offset));
            }
            Assert.Equal(expected, schedule.Occurrences(Reference, zone, 100_000, until));
        }
    }

    private static bool Matches(CronSchedule s, DateTime wall) =>
        (s.Minute & (1UL << wall.Minute)) != 0 && (s.Hour & (1UL << wall.Hour)) != 0 && (s.Month & (1UL << wall.Month)) != 0
        && (s.DayOfMonth & (1UL << wall.Day)) != 0 && (s.DayOfWeek & (1UL << (int)wall.DayOfWeek)) != 0;

    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("0 3 * * *")]
    [InlineData("30 2 1-15 jan-jun mon-fri")]
    [InlineData("0 0 ? * SUN")]
    [InlineData("5/15 * * * *")]
    [InlineData("0 0 1,,15 * *")]
    [InlineData("0 0 * * 0-6")]
    [InlineData("0 22 * * 1-5")]
    [InlineData("@hourly")]
    [InlineData("@daily")]
    [InlineData("@midnight")]
    [InlineData("@weekly")]
    [InlineData("@monthly")]
    [InlineData("@yearly")]
    [InlineData("@annually")]
    [InlineData("@every 1h30m")]
    [InlineData("0\t3  * * *")]
    public void Should_accept_what_the_cronjob_controller_accepts(string spec)
    {
        var result = CronExpression.Parse(spec);
        Assert.True(result.IsValid, result.Error?.Message);
    }

    [Theory]
    [InlineData("* * * * 7", "MG0405")]
    [InlineData("0 0 * * 1-7", "MG0405")]
    [InlineData("0 0 0 * * *", "MG0403")]
    [InlineData("0 0 12 * * ? 2026", "MG0403")]
    [InlineData("0 0 L * *", "MG0404")]
    [InlineData("0 0 15W * *", "MG0404")]
    [InlineData("0 0 * * 5L", "MG0404")]
    [InlineData("0 0 * * 1#2", "MG0404")]
    [InlineData("TZ=Europe/Berlin 0 3 * * *", "MG0402")]
    [InlineData("CRON_TZ=UTC 0 3 * * *", "MG0402")]
    [InlineData("60 * * * *", "MG0401")]
    [InlineData("0 24 * * *", "MG0401")]
    [InlineData("0 0 0 * *", "MG0401")]
    [InlineData("0 0 * 13 *", "MG0401")]
    [InlineData("*/0 * * * *", "MG0401")]
    [InlineData("5-1 * * * *", "MG0401")]
    [InlineData("1-2-3 * * * *", "MG0401")]
    [InlineData("1/2/3 * * * *", "MG0401")]
    [InlineData("0 0 * * mon-fry", "MG0401")]
    [InlineData("0 0 * jan *  extra extra extra", "MG0401")]
    [InlineData("* * * *", "MG0401")]
    [InlineData("", "MG0401")]
    [InlineData("@Daily", "MG0401")]
    [InlineData("@reboot", "MG0401")]
    [InlineData(" @daily", "MG0401")]
    [InlineData("@every", "MG0401")]
    [InlineData("@every 5x", "MG0401")]
    [InlineData("0 0 H * *", "MG0401")]
    [InlineData("jan 0 * * *", "MG0401")]
    public void Should_reject_what_the_cronjob_controller_rejects_with_the_right_code(string spec, string code)
    {
        var result = CronExpression.Parse(spec);
        Assert.False(result.IsValid);
        Assert.Equal(code, result.Error!.Rule.Code);
    }

    [Fact]
    public void Should_point_at_the_offending_field()
    {
        var error = CronExpression.Parse("0 3 * * 7").Error!;
        Assert.Equal(8, error.Offset);
        Assert.Contains("Sunday is 0", error.Message);
    }

    [Theory]
    [InlineData("*/60 * * * *")]
    [InlineData("0 */24 * * *")]
    [InlineData("0 0 10-12/5 * *")]
    public void Should_warn_when_a_step_is_as_large_as_its_range(string spec)
    {
        var result = CronExpression.Parse(spec);
        Assert.True(result.IsValid);
        Assert.Equal(DiagnosticCatalogue.CronStepCoversRange, Assert.Single(result.Warnings).Rule);
    }

    [Fact]
    public void Should_not_warn_for_an_ordinary_step()
    {
        Assert.Empty(CronExpression.Parse("*/30 */2 * * *").Warnings);
    }

    [Fact]
    public void Should_compute_next_runs_in_the_time_zone()
    {
        var schedule = CronExpression.Parse("30 2 * * *").Schedule!;
        var berlin = TimeZones.Resolve("Europe/Berlin");
        var next = schedule.Next(Reference, berlin)!.Value;
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 2, 30, 0, TimeSpan.FromHours(1)), next);
        // 29 March 2026: 02:30 does not exist in Berlin, so that day has no run.
        var march = schedule.Occurrences(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero), berlin, 2).ToList();
        Assert.Equal(new DateTime(2026, 3, 30), march[0].Date);
        Assert.Equal(new DateTime(2026, 3, 31), march[1].Date);
    }

    [Fact]
    public void Should_combine_day_fields_like_robfig()
    {
        // Neither field starts with *: either may match (the 1st or any Monday; runs strictly after the reference).
        var either = CronExpression.Parse("0 0 1 * 1").Schedule!;
        var runs = either.Occurrences(Reference, TimeZoneInfo.Utc, 4).Select(d => (d.Month, d.Day)).ToList();
        Assert.Equal([(1, 12), (1, 19), (1, 26), (2, 1)], runs);
        // */2 starts with *: both must match.
        var both = CronExpression.Parse("0 0 */2 * 1").Schedule!;
        Assert.All(both.Occurrences(Reference, TimeZoneInfo.Utc, 5), d => Assert.True(d.Day % 2 == 1 && d.DayOfWeek == DayOfWeek.Monday));
    }

    [Theory]
    [InlineData("*/5 * * * *", 5)]
    [InlineData("0 3 * * *", 24 * 60)]
    [InlineData("0 1,2 * * *", 60)]
    [InlineData("@every 90m", 90)]
    [InlineData("@weekly", 7 * 24 * 60)]
    public void Should_compute_the_shortest_interval(string spec, int minutes)
    {
        var schedule = CronExpression.Parse(spec).Schedule!;
        Assert.Equal(TimeSpan.FromMinutes(minutes), schedule.ShortestInterval(Reference, TimeZoneInfo.Utc));
    }

    [Fact]
    public void Should_find_no_run_for_a_day_that_does_not_exist()
    {
        var schedule = CronExpression.Parse("0 0 30 2 *").Schedule!;
        Assert.Null(schedule.Next(Reference, TimeZoneInfo.Utc));
    }

    [Theory]
    [InlineData("Europe/Berlin", true)]
    [InlineData("UTC", true)]
    [InlineData("America/Argentina/Buenos_Aires", true)]
    [InlineData("Local", false)]
    [InlineData("europe/berlin", false)]
    [InlineData("CEST", false)]
    [InlineData("+02:00", false)]
    public void Should_accept_only_iana_zone_names(string name, bool valid)
    {
        Assert.Equal(valid, TimeZones.IsValid(name));
    }

    [Fact]
    public void Should_suggest_the_zone_name_with_the_right_case()
    {
        Assert.Equal("Europe/Berlin", TimeZones.Suggest("europe/berlin"));
        Assert.Equal("Europe/Berlin", TimeZones.Suggest("Berlin"));
    }

    [Theory]
    [InlineData("1h30m", 90 * 60)]
    [InlineData("1.5h", 90 * 60)]
    [InlineData("300ms", 0.3)]
    [InlineData("2h45m30s", 2 * 3600 + 45 * 60 + 30)]
    public void I_can_parse_a_go_duration(string text, double seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var d));
        Assert.Equal(seconds, d.TotalSeconds, 6);
        Assert.False(GoDuration.TryParse("5", out _));
        Assert.False(GoDuration.TryParse("1d", out _));
    }
}
