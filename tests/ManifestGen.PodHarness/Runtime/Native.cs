using System.Runtime.InteropServices;

namespace ManifestGen.PodHarness.Runtime;

/// <summary>The few libc calls .NET does not offer (linux/amd64 struct layout).</summary>
internal static partial class Native
{
    [DllImport("libc", SetLastError = true, EntryPoint = "stat")]
    private static extern int StatRaw(string path, byte[] buf);

    public readonly record struct StatResult(uint Mode, long Major, long Minor);

    public static StatResult Stat(string path)
    {
        var buf = new byte[256];
        if (StatRaw(path, buf) != 0)
            throw new HarnessException($"{path}: stat failed (errno {Marshal.GetLastPInvokeError()})");
        var mode = BitConverter.ToUInt32(buf, 24);
        var rdev = BitConverter.ToUInt64(buf, 40);
        var major = (long)(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffUL));
        var minor = (long)((rdev & 0xff) | ((rdev >> 12) & ~0xffUL));
        return new StatResult(mode, major, minor);
    }
}
