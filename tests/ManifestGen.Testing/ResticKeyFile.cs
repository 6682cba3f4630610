using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ManifestGen.Testing;

/// <summary>
/// Writes a restic key file (keys/ID: the repository's master key sealed with a key derived from a
/// password) with scrypt parameters of the tests' choosing, in restic's own format: scrypt gives 64
/// bytes, the first 32 the AES-256 key, the next 32 the Poly1305-AES key (k, r); the file's data is
/// IV, the master key's JSON in AES-256-CTR and the Poly1305-AES tag of that ciphertext; its name is
/// the SHA-256 of the file. `restic init` derives with parameters calibrated to half a second of CPU,
/// and every restic command that opens the repository pays that again; a test key with N = 1024 makes
/// opening it cost a millisecond, as restic's own test suite does (its low-security KDF parameters).
/// Everything else about the repository is restic's.
/// </summary>
public static class ResticKeyFile
{
    public const int N = 1024, R = 8, P = 1;

    /// <summary>Returns the key file's name (its ID) and bytes for <paramref name="masterKeyJson"/> (`restic cat masterkey`).</summary>
    public static (string Id, byte[] Content) Create(string password, string masterKeyJson)
    {
        var salt = RandomNumberGenerator.GetBytes(64);
        var derived = Scrypt(Encoding.UTF8.GetBytes(password), salt, N, R, P, 64);
        var master = Encoding.UTF8.GetBytes(JsonNode.Parse(masterKeyJson)!.ToJsonString());
        var iv = RandomNumberGenerator.GetBytes(16);
        var cipher = AesCtr(derived[..32], iv, master);
        var tag = Poly1305Aes(cipher, iv, derived[32..48], derived[48..64]);
        var key = new JsonObject
        {
            ["created"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["username"] = "test",
            ["hostname"] = "test",
            ["kdf"] = "scrypt",
            ["N"] = N,
            ["r"] = R,
            ["p"] = P,
            ["salt"] = Convert.ToBase64String(salt),
            ["data"] = Convert.ToBase64String([.. iv, .. cipher, .. tag]),
        };
        // Go reads the time stamp's bytes as they are: no \u escapes (base64's + and / stay plain too).
        var content = Encoding.UTF8.GetBytes(key.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return (Convert.ToHexStringLower(SHA256.HashData(content)), content);
    }

    /// <summary>AES-256 in counter mode, the 16-byte IV the initial counter block (big-endian increment), as Go's cipher.NewCTR.</summary>
    private static byte[] AesCtr(byte[] key, byte[] iv, byte[] data)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var counter = (byte[])iv.Clone();
        var output = new byte[data.Length];
        for (var offset = 0; offset < data.Length; offset += 16)
        {
            var stream = aes.EncryptEcb(counter, PaddingMode.None);
            for (var i = 0; i < 16 && offset + i < data.Length; i++) output[offset + i] = (byte)(data[offset + i] ^ stream[i]);
            for (var i = 15; i >= 0 && ++counter[i] == 0; i--) { }
        }
        return output;
    }

    /// <summary>Poly1305-AES (restic's MAC): r clamped, s = AES-128_k(nonce), over the ciphertext.</summary>
    private static byte[] Poly1305Aes(byte[] message, byte[] nonce, byte[] k, byte[] r)
    {
        using var aes = Aes.Create();
        aes.Key = k;
        var s = aes.EncryptEcb(nonce, PaddingMode.None);
        var clamped = (byte[])r.Clone();
        clamped[3] &= 15; clamped[7] &= 15; clamped[11] &= 15; clamped[15] &= 15;
        clamped[4] &= 252; clamped[8] &= 252; clamped[12] &= 252;
        var p = (BigInteger.One << 130) - 5;
        var rn = new BigInteger(clamped, isUnsigned: true);
        var acc = BigInteger.Zero;
        for (var offset = 0; offset < message.Length; offset += 16)
        {
            var chunk = message.AsSpan(offset, Math.Min(16, message.Length - offset));
            var n = new BigInteger(chunk, isUnsigned: true) + (BigInteger.One << (8 * chunk.Length));
            acc = (acc + n) * rn % p;
        }
        var tag = (acc + new BigInteger(s, isUnsigned: true)) & ((BigInteger.One << 128) - 1);
        var bytes = new byte[16];
        tag.TryWriteBytes(bytes, out _, isUnsigned: true);
        return bytes;
    }

    /// <summary>scrypt (RFC 7914) over PBKDF2-HMAC-SHA256 and Salsa20/8.</summary>
    public static byte[] Scrypt(byte[] password, byte[] salt, int n, int r, int p, int length)
    {
        var blockBytes = 128 * r;
        var b = Rfc2898DeriveBytes.Pbkdf2(password, salt, 1, HashAlgorithmName.SHA256, p * blockBytes);
        var words = 32 * r;
        var x = new uint[words];
        var v = new uint[n * words];
        var y = new uint[words];
        for (var i = 0; i < p; i++)
        {
            var block = b.AsSpan(i * blockBytes, blockBytes);
            for (var w = 0; w < words; w++) x[w] = BinaryPrimitives.ReadUInt32LittleEndian(block[(w * 4)..]);
            for (var j = 0; j < n; j++)
            {
                x.CopyTo(v, j * words);
                BlockMix(x, y, r);
            }
            for (var j = 0; j < n; j++)
            {
                var index = (int)(x[(2 * r - 1) * 16] & (uint)(n - 1));
                for (var w = 0; w < words; w++) x[w] ^= v[index * words + w];
                BlockMix(x, y, r);
            }
            for (var w = 0; w < words; w++) BinaryPrimitives.WriteUInt32LittleEndian(block[(w * 4)..], x[w]);
        }
        return Rfc2898DeriveBytes.Pbkdf2(password, b, 1, HashAlgorithmName.SHA256, length);
    }

    /// <summary>scryptBlockMix: <paramref name="b"/> (2r blocks of 16 words) mixed in place; <paramref name="y"/> is scratch.</summary>
    private static void BlockMix(uint[] b, uint[] y, int r)
    {
        Span<uint> x = stackalloc uint[16];
        b.AsSpan((2 * r - 1) * 16, 16).CopyTo(x);
        for (var i = 0; i < 2 * r; i++)
        {
            for (var w = 0; w < 16; w++) x[w] ^= b[i * 16 + w];
            Salsa208(x);
            // Even blocks to the first half, odd ones to the second.
            x.CopyTo(y.AsSpan(((i / 2) + (i % 2) * r) * 16, 16));
        }
        y.CopyTo(b, 0);
    }

    private static void Salsa208(Span<uint> b)
    {
        Span<uint> x = stackalloc uint[16];
        b.CopyTo(x);
        for (var i = 0; i < 8; i += 2)
        {
            x[4] ^= BitOperations.RotateLeft(x[0] + x[12], 7); x[8] ^= BitOperations.RotateLeft(x[4] + x[0], 9);
            x[12] ^= BitOperations.RotateLeft(x[8] + x[4], 13); x[0] ^= BitOperations.RotateLeft(x[12] + x[8], 18);
            x[9] ^= BitOperations.RotateLeft(x[5] + x[1], 7); x[13] ^= BitOperations.RotateLeft(x[9] + x[5], 9);
            x[1] ^= BitOperations.RotateLeft(x[13] + x[9], 13); x[5] ^= BitOperations.RotateLeft(x[1] + x[13], 18);
            x[14] ^= BitOperations.RotateLeft(x[10] + x[6], 7); x[2] ^= BitOperations.RotateLeft(x[14] + x[10], 9);
            x[6] ^= BitOperations.RotateLeft(x[2] + x[14], 13); x[10] ^= BitOperations.RotateLeft(x[6] + x[2], 18);
            x[3] ^= BitOperations.RotateLeft(x[15] + x[11], 7); x[7] ^= BitOperations.RotateLeft(x[3] + x[15], 9);
            x[11] ^= BitOperations.RotateLeft(x[7] + x[3], 13); x[15] ^= BitOperations.RotateLeft(x[11] + x[7], 18);
            x[1] ^= BitOperations.RotateLeft(x[0] + x[3], 7); x[2] ^= BitOperations.RotateLeft(x[1] + x[0], 9);
            x[3] ^= BitOperations.RotateLeft(x[2] + x[1], 13); x[0] ^= BitOperations.RotateLeft(x[3] + x[2], 18);
            x[6] ^= BitOperations.RotateLeft(x[5] + x[4], 7); x[7] ^= BitOperations.RotateLeft(x[6] + x[5], 9);
            x[4] ^= BitOperations.RotateLeft(x[7] + x[6], 13); x[5] ^= BitOperations.RotateLeft(x[4] + x[7], 18);
            x[11] ^= BitOperations.RotateLeft(x[10] + x[9], 7); x[8] ^= BitOperations.RotateLeft(x[11] + x[10], 9);
            x[9] ^= BitOperations.RotateLeft(x[8] + x[11], 13); x[10] ^= BitOperations.RotateLeft(x[9] + x[8], 18);
            x[12] ^= BitOperations.RotateLeft(x[15] + x[14], 7); x[13] ^= BitOperations.RotateLeft(x[12] + x[15], 9);
            x[14] ^= BitOperations.RotateLeft(x[13] + x[12], 13); x[15] ^= BitOperations.RotateLeft(x[14] + x[13], 18);
        }
        for (var i = 0; i < 16; i++) b[i] += x[i];
    }
}
