namespace ManifestGen.Validation.Primitives;

/// <summary>Absolute, normalised POSIX paths, as host paths and NFS paths must be written.</summary>
public static class PosixPath
{
    /// <summary>Null when <paramref name="path"/> is absolute and normalised, otherwise why not.</summary>
    public static string? WhyNotAbsoluteNormalised(string path)
    {
        if (path.Length == 0) return "it is empty";
        if (path.Contains('\0') || path.Contains('\n') || path.Contains('\r')) return "it contains a control character";
        if (path[0] != '/') return "it is not absolute (it must start with '/')";
        if (path == "/") return null;
        if (path.Contains("//", StringComparison.Ordinal)) return "it contains '//'";
        if (path.EndsWith('/')) return "it ends with '/'";
        foreach (var segment in path.Split('/').Skip(1))
        {
            if (segment == "..") return "it contains a '..' segment";
            if (segment == ".") return "it contains a '.' segment";
        }
        return null;
    }

    /// <summary>The normalised form (collapsing '.', '..', '//', trailing '/'), for hints.</summary>
    public static string Normalise(string path)
    {
        var parts = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(segment);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or below it (segment-wise, so /srv/a is not under /srv/ab).</summary>
    public static bool IsSameOrUnder(string inner, string outer)
    {
        var a = Normalise(inner);
        var b = Normalise(outer);
        return a == b || b == "/" || a.StartsWith(b + "/", StringComparison.Ordinal);
    }

    /// <summary>True when one path is the other or inside it.</summary>
    public static bool Overlap(string a, string b) => IsSameOrUnder(a, b) || IsSameOrUnder(b, a);
}
