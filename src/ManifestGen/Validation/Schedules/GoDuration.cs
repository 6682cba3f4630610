using System.Globalization;

namespace ManifestGen.Validation.Schedules;

/// <summary>Go's time.ParseDuration (what <c>@every</c> takes): a sequence of decimal numbers with units ns, us, µs, ms, s, m, h.</summary>
public static class GoDuration
{
    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", 0.01), ("us", 10), ("µs", 10), ("μs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text;
        bool negative = false;
        if (s.Length > 0 && s[0] is '+' or '-') { negative = s[0] == '-'; s = s[1..]; }
        if (s == "0") return true;
        if (s.Length == 0) return false;
        double ticks = 0;
        while (s.Length > 0)
        {
            int i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (i == 0 || !double.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                return false;
            s = s[i..];
            var unit = Units.Where(u => s.StartsWith(u.Unit, StringComparison.Ordinal)).OrderByDescending(u => u.Unit.Length).FirstOrDefault();
            if (unit.Unit is null) return false;
            ticks += number * unit.Ticks;
            s = s[unit.Unit.Length..];
            if (ticks > TimeSpan.MaxValue.Ticks / 2) return false;
        }
        duration = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }
}
