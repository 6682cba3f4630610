using System.Diagnostics;
using System.Globalization;
using ManifestGen.Pipeline;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Rendering;

public sealed class DeterminismTests
{
    [Theory]
    [InlineData("tr-TR")]
    [InlineData("de-DE")]
    [InlineData("ar-SA")]
    public void Should_render_the_same_bytes_under_another_culture(string culture)
    {
        var generator = new Generator(new GeneratorPaths(RepoPaths.Root));
        var invariant = RenderAll(generator, CultureInfo.InvariantCulture);
        var other = RenderAll(generator, CultureInfo.GetCultureInfo(culture));
        Assert.Equal(invariant.Keys, other.Keys);
        foreach (var (path, content) in invariant)
            Assert.True(content == other[path], $"{path} differs under {culture}");
    }

    [Fact]
    public void Should_render_the_same_bytes_in_a_process_with_another_time_zone_and_locale()
    {
        using var first = new Workspace(copyExampleValues: true);
        using var second = new Workspace(copyExampleValues: true);
        Assert.Equal(0, RunCli(first.Root, ("TZ", "Etc/UTC"), ("LC_ALL", "C.UTF-8"), ("LANG", "C.UTF-8")));
        Assert.Equal(0, RunCli(second.Root, ("TZ", "Pacific/Chatham"), ("LC_ALL", "tr_TR.UTF-8"), ("LANG", "tr_TR.UTF-8")));
        var a = first.OutFiles();
        var b = second.OutFiles();
        Assert.NotEmpty(a);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (path, content) in a)
            Assert.True(content == b[path], $"{path} differs between time zones/locales");
        Assert.DoesNotContain(a.Values, v => v.Contains('\r') || v.StartsWith('\uFEFF'));
    }

    private static SortedDictionary<string, string> RenderAll(Generator generator, CultureInfo culture)
    {
        var (before, beforeUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var env in new[] { "production", "test-cluster" })
                foreach (var (k, v) in ExampleSnapshotTests.RenderInMemory(generator, env))
                    result[env + "/" + k] = v;
            return result;
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
            CultureInfo.CurrentUICulture = beforeUi;
        }
    }

    /// <summary>Runs the built CLI (manifestgen.dll next to the tests) as its own process.</summary>
    internal static int RunCli(string root, params (string Key, string Value)[] environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "manifestgen.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "render", "--root", root })
            start.ArgumentList.Add(arg);
        foreach (var (k, v) in environment)
            start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Patience.Command))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"manifestgen render did not finish within {Patience.Command}");
        }
        Assert.True(process.ExitCode == 0, stderr.Result + stdout.Result);
        return process.ExitCode;
    }
}
