using System.Collections.Immutable;
using System.Formats.Tar;
using System.Globalization;
using System.Text;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Restore;

/// <summary>
/// Writes a restored tree as a POSIX (pax) tar archive holding what the host had: the backup's mirror keeps
/// the host's types, owners, modes and device numbers in rsync's fake-super attribute
/// <c>user.rsync.%stat</c> ("MODE MAJOR,MINOR UID:GID", the mode in octal with its type bits), links, fifos
/// and devices as small regular files (a link's file holds its target), and the host's other namespaces'
/// attributes as <c>user.rsync.NAME</c>. A non-root pod can create none of these for real; a tar archive
/// records them all, and `tar --numeric-owner --xattrs --xattrs-include='*' -xpf` as root gives them back.
/// Hard links are kept (one entry per inode, later names link to the first). Entries are written in path
/// order, each folder before what it holds.
/// </summary>
public static class HostArchive
{
    public const string StatXattr = "user.rsync.%stat";
    private const string RsyncPrefix = "user.rsync.";
    /// <summary>How GNU tar and bsdtar name an extended attribute in a pax header.</summary>
    private const string PaxXattrPrefix = "SCHILY.xattr.";

    public sealed record Result(long Entries, long Bytes, ImmutableArray<string> Warnings);

    /// <summary>The host's view of one staged entry: rsync's record where there is one, else the entry itself.</summary>
    internal sealed record HostMeta(uint Mode, uint Major, uint Minor, uint Uid, uint Gid)
    {
        public uint Type => Mode & FileMeta.TypeMask;

        public static HostMeta Of(FileMeta staged, IReadOnlyDictionary<string, byte[]> xattrs) =>
            xattrs.TryGetValue(StatXattr, out var raw) && Parse(Encoding.ASCII.GetString(raw)) is { } m
                ? m
                : new HostMeta(staged.Mode, 0, 0, staged.Uid, staged.Gid);

        /// <summary>"100640 0,0 1234:2345" (rsync's xattrs.c writes "%o %u,%u %u:%u").</summary>
        public static HostMeta? Parse(string text)
        {
            var parts = text.TrimEnd('\0').Split(' ');
            if (parts.Length != 3) return null;
            var dev = parts[1].Split(',');
            var owner = parts[2].Split(':');
            if (dev.Length != 2 || owner.Length != 2) return null;
            try
            {
                return new HostMeta(Convert.ToUInt32(parts[0], 8),
                    uint.Parse(dev[0], NumberStyles.None, CultureInfo.InvariantCulture), uint.Parse(dev[1], NumberStyles.None, CultureInfo.InvariantCulture),
                    uint.Parse(owner[0], NumberStyles.None, CultureInfo.InvariantCulture), uint.Parse(owner[1], NumberStyles.None, CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                return null;
            }
        }
    }

    /// <summary>Archives each host path (a file or a folder, restored below <paramref name="stageRoot"/>) into <paramref name="output"/>.</summary>
    public static Result Write(Stream output, string stageRoot, IEnumerable<string> hostPaths, Log log, CancellationToken ct)
    {
        var warnings = ImmutableArray.CreateBuilder<string>();
        var firstName = new Dictionary<(ulong, ulong), string>();
        long entries = 0, bytes = 0;
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        void Add(string hostPath)
        {
            ct.ThrowIfCancellationRequested();
            var staged = stageRoot.TrimEnd('/') + hostPath;
            var meta = Native.Lstat(staged);
            var xattrs = Native.Xattrs(staged);
            var host = HostMeta.Of(meta, xattrs);
            var name = hostPath.TrimStart('/');
            var pax = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in xattrs)
            {
                // rsync's own records (%stat, the ACLs %aacl and %dacl) are decoded or left out; other
                // namespaces' attributes lose the prefix the receiver gave them.
                var hostName = key.StartsWith(RsyncPrefix, StringComparison.Ordinal) ? key[RsyncPrefix.Length..] : key;
                if (hostName.StartsWith('%'))
                {
                    if (key != StatXattr) Warn($"{hostPath}: rsync's ACL record {key} is not carried into the archive");
                    continue;
                }
                if (!System.Text.Unicode.Utf8.IsValid(value) || value.Contains((byte)0))
                {
                    Warn($"{hostPath}: extended attribute {hostName} is binary; a pax archive here carries text values only, so it is left out");
                    continue;
                }
                pax[PaxXattrPrefix + hostName] = Encoding.UTF8.GetString(value);
            }
            var type = host.Type;
            var isDir = type == FileMeta.Directory && meta.Type == FileMeta.Directory;
            TarEntryType kind;
            string? link = null;
            Stream? data = null;
            if (type == FileMeta.Regular && meta.Links > 1 && meta.Type == FileMeta.Regular &&
                firstName.TryGetValue((meta.Device, meta.Inode), out var first))
            {
                kind = TarEntryType.HardLink;
                link = first;
            }
            else
            {
                kind = type switch
                {
                    FileMeta.Regular => TarEntryType.RegularFile,
                    FileMeta.Directory => TarEntryType.Directory,
                    FileMeta.Link => TarEntryType.SymbolicLink,
                    FileMeta.Fifo => TarEntryType.Fifo,
                    FileMeta.CharDevice => TarEntryType.CharacterDevice,
                    FileMeta.BlockDevice => TarEntryType.BlockDevice,
                    _ => (TarEntryType)0,
                };
                if (kind == 0)
                {
                    Warn($"{hostPath}: a {(type == FileMeta.Socket ? "socket" : $"file of type {Convert.ToString(type, 8)}")} cannot be archived; left out");
                    return;
                }
                if (kind == TarEntryType.SymbolicLink)
                    // The mirror's stand-in file holds the target; a link restored as a link (a mirror without
                    // fake-super) is read as one.
                    link = meta.Type == FileMeta.Link ? new FileInfo(staged).LinkTarget : File.ReadAllText(staged);
                if (kind == TarEntryType.RegularFile)
                {
                    if (meta.Links > 1) firstName[(meta.Device, meta.Inode)] = name;
                    data = new FileStream(staged, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.SequentialScan });
                }
            }
            try
            {
                var entry = new PaxTarEntry(kind, isDir ? name + "/" : name, pax)
                {
                    Mode = (UnixFileMode)(host.Mode & 0xFFF),
                    Uid = (int)host.Uid,
                    Gid = (int)host.Gid,
                    ModificationTime = DateTimeOffset.FromUnixTimeSeconds(meta.MtimeSeconds).AddTicks(meta.MtimeNanos / 100),
                };
                if (data is not null) entry.DataStream = data;
                if (link is not null) entry.LinkName = link;
                if (kind is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
                {
                    entry.DeviceMajor = (int)host.Major;
                    entry.DeviceMinor = (int)host.Minor;
                }
                writer.WriteEntry(entry);
                entries++;
                bytes += data?.Length ?? 0;
            }
            finally
            {
                data?.Dispose();
            }
            if (isDir)
                foreach (var child in Directory.EnumerateFileSystemEntries(staged).Select(Path.GetFileName).Order(StringComparer.Ordinal))
                    Add(hostPath.TrimEnd('/') + "/" + child);
        }
        void Warn(string w)
        {
            log.Warn(w);
            warnings.Add(w);
        }
        foreach (var p in hostPaths) Add(p);
        return new Result(entries, bytes, warnings.ToImmutable());
    }
}
