using System.Collections.Immutable;
using System.Globalization;

namespace ManifestGen.Validation.Primitives;

/// <summary>The NFS mount options ManifestGen accepts, with the values each may take.</summary>
public static class NfsMountOptions
{
    private static readonly ImmutableHashSet<string> Flags =
        ["hard", "noatime", "nodiratime", "relatime", "nolock", "noresvport", "_netdev", "nocto", "sync", "async", "ro", "rw"];

    private static readonly ImmutableDictionary<string, Func<string, bool>> Valued = new Dictionary<string, Func<string, bool>>
    {
        ["nfsvers"] = v => v is "3" or "4" or "4.0" or "4.1" or "4.2",
        ["vers"] = v => v is "3" or "4" or "4.0" or "4.1" or "4.2",
        ["rsize"] = v => Number(v, 1024, 1048576),
        ["wsize"] = v => Number(v, 1024, 1048576),
        ["timeo"] = v => Number(v, 1, 6000),
        ["retrans"] = v => Number(v, 0, 100),
        ["actimeo"] = v => Number(v, 0, 3600),
        ["port"] = v => Number(v, 0, 65535),
        ["nconnect"] = v => Number(v, 1, 16),
        ["proto"] = v => v is "tcp" or "tcp6" or "udp" or "udp6" or "rdma",
        ["sec"] = v => v is "sys" or "krb5" or "krb5i" or "krb5p",
        ["lookupcache"] = v => v is "all" or "none" or "pos" or "positive",
    }.ToImmutableDictionary();

    /// <summary>Null when the option is allowed, otherwise why not.</summary>
    public static string? WhyNotAllowed(string option)
    {
        var trimmed = option.Trim();
        if (trimmed.Length == 0) return "the option is empty";
        if (trimmed == "soft") return "`soft` returns I/O errors to restic when the NAS is slow, which can corrupt the repository; use `hard`";
        if (Flags.Contains(trimmed)) return null;
        var eq = trimmed.IndexOf('=', StringComparison.Ordinal);
        var name = eq < 0 ? trimmed : trimmed[..eq];
        if (!Valued.TryGetValue(name, out var valid))
            return $"`{name}` is not in the allowed list";
        if (eq < 0) return $"`{name}` needs a value (`{name}=…`)";
        var value = trimmed[(eq + 1)..];
        return valid(value) ? null : $"`{value}` is not a valid value for `{name}`";
    }

    private static bool Number(string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max;
}
