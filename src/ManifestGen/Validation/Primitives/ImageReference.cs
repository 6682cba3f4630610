using System.Text.RegularExpressions;

namespace ManifestGen.Validation.Primitives;

/// <summary>A container image reference, <c>[registry[:port]/]repository[:tag][@digest]</c>, parsed by the distribution grammar.</summary>
public sealed partial record ImageReference(string? Registry, string Repository, string? Tag, string? Digest)
{
    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponent();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestRegex();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Host();

    public static bool IsValidTag(string tag) => TagRegex().IsMatch(tag);

    public static bool IsValidDigest(string digest) => DigestRegex().IsMatch(digest);

    public static bool TryParse(string text, out ImageReference? image, out string? why)
    {
        image = null;
        if (text.Length == 0 || text.Trim() != text || text.Any(char.IsWhiteSpace)) { why = "it is empty or contains spaces"; return false; }
        string rest = text;
        string? digest = null, tag = null, registry = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!IsValidDigest(digest)) { why = $"the digest `{digest}` is not `sha256:` followed by 64 lower-case hex digits"; return false; }
        }
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper))
            {
                registry = first;
                rest = rest[(slash + 1)..];
                if (!Host().IsMatch(registry)) { why = $"the registry `{registry}` is not a host name with an optional port"; return false; }
            }
        }
        var colon = rest.LastIndexOf(':');
        if (colon >= 0)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!IsValidTag(tag)) { why = $"the tag `{tag}` is not valid (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')"; return false; }
        }
        if (rest.Length == 0 || rest.Split('/').Any(c => !PathComponent().IsMatch(c)))
        {
            why = $"the repository `{rest}` must be lower-case path components of letters and digits separated by '.', '_' or '-'";
            return false;
        }
        image = new ImageReference(registry, rest, tag, digest);
        why = null;
        return true;
    }
}
