namespace ManifestGen.PodHarness.Processes;

/// <summary>Finds the <c>dotnet</c> executable that runs this process, wherever the SDK was installed.</summary>
public static class DotnetHost
{
    private static readonly Lazy<string> Muxer = new(Find);

    /// <summary>Absolute, symlinks resolved (e.g. /usr/share/dotnet/dotnet or ~/.dotnet/dotnet).</summary>
    public static string Path => Muxer.Value;

    /// <summary>The installation folder (holds shared/Microsoft.NETCore.App).</summary>
    public static string Root => System.IO.Path.GetDirectoryName(Path)!;

    private static string Find()
    {
        // The dotnet CLI tells child processes where it is; a process started by `dotnet x.dll` is the muxer.
        var candidates = new List<string?> { System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"), System.Environment.ProcessPath };
        foreach (var dir in (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(System.IO.Path.Combine(dir, "dotnet"));
        foreach (var c in candidates)
        {
            if (c is null || System.IO.Path.GetFileName(c) != "dotnet" || !File.Exists(c)) continue;
            var real = new FileInfo(c).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(c);
            return real;
        }
        throw new HarnessException("cannot find the dotnet executable (DOTNET_HOST_PATH, the current process, PATH)");
    }
}
