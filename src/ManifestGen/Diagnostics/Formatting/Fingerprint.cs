using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ManifestGen.Diagnostics.Formatting;

/// <summary>
/// A fingerprint that identifies a finding across commits: it hashes the code, the file and the message
/// (which names the field, not the line), never the position, so moving the line keeps the finding
/// "the same" in GitLab's merge request widget. Identical findings get an ordinal to stay unique.
/// </summary>
internal static partial class Fingerprint
{
    public static ImmutableArray<string> Compute(ImmutableArray<Diagnostic> diagnostics, FormatOptions options)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<string>(diagnostics.Length);
        foreach (var d in diagnostics)
        {
            var basis = string.Join('\0', d.Code, DiagnosticFormatter.DisplayPath(d.Location.File, options),
                Positions().Replace(d.Message, ""));
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(basis)));
            seen[hash] = seen.TryGetValue(hash, out var n) ? n + 1 : 0;
            result.Add(seen[hash] == 0 ? hash : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hash + "#" + seen[hash]))));
        }
        return result.MoveToImmutable();
    }

    // A message that mentions another position ("also at (12,3)", "line 12") must not tie the fingerprint to it.
    [GeneratedRegex(@"\(\d+,\d+\)|\bline \d+", RegexOptions.CultureInvariant)]
    private static partial Regex Positions();
}
