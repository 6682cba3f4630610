using ManifestGen.Cli;
using ManifestGen.Testing;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Tooling;

// Packs and installs with the real dotnet CLI and runs the installed command (Linux: the shared process launcher).
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DotnetToolTests
{
    [Fact]
    public async Task I_can_install_the_packed_tool_and_run_manifestgen_from_PATH_with_its_built_in_templates()
    {
        using var scratch = new TempDir();
        var feed = Path.Combine(scratch.Path, "feed");
        var tools = Path.Combine(scratch.Path, "tools");
        var env = ToolPackage.Environment(scratch.Path);
        var nupkg = await ToolPackage.PackAsync(feed, scratch.Path);
        Assert.Equal("ManifestGen." + CliApp.Version.Split('+')[0] + ".nupkg", Path.GetFileName(nupkg));

        // What `dotnet tool install -g --add-source DIR ManifestGen` does, into a throwaway tool path.
        var install = await Proc.RunAsync("dotnet",
            ["tool", "install", "--tool-path", tools, "--add-source", feed, "--configfile", ToolPackage.NoSourcesConfig(scratch.Path), "ManifestGen"],
            ToolPackage.Generous, env);
        Assert.True(install.Succeeded, install.Stdout + install.Stderr);
        Assert.True(File.Exists(Path.Combine(tools, "manifestgen")), "no manifestgen command in the tool path");

        env["PATH"] = tools + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
        var version = await Proc.RunAsync("manifestgen", ["--version"], ToolPackage.Generous, env);
        Assert.Equal(0, version.ExitCode);
        Assert.Equal($"manifestgen {CliApp.Version}\n", version.Stdout);

        var help = await Proc.RunAsync("manifestgen", ["--help"], ToolPackage.Generous, env);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("exit codes:", help.Stdout);

        // A GitOps repository with values/ only: the installed tool renders with the templates it carries,
        // byte for byte what this checkout's templates render.
        using var gitOps = new Workspace(copyExampleValues: true, copyTemplates: false);
        using var reference = new Workspace(copyExampleValues: true);
        var render = await Proc.RunAsync("manifestgen", ["render"], ToolPackage.Generous, env, workingDirectory: gitOps.Root);
        Assert.True(render.Succeeded, render.Stderr);
        // production's sshfs app is its warning (MG0714; its sandboxed gate confines sftp, so no MG0732)
        Assert.EndsWith("rendered 2 environments into out/: 0 errors, 1 warning\n", render.Stderr);
        Assert.Equal(0, new CliApp(new StringWriter(), new StringWriter()).Run(["render", "--root", reference.Root], reference.Root));
        Assert.Equal(reference.OutFiles(), gitOps.OutFiles());

        var check = await Proc.RunAsync("manifestgen", ["check", "-q", "test-cluster"], ToolPackage.Generous, env, workingDirectory: gitOps.Root);
        Assert.Equal((0, ""), (check.ExitCode, check.Stderr));
    }

    [Fact]
    public async Task I_can_install_the_native_tool_package_and_it_runs_the_native_executable_with_its_built_in_templates()
    {
        using var scratch = new TempDir();
        var feed = Path.Combine(scratch.Path, "feed");
        var tools = Path.Combine(scratch.Path, "tools");
        // What `make tool` runs: the native compile of the current sources and commit (minutes when the
        // cached one is of another commit; the version carries the commit), the packs restore as usual.
        var pack = await Proc.RunAsync("bash", [Path.Combine(RepoPaths.Root, "scripts", "manifestgen-cached.sh"), "--pack", feed],
            ToolPackage.NativeCompile);
        Assert.True(pack.Succeeded, pack.Stdout + pack.Stderr);
        var version = CliApp.Version.Split('+')[0];
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        Assert.Equal(
            new[] { $"ManifestGen.{version}.nupkg", $"ManifestGen.any.{version}.nupkg", $"ManifestGen.{rid}.{version}.nupkg" }.Order(StringComparer.Ordinal),
            Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var env = ToolPackage.Environment(scratch.Path);
        var install = await Proc.RunAsync("dotnet",
            ["tool", "install", "--tool-path", tools, "--add-source", feed, "--configfile", ToolPackage.NoSourcesConfig(scratch.Path), "ManifestGen"],
            ToolPackage.Generous, env);
        Assert.True(install.Succeeded, install.Stdout + install.Stderr);
        // The command is the native executable of the platform's package, not a launcher of manifestgen.dll.
        var command = new FileInfo(Path.Combine(tools, "manifestgen"));
        var target = Path.GetFullPath(command.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? command.FullName);
        Assert.Contains($"/manifestgen.{rid}/", target, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(target)!, "manifestgen.dll")), "the platform's package holds manifestgen.dll: not the native build");

        env["PATH"] = tools + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
        // The version; its "+commit" suffix is the commit the package was compiled at, which may be newer
        // than this test assembly's build.
        var versionRun = await Proc.RunAsync("manifestgen", ["--version"], ToolPackage.Generous, env);
        Assert.Equal(0, versionRun.ExitCode);
        Assert.StartsWith($"manifestgen {version}+", versionRun.Stdout, StringComparison.Ordinal);

        // The native package carries the templates too: a GitOps repository with values/ only renders what
        // this checkout's templates render.
        using var gitOps = new Workspace(copyExampleValues: true, copyTemplates: false);
        using var reference = new Workspace(copyExampleValues: true);
        var render = await Proc.RunAsync("manifestgen", ["render"], ToolPackage.Generous, env, workingDirectory: gitOps.Root);
        Assert.True(render.Succeeded, render.Stderr);
        Assert.Equal(0, new CliApp(new StringWriter(), new StringWriter()).Run(["render", "--root", reference.Root], reference.Root));
        Assert.Equal(reference.OutFiles(), gitOps.OutFiles());
    }

    [Fact]
    public async Task I_can_restore_the_tool_from_this_repositorys_manifest_and_run_dotnet_manifestgen()
    {
        using var scratch = new TempDir();
        // This repository's tool manifest and package source, in a copy whose artifacts/packages holds the packed tool.
        var repo = Path.Combine(scratch.Path, "repo");
        foreach (var file in new[] { ".config/dotnet-tools.json", "nuget.config", "artifacts/packages/.gitignore" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(repo, file))!);
            File.Copy(Path.Combine(RepoPaths.Root, file), Path.Combine(repo, file));
        }
        await ToolPackage.PackAsync(Path.Combine(repo, "artifacts", "packages"), scratch.Path);
        var env = ToolPackage.Environment(scratch.Path);

        var restore = await Proc.RunAsync("dotnet", ["tool", "restore"], ToolPackage.Generous, env, workingDirectory: repo);
        Assert.True(restore.Succeeded, restore.Stdout + restore.Stderr);
        var version = await Proc.RunAsync("dotnet", ["manifestgen", "--version"], ToolPackage.Generous, env, workingDirectory: repo);
        Assert.Equal((0, $"manifestgen {CliApp.Version}\n"), (version.ExitCode, version.Stdout));
    }
}
