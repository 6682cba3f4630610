using System.Collections.Immutable;

namespace ManifestGen.Contracts;

/// <summary>
/// One meaning for the inventory's exclude patterns in every strategy, the one restic gives them: a
/// pattern starting with '/' is anchored at the host's filesystem root (snapshot paths are host paths);
/// any other pattern matches at any depth; '*' does not cross '/'. rsync anchors '/' at the transfer
/// root and tar (GNU) matches member names without the leading '/' and lets '*' cross '/' in
/// exclusions, so both get translated patterns.
/// </summary>
public static class Excludes
{
    /// <summary>
    /// rsync pulls <c>HOST:/a/b/app</c> into the mirror's <c>/a/b/</c>: its transfer root is the path's
    /// parent, so an absolute pattern below it loses that prefix; one outside it cannot match and is left out.
    /// </summary>
    public static ImmutableArray<string> ForRsync(string hostPath, IEnumerable<string> patterns)
    {
        var trimmed = hostPath.TrimEnd('/');
        var parent = trimmed.Length == 0 ? "/" : Path.GetDirectoryName(trimmed)?.Replace('\\', '/') ?? "/";
        var prefix = parent.TrimEnd('/') + "/";
        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var p in patterns)
        {
            if (!p.StartsWith('/')) result.Add("--exclude=" + p);
            else if (prefix == "/") result.Add("--exclude=" + p);
            else if (p.StartsWith(prefix, StringComparison.Ordinal) && p.Length > prefix.Length) result.Add("--exclude=/" + p[prefix.Length..]);
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// tar runs with <c>-C /</c> and relative member names: absolute patterns lose their leading '/' and
    /// are anchored; the others match at any depth; '*' never matches '/'.
    /// </summary>
    public static ImmutableArray<string> ForTar(IEnumerable<string> patterns)
    {
        var list = patterns.ToList();
        var result = ImmutableArray.CreateBuilder<string>();
        if (list.Count == 0) return result.ToImmutable();
        result.Add("--no-wildcards-match-slash");
        foreach (var p in list.Where(p => !p.StartsWith('/'))) result.Add("--exclude=" + p);
        var anchored = list.Where(p => p.StartsWith('/')).ToList();
        if (anchored.Count > 0)
        {
            result.Add("--anchored");
            foreach (var p in anchored) result.Add("--exclude=" + p.TrimStart('/'));
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// A literal path as a restic --include pattern: '*', '?', '[' and '\' are escaped, so a file
    /// named <c>a[1].txt</c> restores exactly that file and nothing that the glob would match.
    /// </summary>
    public static string LiteralPattern(string path)
    {
        var sb = new System.Text.StringBuilder(path.Length + 4);
        foreach (var c in path)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }
}
