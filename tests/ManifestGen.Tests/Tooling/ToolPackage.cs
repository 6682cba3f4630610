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
    /// <summary>The bound on a step of installing or running a packed tool: a bound for a hung step.</summary>
    public static readonly TimeSpan Generous = Patience.Progress;

    /// <summary>
    /// The bound on a step that compiles the generator natively (minutes idle, far more beside other builds):
    /// a bound for a hung step, never a measure of speed.
    /// </summary>
    public static readonly TimeSpan NativeCompile = TimeSpan.FromMinutes(45);

    /// <summary>Release or Debug: the configuration this test assembly (and so the generator) was built in.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>
    /// Environment of every dotnet and git call: no telemetry, a package folder and a CLI home of the test's
    /// own (`dotnet tool run` keeps a resolver cache there that would otherwise point at another copy of the
    /// same tool version), git without user or system configuration.
    /// </summary>
    public static Dictionary<string, string?> Environment(string scratch) => new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["NUGET_PACKAGES"] = Path.Combine(scratch, "nuget-packages"),
        ["DOTNET_CLI_HOME"] = Path.Combine(scratch, "dotnet-home"),
        ["GIT_AUTHOR_NAME"] = "ManifestGen Tests",
        ["GIT_COMMITTER_NAME"] = "ManifestGen Tests",
        ["GIT_AUTHOR_EMAIL"] = "tests@example.org",
        ["GIT_COMMITTER_EMAIL"] = "tests@example.org",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_CONFIG_GLOBAL"] = "/dev/null",
    };

    public static async Task<string> GitAsync(IReadOnlyDictionary<string, string?> env, string repo, params string[] args)
    {
        var r = await Proc.RunAsync("git", args, Generous, env, workingDirectory: repo);
        Assert.True(r.Succeeded, $"git {string.Join(' ', args)}: {r.Stderr}");
        return r.Stdout;
    }

    /// <summary>Makes <paramref name="repo"/> a git repository with everything in it committed.</summary>
    public static async Task CommitAllAsync(IReadOnlyDictionary<string, string?> env, string repo, string message)
    {
        if (!Directory.Exists(Path.Combine(repo, ".git")))
            await GitAsync(env, repo, "init", "-q", "-b", "main");
        await GitAsync(env, repo, "add", "-A");
        await GitAsync(env, repo, "commit", "-q", "-m", message);
    }

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
