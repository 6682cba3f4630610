using System.Net;
using System.Text.RegularExpressions;

namespace ManifestGen.Validation.Primitives;

/// <summary>Host names (RFC 1123) and IP addresses, as an SSH or NFS server is written.</summary>
public static partial class HostNames
{
    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    public static bool IsHostOrAddress(string text) =>
        text.Length > 0 && (IPAddress.TryParse(text.Trim('[', ']'), out _) && (text.Contains(':') || text.Count(c => c == '.') == 3)
            || (HostName().IsMatch(text) && !text.All(c => char.IsAsciiDigit(c) || c == '.')));
}
