using System.Globalization;
using System.Text.RegularExpressions;

namespace ManifestGen.Validation.Primitives;

/// <summary>A Kubernetes resource quantity (<c>10Gi</c>, <c>500M</c>, <c>250m</c>, <c>1e3</c>) with its value in base units.</summary>
public sealed partial record Quantity(string Text, decimal Value, bool DecimalSuffix)
{
    [GeneratedRegex(@"^(?<num>[+-]?(\d+(\.\d*)?|\.\d+))(?<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();

    public static bool TryParse(string text, out Quantity? quantity, out string? why)
    {
        quantity = null;
        var m = Syntax().Match(text);
        if (!m.Success)
        {
            why = text.Trim() != text ? "it contains spaces"
                : Regex.IsMatch(text, @"^\d+(\.\d+)?\s*[kmgtpe]i?b?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1))
                    ? "the unit is not a Kubernetes suffix (use Ki, Mi, Gi, Ti or k, M, G, T; case matters)"
                    : "it is not a number with an optional Kubernetes suffix";
            return false;
        }
        var suffix = m.Groups["suffix"].Value;
        try
        {
            var number = decimal.Parse(m.Groups["num"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            var factor = suffix switch
            {
                "" => 1m,
                "n" => 0.000000001m, "u" => 0.000001m, "m" => 0.001m,
                "k" => 1e3m, "M" => 1e6m, "G" => 1e9m, "T" => 1e12m, "P" => 1e15m, "E" => 1e18m,
                "Ki" => 1024m, "Mi" => 1024m * 1024, "Gi" => 1024m * 1024 * 1024, "Ti" => 1024m * 1024 * 1024 * 1024,
                "Pi" => 1024m * 1024 * 1024 * 1024 * 1024, "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
                _ => Exponent(suffix),
            };
            quantity = new Quantity(text, number * factor, suffix is "k" or "M" or "G" or "T" or "P" or "E");
            why = null;
            return true;
        }
        catch (OverflowException)
        {
            why = "it is too large";
            return false;
        }
    }

    private static decimal Exponent(string suffix)
    {
        var exponent = int.Parse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exponent is > 27 or < -27) throw new OverflowException();
        decimal factor = 1;
        for (int i = 0; i < Math.Abs(exponent); i++) factor *= 10;
        return exponent < 0 ? 1 / factor : factor;
    }

    /// <summary>The value in the largest binary unit that keeps it readable, e.g. "9.31 Gi", for messages.</summary>
    public static string Describe(decimal bytes)
    {
        string[] units = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        int i = 0;
        var value = bytes;
        while (Math.Abs(value) >= 1024 && i < units.Length - 1) { value /= 1024; i++; }
        return Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture) + (i == 0 ? " bytes" : " " + units[i]);
    }
}
