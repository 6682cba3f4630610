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
}
