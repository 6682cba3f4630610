using ManifestGen.PodHarness.Processes;
using Xunit.Abstractions;

namespace ManifestGen.E2E.Tests;

/// <summary>
/// `make demo` as a test: the program scripts/demo.sh runs (the pod harness's `demo`, built beside this
/// assembly), on this checkout's values/, to its end: init, two backups, the snapshots, and the single-file
/// restore through the printed restore Job, compared byte for byte with what was backed up.
/// </summary>
public sealed class DemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_demo_restores_the_deleted_file_through_the_printed_restore_Job_and_the_restore_key()
    {
        using var scratch = new TempDir();
        var harness = Path.Combine(AppContext.BaseDirectory, "manifestgen-podharness.dll");
        var environment = System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        environment["TMPDIR"] = scratch.Path;
        // The bound scripts/demo.sh gives it; everything the demo writes goes below its own TMPDIR, as there.
        var r = await Proc.RunAsync(DotnetHost.Path, [harness, "demo", "--root", RenderedExampleTests.RepositoryRoot(),
                "--generator", Path.Combine(AppContext.BaseDirectory, "manifestgen.dll")],
            ManifestGen.Testing.Patience.Progress, environment);
        output.WriteLine(r.Stdout);
        output.WriteLine(r.Stderr);
        Assert.True(r.Succeeded, $"demo: exit {r.ExitCode} (timed out: {r.TimedOut})\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("kubectl create -f - (Job restore-", r.Stdout);
        Assert.Contains("restored file matches the backed-up bytes (SHA-256)", r.Stdout);
    }
}
