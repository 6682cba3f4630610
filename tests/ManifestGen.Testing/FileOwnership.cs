using System.Runtime.InteropServices;
using System.Text;

namespace ManifestGen.Testing;

/// <summary>Owners, modes and extended attributes of files, as the kernel reports them (no link is followed).</summary>
public static class FileOwnership
{
    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern nint LGetXattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[]? value, nuint size);

    [DllImport("libc", EntryPoint = "lsetxattr", SetLastError = true)]
    private static extern int LSetXattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nuint size, int flags);

    public static void SetXattr(string path, string name, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (LSetXattr(path, name, bytes, (nuint)bytes.Length, 0) != 0)
            throw new IOException($"lsetxattr {path} {name} failed (errno {Marshal.GetLastPInvokeError()})");
    }

    public static void Chown(string path, long uid, long gid)
    {
        if (LChown(path, (uint)uid, (uint)gid) != 0)
            throw new IOException($"lchown {path} {uid}:{gid} failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>The attribute's value as text, or null when the file has no such attribute.</summary>
    public static string? Xattr(string path, string name)
    {
        var size = LGetXattr(path, name, null, 0);
        if (size < 0) return null;
        var buffer = new byte[size];
        var read = LGetXattr(path, name, buffer, (nuint)buffer.Length);
        return read < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)read).TrimEnd('\0');
    }

    /// <summary>"uid:gid mode type" from stat(1), e.g. "1234:2345 640 regular file".</summary>
    public static async Task<string> StatAsync(string path) =>
        (await Proc.CheckedAsync("stat", "-c", "%u:%g %a %F", path)).Trim();
}
