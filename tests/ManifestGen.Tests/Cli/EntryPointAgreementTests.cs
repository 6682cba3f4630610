using System.Diagnostics;
using System.Text.Json;
using ManifestGen.Tests.Support;
using ManifestGen.Tests.Validation;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Cli;

/// <summary>
/// render, check and validate are one question to the core (Generator.Generate): they must report the
/// same diagnostics for the same tree, write nothing on an error anywhere, and keep a machine report on
/// stdout parseable even when out/ drifted.
/// </summary>
public sealed class EntryPointAgreementTests
{
    private static (int Code, string Stdout, string Stderr) Run(Workspace ws, params string[] args) => CliTests.Run(ws, args);

    /// <summary>The diagnostics of a JSON report as comparable lines (code, place, message).</summary>
    private static List<string> Diagnostics(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("diagnostics").EnumerateArray().Select(d =>
            $"{d.GetProperty("file").GetString()}({d.GetProperty("line").GetInt32()},{d.GetProperty("column").GetInt32()}): {d.GetProperty("code").GetString()}: {d.GetProperty("message").GetString()}")];
    }

    [Theory]
    [MemberData(nameof(ValidationCorpusTests.InvalidCases), MemberType = typeof(ValidationCorpusTests))]
    public void Should_report_the_same_diagnostics_from_render_check_and_validate(string name)
    {
        using var ws = new Workspace();
        var dir = Path.Combine(RepoPaths.Root, "tests", "cases", "invalid", name);
        foreach (var file in Directory.GetFiles(dir, "*.yaml"))
            ws.Write("values/" + Path.GetFileName(file), File.ReadAllText(file));
        var render = Run(ws, "render", "--format", "json");
        var check = Run(ws, "check", "--format", "json");
        var validate = Run(ws, "validate", "--format", "json");
        var expected = Diagnostics(validate.Stdout);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Diagnostics(render.Stdout));
        Assert.Equal(expected, Diagnostics(check.Stdout));
        Assert.Equal(validate.Code, render.Code);
        Assert.Equal(validate.Code, check.Code);
        // An error anywhere: nothing written at all.
        if (validate.Code != 0)
            Assert.Empty(ws.OutFiles());
    }

    [Fact]
    public void Should_find_two_environments_on_one_nfs_directory_in_render_and_check_too()
    {
        using var ws = new Workspace(copyExampleValues: true);
        var production = ws.Read("values/production.yaml");
        ws.Write("values/staging.yaml", production);
        foreach (var command in new[] { "render", "check", "validate" })
        {
            var (code, _, stderr) = Run(ws, command);
            Assert.True(code == 1, $"{command}: {stderr}");
            Assert.Contains("error MG0509:", stderr);
        }
        Assert.Empty(ws.OutFiles());
    }

    [Theory]
    [InlineData("json")]
    [InlineData("codequality")]
    [InlineData("sarif")]
    public void Should_keep_stdout_one_json_document_when_check_finds_drift(string format)
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, Run(ws, "render").Code);
        ws.Edit("out/test-cluster/manifests/namespace-backup-test.yaml", "name: backup-test", "name: edited");
        var (code, stdout, stderr) = Run(ws, "check", "--format", format);
        Assert.Equal(1, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Contains("MG0909", stdout);
        Assert.Contains("-  name: edited\n+  name: backup-test\n", stderr);
    }

    [Fact]
    public void Should_warn_about_an_immutable_change_against_the_committed_output_even_after_render()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, Run(ws, "render").Code);
        Git(ws.Root, "init", "--quiet");
        Git(ws.Root, "add", "-A");
        Git(ws.Root, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "--quiet", "-m", "rendered");
        ws.Edit("values/_base.yaml", "server: nas01.storage.example.org", "server: nas02.storage.example.org");

        var render = Run(ws, "render");
        Assert.Equal(0, render.Code);
        Assert.Contains("warning MG1001:", render.Stderr);
        // out/ on disk now holds the new rendering; check and validate still compare with HEAD.
        foreach (var command in new[] { "check", "validate" })
        {
            var (code, _, stderr) = Run(ws, command);
            Assert.True(code == 0, $"{command}: {stderr}");
            Assert.Contains("warning MG1001:", stderr);
        }
        // Against out/ on disk there is nothing left to warn about: that is why it is not the default.
        Assert.DoesNotContain("MG1001", Run(ws, "check", "--baseline", "worktree").Stderr);
        // The staged tree: what a plain git hook sees.
        Assert.Contains("warning MG1001:", Run(ws, "check", "--baseline", "index").Stderr);
        Git(ws.Root, "add", "-A");
        Assert.DoesNotContain("MG1001", Run(ws, "check", "--baseline", "index").Stderr);
    }

    private static void Git(string dir, params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(dir);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(Patience.Command), "git did not finish");
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {stderr.Result}");
    }
}
