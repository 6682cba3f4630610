using System.Text.Json;
using ManifestGen.Cli;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Validation;

public sealed class CliReportTests
{
    private static (int Exit, string Stdout, string Stderr) Run(string cwd, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var exit = new CliApp(stdout, stderr).Run(args, cwd);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static TempDir RootWith(string caseName)
    {
        var temp = new TempDir();
        var source = Path.Combine(RepoPaths.Root, "tests", "cases", "invalid", caseName, "inventory.yaml");
        temp.Write("values/prod.yaml", File.ReadAllText(source));
        return temp;
    }

    [Fact]
    public void I_can_explain_a_code()
    {
        var (exit, stdout, _) = Run(RepoPaths.Root, "explain", "mg0508");
        Assert.Equal(0, exit);
        Assert.StartsWith("MG0508 error: NFS path not under the export root", stdout);
        Assert.Contains("mkdir -p", stdout);
        Assert.Equal(2, Run(RepoPaths.Root, "explain", "MG9999").Exit);
    }

    [Fact]
    public void Should_print_file_line_field_source_and_hint_for_people()
    {
        using var root = RootWith("nfs-path-outside-export-root");
        var (exit, _, stderr) = Run(root.Path, "validate", "--root", root.Path);
        Assert.Equal(1, exit);
        Assert.Contains("values/prod.yaml(30,13): error MG0508: repository.storage.nfs.path:", stderr);
        Assert.Contains(" 30 |       path: /volume2/restic/production\n", stderr);
        Assert.Contains("  hint: ", stderr);
        Assert.False(stderr.Contains('\u001b'), "no colour when not writing to a terminal");
    }

    [Theory]
    [InlineData("codequality")]
    [InlineData("sarif")]
    [InlineData("json")]
    public void Should_write_machine_reports_to_stdout(string format)
    {
        using var root = RootWith("placeholder-nfs-server");
        var (exit, stdout, _) = Run(root.Path, "validate", "--root", root.Path, "--format", format);
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Contains("MG0201", stdout);
        Assert.Contains("values/prod.yaml", stdout);
        if (format == "codequality")
            Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
    }

    [Fact]
    public void Should_write_an_empty_sarif_run_for_a_valid_inventory()
    {
        // validate renders in memory like every command: the root needs the templates.
        using var ws = new Workspace();
        ws.Write("values/prod.yaml", File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "cases", "base-valid.yaml")));
        var (exit, stdout, stderr) = Run(ws.Root, "validate", "--root", ws.Root, "--format", "sarif");
        Assert.True(exit == 0, stderr + stdout);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("runs")[0].GetProperty("results").GetArrayLength());
    }
}
