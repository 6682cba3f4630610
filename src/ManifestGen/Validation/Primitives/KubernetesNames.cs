using System.Text;
using System.Text.RegularExpressions;

namespace ManifestGen.Validation.Primitives;

/// <summary>Kubernetes name rules (DNS-1123 label and subdomain, label values), with reasons and suggestions.</summary>
public static partial class KubernetesNames
{
    public const int LabelMaxLength = 63;
    public const int SubdomainMaxLength = 253;
    /// <summary>The CronJob controller appends an 11-character suffix to name Jobs, which are capped at 63.</summary>
    public const int CronJobMaxLength = 52;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Label();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValueRegex();

    /// <summary>Null when <paramref name="name"/> is a DNS-1123 label, otherwise why not.</summary>
    public static string? WhyNotLabel(string name, int maxLength = LabelMaxLength)
    {
        if (name.Length == 0) return "it is empty";
        if (name.Length > maxLength) return $"it is {name.Length} characters long (at most {maxLength})";
        if (name.Any(char.IsUpper)) return "it contains upper-case letters";
        if (!Label().IsMatch(name))
            return name[0] == '-' || name[^1] == '-'
                ? "it must start and end with a letter or digit"
                : "only lower-case letters, digits and '-' are allowed";
        return null;
    }

    /// <summary>Null when <paramref name="name"/> is a DNS-1123 subdomain (dot-separated labels, at most 253).</summary>
    public static string? WhyNotSubdomain(string name, int maxLength = SubdomainMaxLength)
    {
        if (name.Length == 0) return "it is empty";
        if (name.Length > maxLength) return $"it is {name.Length} characters long (at most {maxLength})";
        foreach (var part in name.Split('.'))
            if (WhyNotLabel(part, SubdomainMaxLength) is { } why)
                return why;
        return null;
    }

    /// <summary>Null when <paramref name="value"/> is a valid label value.</summary>
    public static string? WhyNotLabelValue(string value)
    {
        if (value.Length > LabelMaxLength) return $"it is {value.Length} characters long (at most {LabelMaxLength})";
        return LabelValueRegex().IsMatch(value) ? null : "only letters, digits, '-', '_' and '.' are allowed, starting and ending with a letter or digit";
    }

    /// <summary>
    /// A DNS-1123 label close to <paramref name="name"/>: invisible characters dropped and look-alike letters
    /// made Latin first (so `nеxtcloud` with a Cyrillic `е` gives `nextcloud`, not `n-xtcloud`), then lower
    /// case, other characters as '-', trimmed.
    /// </summary>
    public static string Suggest(string name)
    {
        var text = new StringBuilder();
        foreach (var c in LookAlikeText.Skeleton(name).ToLowerInvariant())
            text.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        var suggestion = Regex.Replace(text.ToString(), "-{2,}", "-", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)).Trim('-');
        if (suggestion.Length > LabelMaxLength) suggestion = suggestion[..LabelMaxLength].TrimEnd('-');
        return suggestion.Length == 0 ? "x" : suggestion;
    }
}
