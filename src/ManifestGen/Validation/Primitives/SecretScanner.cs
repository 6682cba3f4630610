using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace ManifestGen.Validation.Primitives;

public enum SecretKind { PrivateKey, LiteralPassword }

/// <summary>A credential found in a value: what kind, where (0-based), and a description that does not repeat it.</summary>
public readonly record struct SecretMatch(SecretKind Kind, int Offset, string What);

/// <summary>
/// Finds credentials in values of a tracked file: private key blocks, well-known token formats, and
/// passwords written literally into commands or URLs. A password taken from a variable or a file
/// (<c>$VAR</c>, <c>$(cat …)</c>) is not literal. Messages never quote the secret.
/// </summary>
public static partial class SecretScanner
{
    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d|b3BlbnNzaC1rZXktdjE", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKeyRegex();

    [GeneratedRegex(@"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_\-]{20}|xox[abpr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,})", RegexOptions.CultureInvariant)]
    private static partial Regex TokenRegex();

    // The value group is what must not be literal; a leading $ (variable or command substitution) is fine.
    [GeneratedRegex(@"(?:--password[= ]|--passwd[= ]|\b(?:PGPASSWORD|MYSQL_PWD|MYSQL_PASSWORD|MARIADB_PASSWORD|POSTGRES_PASSWORD|RESTIC_PASSWORD|REDIS_PASSWORD|PASSWORD)=|\bsshpass\s+-p\s*|\b(?:mysql|mysqldump|mariadb|mariadb-dump|mysqladmin)\b[^|;&]*?\s-p(?=[^\s-]))(?<value>""[^""]*""|'[^']*'|[^\s;&|]+)", RegexOptions.CultureInvariant)]
    private static partial Regex PasswordArgumentRegex();

    [GeneratedRegex(@"[a-z][a-z0-9+.-]*://[^/\s:@]+:(?<value>[^/\s@]+)@", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex UrlCredentialRegex();

    public static ImmutableArray<SecretMatch> Find(string value)
    {
        var found = ImmutableArray.CreateBuilder<SecretMatch>();
        foreach (Match m in PrivateKeyRegex().Matches(value))
            found.Add(new SecretMatch(SecretKind.PrivateKey, m.Index, "private key material"));
        foreach (Match m in TokenRegex().Matches(value))
            found.Add(new SecretMatch(SecretKind.LiteralPassword, m.Index, "an access token"));
        foreach (Match m in PasswordArgumentRegex().Matches(value))
            if (IsLiteral(m.Groups["value"].Value))
                found.Add(new SecretMatch(SecretKind.LiteralPassword, m.Index, "a literal password in a command"));
        foreach (Match m in UrlCredentialRegex().Matches(value))
            if (IsLiteral(m.Groups["value"].Value))
                found.Add(new SecretMatch(SecretKind.LiteralPassword, m.Index, "a password in a URL"));
        return [.. found.OrderBy(f => f.Offset)];
    }

    private static bool IsLiteral(string value)
    {
        var v = value.Trim('"', '\'');
        return v.Length > 0 && v[0] != '$' && !v.StartsWith("`", StringComparison.Ordinal) && !v.StartsWith("<(", StringComparison.Ordinal);
    }
}
