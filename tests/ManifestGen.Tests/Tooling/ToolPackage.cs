using ManifestGen.Testing;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Tooling;

/// <summary>
/// The .NET tool as users get it: packed from this checkout's build of the generator (the test project's
/// build already compiled it, so packing does not build again) and installed with `dotnet tool install`,
/// offline, from a folder only.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ToolPackage
{
    public static readonly TimeSpan Generous = TimeSpan.FromMinutes(8);

    /// <summary>Release or Debug: the configuration this test assembly (and so the generator) was built in.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>Environment of every dotnet call: no telemetry, and a package folder of the test's own.</summary>
    public static Dictionary<string, string?> Environment(string scratch) => new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["NUGET_PACKAGES"] = Path.Combine(scratch, "nuget-packages"),
    };

    /// <summary>Packs the generator into <paramref name="feed"/> and returns the nupkg's path.</summary>
    public static async Task<string> PackAsync(string feed, string scratch)
    {
        var r = await Proc.RunAsync("dotnet",
            ["pack", Path.Combine(RepoPaths.Root, "src", "ManifestGen"), "-c", Configuration, "--no-build", "-o", feed, "-nologo"],
            Generous, Environment(scratch));
        Assert.True(r.Succeeded, $"dotnet pack failed (exit {r.ExitCode}):\n{r.Stdout}\n{r.Stderr}");
        return Assert.Single(Directory.GetFiles(feed, "ManifestGen.*.nupkg"));
    }

    /// <summary>A NuGet configuration with no sources at all: the install can only use the folder it is given.</summary>
    public static string NoSourcesConfig(string scratch) =>
        WriteFile(Path.Combine(scratch, "nuget.config"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><clear /></packageSources></configuration>\n");

    private static string WriteFile(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }
}
