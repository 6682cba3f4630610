using System.Globalization;
using System.Text.RegularExpressions;

namespace ManifestGen.Contracts;

/// <summary>restic argument syntaxes the inventory passes through (read-data subsets, keep-within durations); the generator's rules and the runner's configuration check share them.</summary>
public static partial class ResticSyntax
{
    [GeneratedRegex(@"^(?<n>\d+)/(?<m>\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Fraction();

    [GeneratedRegex(@"^(?<p>\d+(\.\d+)?)%$", RegexOptions.CultureInvariant)]
    private static partial Regex Percentage();

    [GeneratedRegex(@"^(?<n>\d+)[kKmMgGtT]?$", RegexOptions.CultureInvariant)]
    private static partial Regex Size();

    [GeneratedRegex(@"^(\d+[ymwdh])+$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    /// <summary>
    /// n of a copy check's <c>--read-data-subset n/N</c> on <paramref name="day"/>: the day number (UTC) modulo N,
    /// plus one. A daily check reads every pack once in N days; the generator's MG1110 tells which schedules
    /// never reach some of the N subsets (a weekly one when N is a multiple of 7).
    /// </summary>
    public static int CopyCheckSubset(DateTimeOffset day, int subsets) =>
        (int)(day.ToUnixTimeSeconds() / 86400 % subsets) + 1;

    /// <summary>Null when <c>restic check --read-data-subset</c> accepts the value (n/m, x%, or a size), otherwise why not.</summary>
    public static string? WhyNotReadDataSubset(string subset)
    {
        if (Fraction().Match(subset) is { Success: true } f)
        {
            if (!long.TryParse(f.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                || !long.TryParse(f.Groups["m"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var m))
                return "the numbers are too large";
            if (m < 1) return "the group count m in n/m must be at least 1";
            if (n < 1 || n > m) return $"the group n must be between 1 and {m}";
            return null;
        }
        if (Percentage().Match(subset) is { Success: true } p)
        {
            var percent = double.Parse(p.Groups["p"].Value, CultureInfo.InvariantCulture);
            return percent is > 0 and <= 100 ? null : "a percentage must be above 0% and at most 100%";
        }
        if (Size().Match(subset) is { Success: true } s)
            return s.Groups["n"].Value.TrimStart('0').Length == 0 ? "a size must be positive" : null;
        return subset.Contains('/') ? "expected `n/m` with whole numbers"
            : subset.Contains('%') ? "expected a percentage such as `5%`"
            : "expected `n/m`, a percentage `x%` or a size such as `500M` or `2G`";
    }

    /// <summary>Null when the value is a restic duration (<c>1y2m3d4h</c>), otherwise why not.</summary>
    public static string? WhyNotDuration(string duration) =>
        Duration().IsMatch(duration) ? null : "expected a duration such as `30d`, `1y6m` or `2w3d12h` (units y, m, w, d, h)";

    /// <summary>
    /// restic forget's --keep-* arguments of a policy, in one order (the runner's forget jobs and the copy
    /// owner's rendered runbook); empty when the policy keeps nothing, which both refuse.
    /// </summary>
    public static System.Collections.Immutable.ImmutableArray<string> KeepArgs(RetentionPolicy p)
    {
        var args = System.Collections.Immutable.ImmutableArray.CreateBuilder<string>();
        void Keep(string flag, int? n)
        {
            if (n is { } v) args.AddRange(flag, v.ToString(CultureInfo.InvariantCulture));
        }
        Keep("--keep-last", p.KeepLast);
        Keep("--keep-hourly", p.KeepHourly);
        Keep("--keep-daily", p.KeepDaily);
        Keep("--keep-weekly", p.KeepWeekly);
        Keep("--keep-monthly", p.KeepMonthly);
        Keep("--keep-yearly", p.KeepYearly);
        if (p.KeepWithin is { } w) args.AddRange("--keep-within", w);
        foreach (var t in p.KeepTags) args.AddRange("--keep-tag", t);
        return args.ToImmutable();
    }

    /// <summary>A restic duration in hours (a month as 30 days, a year as 365), to compare two; null when it is not one.</summary>
    public static long? DurationHours(string duration)
    {
        if (WhyNotDuration(duration) is not null)
            return null;
        long total = 0, number = 0;
        foreach (var ch in duration)
        {
            if (char.IsAsciiDigit(ch))
            {
                number = number * 10 + (ch - '0');
                continue;
            }
            total += number * ch switch { 'y' => 365 * 24, 'm' => 30 * 24, 'w' => 7 * 24, 'd' => 24, _ => 1 };
            number = 0;
        }
        return total;
    }
}
