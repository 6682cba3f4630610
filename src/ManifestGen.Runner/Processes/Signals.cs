using System.Runtime.InteropServices;

namespace ManifestGen.Runner.Processes;

/// <summary>POSIX signals sent to children: .NET can only kill, but restic needs SIGINT to remove its lock.</summary>
public static partial class Signals
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;
    // The fault tests freeze and thaw a host's process (a hung disk) and end it.
    public const int SIGKILL = 9;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;
}
