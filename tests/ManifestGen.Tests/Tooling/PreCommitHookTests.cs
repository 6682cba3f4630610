using System.Diagnostics;
using ManifestGen.Cli;
using ManifestGen.Runner.Processes;
using ManifestGen.Testing;
using ManifestGen.Tests.Support;
using Xunit.Abstractions;

namespace ManifestGen.Tests.Tooling;

/// <summary>
/// The hooks as a separate GitOps repository uses them: Debian's pre-commit, this tool referenced by
/// `rev:` from a scratch git repository holding this checkout's files, `language: dotnet` packing and
/// installing the tool, and real `git commit`s that fail on drift and pass after a render.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PreCommitHookTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_GitOps_repository_commit_fails_on_drift_and_passes_after_render_with_the_hook_used_by_rev()
    {
        using var scratch = new TempDir();
        var env = ToolPackage.Environment(scratch.Path);
        // pre-commit's state and the tool's package folder are the test's own; the generator's dependencies
        // come read-only from the machine's package folder (no download, nothing written there).
        env["PRE_COMMIT_HOME"] = Path.Combine(scratch.Path, "pre-commit-home");
        env["NUGET_FALLBACK_PACKAGES"] = Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");

        // The tool repository: this checkout's files (tracked and new, not ignored) committed at one rev.
        var tool = Path.Combine(scratch.Path, "manifestgen");
        var files = (await Git(env, RepoPaths.Root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files.Where(f => File.Exists(Path.Combine(RepoPaths.Root, f))))
        {
            var target = Path.Combine(tool, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RepoPaths.Root, file), target);
        }
        await ToolPackage.CommitAllAsync(env, tool, "tool");
        var rev = (await Git(env, tool, "rev-parse", "HEAD")).Trim();

        // The GitOps repository: values/, one template of its own, out/ rendered with it, the hook by rev.
        using var gitOps = new Workspace(copyExampleValues: true, copyTemplates: false);
        var repo = gitOps.Root;
        gitOps.Write("templates/namespace.sbn",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ model.meta.name | q }}\n  labels:\n    example.com/owner: platform\n");
        Render(repo);
        Assert.Contains("example.com/owner", gitOps.Read("out/production/manifests/namespace-backup.yaml"));
        gitOps.Write(".pre-commit-config.yaml", $"""
            repos:
              - repo: {tool}
                rev: {rev}
                hooks:
                  - id: manifestgen-check
                  - id: manifestgen-validate
            """);
        await Git(env, repo, "init", "-q", "-b", "main");
        var install = await Proc.RunAsync("pre-commit", ["install"], ToolPackage.Generous, env, workingDirectory: repo);
        Assert.True(install.Succeeded, install.Stdout + install.Stderr);

        // Once per rev: pre-commit packs the tool and installs it into its environment.
        var clock = Stopwatch.StartNew();
        var hooks = await Proc.RunAsync("pre-commit", ["install-hooks"], ToolPackage.NativeCompile, env, workingDirectory: repo);
        Assert.True(hooks.Succeeded, hooks.Stdout + hooks.Stderr);
        output.WriteLine($"pre-commit install-hooks (pack, native compile, install of the tool): {clock.Elapsed.TotalSeconds:F1} s");
        // The native generator was compiled once for this rev, beside the framework-dependent tool.
        var environment = Assert.Single(Directory.GetDirectories(env["PRE_COMMIT_HOME"]!, "dotnetenv-default", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(environment, "native", "manifestgen")), "no native generator in " + environment + "\n" + hooks.Stdout + hooks.Stderr);
        Assert.True(File.Exists(Path.Combine(environment, "bin", "manifestgen")), "no .NET tool in " + environment);

        await Git(env, repo, "add", "-A");
        var first = await Commit(env, repo, "inventory and rendered out/");
        Assert.True(first.Succeeded, first.Stdout + first.Stderr);
        Assert.Contains("manifestgen check (rendered out/ is current)", Output(first));
        Assert.Matches(@"manifestgen check \(rendered out/ is current\)\.+Passed", Output(first));

        // A change to the inventory without a render: the commit is refused and names the drift and its fix.
        gitOps.Edit("values/test-cluster.yaml", "schedule: \"H 2 * * *\"", "schedule: \"H 3 * * *\"");
        await Git(env, repo, "add", "-A");
        var drift = await Commit(env, repo, "immich at three");
        Assert.False(drift.Succeeded, "the commit passed although out/ was not rendered");
        Assert.Matches(@"manifestgen check \(rendered out/ is current\)\.+Failed", Output(drift));
        Assert.Contains("cronjob-backup-kvm-lab-immich.yaml", Output(drift));
        Assert.Contains("out/ is not current", Output(drift));
        Assert.Contains("-  schedule: 49 2 * * *\n+  schedule: 49 3 * * *\n", Output(drift));

        // After a render the same commit passes; this is what a commit costs with the hook.
        Render(repo);
        await Git(env, repo, "add", "-A");
        clock.Restart();
        var fixedUp = await Commit(env, repo, "immich at three, rendered");
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.True(fixedUp.Succeeded, fixedUp.Stdout + fixedUp.Stderr);
        Assert.Matches(@"manifestgen validate \(inventory\)\.+Passed", Output(fixedUp));
        // Passing, the hooks still print every warning (the example's sshfs app is one).
        Assert.Matches(@"manifestgen check \(rendered out/ is current\)\.+Passed", Output(fixedUp));
        Assert.Contains("values/production.yaml(87,9): warning MG0714:", Output(fixedUp));
        output.WriteLine($"git commit with both hooks (check + validate of 2 environments): {seconds:F1} s");

        // Without the native build the same hooks run the framework-dependent tool (the fallback).
        Directory.Move(Path.Combine(environment, "native"), Path.Combine(environment, "native.off"));
        gitOps.Edit("values/test-cluster.yaml", "schedule: \"H 3 * * *\"", "schedule: \"H 4 * * *\"");
        Render(repo);
        await Git(env, repo, "add", "-A");
        clock.Restart();
        var fallback = await Commit(env, repo, "immich at four, rendered");
        Assert.True(fallback.Succeeded, fallback.Stdout + fallback.Stderr);
        Assert.Contains("values/production.yaml(87,9): warning MG0714:", Output(fallback));
        output.WriteLine($"git commit with both hooks on the framework-dependent tool: {clock.Elapsed.TotalSeconds:F1} s");
    }

    // git runs hooks with their stdout sent to stderr
    private static string Output(ProcessResult r) => r.Stdout + r.Stderr;

    private static void Render(string root)
    {
        var stderr = new StringWriter();
        Assert.True(new CliApp(new StringWriter(), stderr).Run(["render", "--root", root], root) == 0, stderr.ToString());
    }

    private static Task<ProcessResult> Commit(Dictionary<string, string?> env, string repo, string message) =>
        Proc.RunAsync("git", ["commit", "-q", "-m", message], ToolPackage.Generous, env, workingDirectory: repo);

    private static Task<string> Git(Dictionary<string, string?> env, string repo, params string[] args) => ToolPackage.GitAsync(env, repo, args);
}
