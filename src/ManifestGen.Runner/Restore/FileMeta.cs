using System.Runtime.InteropServices;
using System.Text;

namespace ManifestGen.Runner.Restore;

/// <summary>What lstat(2) tells about one path: .NET has no inode, link count, owner or device numbers.</summary>
public sealed record FileMeta(ulong Device, ulong Inode, uint Links, uint Mode, uint Uid, uint Gid, long MtimeSeconds, uint MtimeNanos)
{
    public const uint TypeMask = 0xF000; // S_IFMT
    public const uint Regular = 0x8000, Directory = 0x4000, Link = 0xA000, Fifo = 0x1000, CharDevice = 0x2000, BlockDevice = 0x6000, Socket = 0xC000;

    public uint Type => Mode & TypeMask;
}

/// <summary>statx(2) and the l*xattr(2) calls, never following a link (the layout of struct statx is the same on every architecture).</summary>
internal static partial class Native
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LListXattr(string path, byte[]? list, nint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LGetXattr(string path, string name, byte[]? value, nint size);

    public static FileMeta Lstat(string path)
    {
        var b = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, b) != 0)
            throw new IOException($"{path}: statx failed (errno {Marshal.GetLastPInvokeError()})");
        uint U32(int o) => BitConverter.ToUInt32(b, o);
        var mode = BitConverter.ToUInt16(b, 28);
        var dev = ((ulong)U32(136) << 32) | U32(140);
        return new FileMeta(dev, BitConverter.ToUInt64(b, 32), U32(16), mode, U32(20), U32(24),
            BitConverter.ToInt64(b, 112), U32(120));
    }

    /// <summary>Every extended attribute of the path itself (not of a link's target), by name, in name order.</summary>
    public static SortedDictionary<string, byte[]> Xattrs(string path)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var size = LListXattr(path, null, 0);
        if (size <= 0) return result;
        var list = new byte[size];
        size = LListXattr(path, list, size);
        if (size < 0) throw new IOException($"{path}: llistxattr failed (errno {Marshal.GetLastPInvokeError()})");
        foreach (var name in Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var n = LGetXattr(path, name, null, 0);
            if (n < 0) continue;
            var value = new byte[n];
            n = LGetXattr(path, name, value, n);
            if (n >= 0) result[name] = value[..(int)n];
        }
        return result;
    }
}
