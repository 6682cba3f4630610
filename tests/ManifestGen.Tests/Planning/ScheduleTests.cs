using System.Globalization;
using ManifestGen.Planning;

namespace ManifestGen.Tests.Planning;

public sealed class ScheduleTests
{
    [Fact]
    public void Should_replace_H_by_a_stable_value_in_range()
    {
        var first = Schedules.Expand("H H * * *", "kvm-lab/immich", out var error);
        Assert.Null(error);
        Assert.Equal(first, Schedules.Expand("H H * * *", "kvm-lab/immich", out _));
        var fields = first!.Split(' ');
        Assert.InRange(int.Parse(fields[0], CultureInfo.InvariantCulture), 0, 59);
        Assert.InRange(int.Parse(fields[1], CultureInfo.InvariantCulture), 0, 23);
        Assert.Equal("* * *", string.Join(' ', fields[2..]));
    }

    [Fact]
    public void Should_be_the_same_on_every_machine_because_it_uses_sha256()
    {
        // SHA-256 of "kvm-lab/immich#minute" and "#hour"; string.GetHashCode would differ per process.
        var minute = StableHash.UInt("kvm-lab/immich#minute") % 60;
        var hour = StableHash.UInt("kvm-lab/immich#hour") % 24;
        Assert.Equal($"{minute} {hour} * * *", Schedules.Expand("H H * * *", "kvm-lab/immich", out _));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"[..8], StableHash.Hex("", 8));
    }

    [Fact]
    public void Should_spread_apps_over_the_hour()
    {
        var minutes = Enumerable.Range(0, 40)
            .Select(i => Schedules.Expand("H 2 * * *", $"host/app-{i}", out _)!.Split(' ')[0])
            .Distinct()
            .Count();
        Assert.True(minutes >= 20, $"40 apps got only {minutes} distinct minutes");
    }

    [Theory]
    [InlineData("H(10-20) H(1-4) * * 0", 10, 20, 1, 4)]
    [InlineData("H(0-0) H(23-23) * * *", 0, 0, 23, 23)]
    public void Should_keep_H_within_a_given_range(string schedule, int minLow, int minHigh, int hourLow, int hourHigh)
    {
        for (var i = 0; i < 50; i++)
        {
            var fields = Schedules.Expand(schedule, $"h/a{i}", out var error)!.Split(' ');
            Assert.Null(error);
            Assert.InRange(int.Parse(fields[0], CultureInfo.InvariantCulture), minLow, minHigh);
            Assert.InRange(int.Parse(fields[1], CultureInfo.InvariantCulture), hourLow, hourHigh);
        }
    }

    [Fact]
    public void Should_expand_a_hashed_step_into_an_explicit_range()
    {
        var expanded = Schedules.Expand("H/15 * * * *", "h/a", out _)!;
        var minute = expanded.Split(' ')[0];
        Assert.Matches(@"^([0-9]|1[0-4])-59/15$", minute);
    }

    [Theory]
    [InlineData("H H * * H", "only in the minute and hour")]
    [InlineData("H H * *", "five fields")]
    [InlineData("H(50-70) * * * *", "outside 0-59")]
    [InlineData("HH * * * *", "not a form of H")]
    public void Should_explain_why_a_schedule_cannot_be_expanded(string schedule, string reason)
    {
        Assert.Null(Schedules.Expand(schedule, "h/a", out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("@daily")]
    [InlineData("*/5 1-3 * * 1-5")]
    public void Should_leave_schedules_without_H_unchanged(string schedule) =>
        Assert.Equal(schedule, Schedules.Expand(schedule, "h/a", out _));

    [Fact]
    public void Should_truncate_long_names_with_a_stable_hash_suffix()
    {
        var name = Names.Join(Names.CronJobMax, "backup", "a-very-long-host-name-for-the-kvm", "and-an-even-longer-application-name");
        Assert.Equal(Names.CronJobMax, name.Length);
        Assert.Equal(name, Names.Join(Names.CronJobMax, "backup", "a-very-long-host-name-for-the-kvm", "and-an-even-longer-application-name"));
        Assert.NotEqual(name, Names.Join(Names.CronJobMax, "backup", "a-very-long-host-name-for-the-kvm", "and-an-even-longer-application-nam2"));
        Assert.Equal("backup-h-a", Names.Join(Names.CronJobMax, "backup", "h", "a"));
    }
}
