using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;

namespace ManifestGen.Validation.Primitives;

/// <summary>
/// One OpenSSH public key line (<c>type base64 [comment]</c>), checked down to its blob: the base64 must
/// decode, the blob's embedded type must equal the stated type, and the key material must have the right
/// shape (32-byte ed25519 key, RSA exponent and modulus, ECDSA curve name matching the type).
/// </summary>
public sealed record SshPublicKey(string Type, string Base64, string? Comment, int Bits)
{
    public static readonly ImmutableArray<string> KnownTypes =
    [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss",
    ];

    /// <summary>The known_hosts payload: type and base64, without the comment.</summary>
    public string KeyText => Type + " " + Base64;

    /// <summary>True for key types or sizes current OpenSSH considers weak (DSA, RSA below 2048 bits).</summary>
    public bool IsWeak => Type == "ssh-dss" || (Type == "ssh-rsa" && Bits < 2048);

    public static bool TryParse(string line, out SshPublicKey? key, out string? why)
    {
        key = null;
        var parts = line.Trim().Split((char[])[' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            why = "expected `<type> <base64> [comment]`";
            return false;
        }
        if (!KnownTypes.Contains(parts[0]))
        {
            why = KnownTypes.Contains(parts[1])
                ? $"it starts with `{parts[0]}`: write only the key (`{parts[1]} AAAA…`), without a host name"
                : $"`{Shorten(parts[0])}` is not an SSH public key type (expected one of {string.Join(", ", KnownTypes.Take(5))}, …)";
            return false;
        }
        byte[] blob;
        try { blob = Convert.FromBase64String(parts[1]); }
        catch (FormatException)
        {
            why = "the key data is not valid base64 (is it truncated?)";
            return false;
        }
        var reader = new BlobReader(blob);
        if (!reader.TryString(out var embedded))
        {
            why = "the key data is too short to be a key";
            return false;
        }
        var embeddedType = Encoding.ASCII.GetString(embedded);
        if (embeddedType != parts[0])
        {
            why = $"the line says `{parts[0]}` but the key data is a `{Shorten(embeddedType)}` key";
            return false;
        }
        var bits = CheckMaterial(parts[0], reader, out why);
        if (why is not null)
            return false;
        key = new SshPublicKey(parts[0], parts[1], parts.Length > 2 ? parts[2] : null, bits);
        return true;
    }

    private static int CheckMaterial(string type, BlobReader reader, out string? why)
    {
        why = null;
        switch (type)
        {
            case "ssh-ed25519" or "sk-ssh-ed25519@openssh.com":
                if (!reader.TryString(out var pk) || pk.Length != 32) { why = "the ed25519 key is not 32 bytes"; return 0; }
                if (type.StartsWith("sk-", StringComparison.Ordinal) && !reader.TryString(out _)) { why = "the security-key application is missing"; return 0; }
                return 256;
            case "ssh-rsa":
                if (!reader.TryString(out var e) || e.Length == 0 || !reader.TryString(out var n) || n.Length == 0) { why = "the RSA key is truncated"; return 0; }
                var nBytes = n.AsSpan().TrimStart((byte)0);
                return nBytes.Length == 0 ? 0 : (nBytes.Length - 1) * 8 + (8 - System.Numerics.BitOperations.LeadingZeroCount((uint)nBytes[0]) + 24);
            case "ssh-dss":
                for (int i = 0; i < 4; i++)
                    if (!reader.TryString(out _)) { why = "the DSA key is truncated"; return 0; }
                return 1024;
            default: // ecdsa-sha2-<curve>, sk-ecdsa-sha2-nistp256@openssh.com
                var curve = type.Replace("sk-", "", StringComparison.Ordinal).Replace("@openssh.com", "", StringComparison.Ordinal)["ecdsa-sha2-".Length..];
                if (!reader.TryString(out var c) || Encoding.ASCII.GetString(c) != curve) { why = $"the ECDSA curve does not match `{curve}`"; return 0; }
                if (!reader.TryString(out var q) || q.Length < 33 || q[0] != 4) { why = "the ECDSA point is malformed"; return 0; }
                return curve switch { "nistp256" => 256, "nistp384" => 384, _ => 521 };
        }
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    /// <summary>Reads SSH wire-format strings (uint32 length + bytes) without ever reading past the end.</summary>
    private sealed class BlobReader(byte[] blob)
    {
        private int _position;

        public bool TryString(out byte[] value)
        {
            value = [];
            if (blob.Length - _position < 4) return false;
            var length = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(_position, 4));
            if (length > blob.Length - _position - 4) return false;
            value = blob.AsSpan(_position + 4, (int)length).ToArray();
            _position += 4 + (int)length;
            return true;
        }
    }
}
