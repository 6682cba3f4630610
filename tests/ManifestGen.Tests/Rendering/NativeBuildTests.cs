using ManifestGen.Testing;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// The Native AOT executable (what make render, make check and the pre-commit hook run) renders the same
/// bytes as the framework-dependent build, for every golden case and both example environments. Both
/// builds come from scripts/manifestgen-cached.sh, so the native compile is paid once per source version.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NativeBuildTests
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static (string Aot, string Jit)? _builds;

    private static async Task<(string Aot, string Jit)> BuildsAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_builds is { } b)
                return b;
            var script = Path.Combine(RepoPaths.Root, "scripts", "manifestgen-cached.sh");
            var aot = await Proc.RunAsync("bash", [script, "--path", "aot"], Tooling.ToolPackage.NativeCompile);
            Assert.True(aot.Succeeded, aot.Stderr);
            // The same bound as the native compile: the script waits for the cache's build lock, which another
            // test's pack or compile may hold for minutes on a loaded machine (a fixed 10 minutes fired in a full run).
            var jit = await Proc.RunAsync("bash", [script, "--path", "jit"], Tooling.ToolPackage.NativeCompile);
            Assert.True(jit.Succeeded, jit.Stderr);
            var aotPath = aot.Stdout.Trim();
            Assert.False(aotPath.EndsWith(".dll", StringComparison.Ordinal),
                "the native build failed and the script fell back to the framework-dependent one: " + aot.Stderr);
            _builds = (aotPath, jit.Stdout.Trim());
            return _builds.Value;
        }
        finally
        {
            Once.Release();
        }
    }

    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string> { "examples" };
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(RepoPaths.Snapshots, "cases")).Order(StringComparer.Ordinal))
            data.Add("cases/" + Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Should_render_the_same_bytes_natively_as_the_framework_dependent_build(string input)
    {
        var (aot, jit) = await BuildsAsync();
        var values = input == "examples" ? RepoPaths.Values : Path.Combine(RepoPaths.Snapshots, input, "values");
        // Golden trees: out/<environment>/… for the examples, tests/snapshots/cases/<name>/out/… (no environment folder) for a case.
        string GoldenFile(string path) => input == "examples"
            ? "out/" + path
            : $"tests/snapshots/{input}/out/{path[(path.IndexOf('/', StringComparison.Ordinal) + 1)..]}";

        var native = await RenderAsync([aot], values);
        var framework = await RenderAsync(["dotnet", jit], values);
        Assert.NotEmpty(native);
        Assert.Equal(framework.Keys, native.Keys);
        foreach (var (path, content) in framework)
            Assert.True(content == native[path], $"{input}: {path} differs between the native and the framework-dependent build");
        // And both are the committed golden tree.
        foreach (var (path, content) in native)
            Golden.AssertRepoFile(GoldenFile(path), content);
    }

    [Fact]
    public async Task I_run_the_native_executable_from_make_check_once_it_is_built_and_it_says_so_only_when_asked()
    {
        await BuildsAsync();
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, new ManifestGen.Cli.CliApp(new StringWriter(), new StringWriter()).Run(["render", "--root", ws.Root], ws.Root));
        var script = Path.Combine(RepoPaths.Root, "scripts", "manifestgen.sh");
        var env = new Dictionary<string, string?> { ["MANIFESTGEN_ROOT"] = ws.Root };

        var verbose = await Proc.RunAsync("bash", [script, "-v", "check", "-q"], Tooling.ToolPackage.NativeCompile, env);
        Assert.True(verbose.ExitCode == 0, verbose.Stderr);
        Assert.StartsWith("manifestgen: the native executable .tmp/manifestgen-native/", verbose.Stderr, StringComparison.Ordinal);

        // Unasked, the script adds nothing: stderr is exactly the generator's own findings (the examples'
        // warnings and notes), as the in-process command prints them.
        var inProcess = new StringWriter();
        Assert.Equal(0, new ManifestGen.Cli.CliApp(new StringWriter(), inProcess).Run(["check", "-q", "--root", ws.Root], ws.Root));
        var quiet = await Proc.RunAsync("bash", [script, "check", "-q"], Tooling.ToolPackage.NativeCompile, env);
        Assert.Equal((0, inProcess.ToString()), (quiet.ExitCode, quiet.Stderr));
        Assert.DoesNotContain("manifestgen:", quiet.Stderr, StringComparison.Ordinal);

        // And it checks what it is given: drift in out/ fails.
        ws.Write("out/test-cluster/manifests/extra.yaml", "kind: Extra\n");
        var drift = await Proc.RunAsync("bash", [script, "check", "-q"], Tooling.ToolPackage.NativeCompile, env);
        Assert.Equal(1, drift.ExitCode);
    }

    private static async Task<SortedDictionary<string, string>> RenderAsync(string[] command, string values)
    {
        using var ws = new Workspace();
        Workspace.CopyDirectory(values, Path.Combine(ws.Root, "values"));
        var r = await Proc.RunAsync(command[0], [.. command.Skip(1), "render", "--root", ws.Root], Patience.Command);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', command)} render: exit {r.ExitCode}\n{r.Stderr}");
        return ws.OutFiles();
    }
}
