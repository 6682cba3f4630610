using System.Text.RegularExpressions;
using ManifestGen.Runner.Processes;
using ManifestGen.Testing;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Tooling;

/// <summary>
/// Every bash script of the repository (scripts/, image/, bench/, host/, tools/, .ci, the pod harness's
/// sandbox) passes shellcheck at style severity, as the host gate always has. Scripts are found by what
/// they are, not by a list: a file git tracks or would track whose first line is a bash or sh shebang, or
/// `# shellcheck shell=bash` for a script that is only sourced. A new script cannot slip past.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ShellScriptTests
{
    [Fact]
    public async Task Should_keep_every_bash_script_of_the_repository_clean_under_shellcheck()
    {
        var scripts = await BashScriptsAsync(RepoPaths.Root);
        // The ones known today; more may come, none may go unnoticed.
        Assert.Contains("host/manifestgen-gate", scripts);
        Assert.Contains("scripts/build-cache.sh", scripts);
        Assert.Contains(".ci/run", scripts);
        var r = await ShellcheckAsync(RepoPaths.Root, scripts);
        Assert.True(r.Succeeded && r.Stdout.Length == 0,
            $"shellcheck --severity=style over {scripts.Count} scripts (exit {r.ExitCode}):\n{r.Stdout}{r.Stderr}");
    }

    [Fact]
    public async Task Should_find_a_new_script_that_is_not_yet_committed_and_fail_on_its_findings()
    {
        using var repo = new TempDir("mgtest-shellcheck-");
        await Proc.CheckedAsync("git", "-C", repo.Path, "init", "-q");
        repo.Write("tools/new/run.sh", "#!/usr/bin/env bash\nset -eu\npids=$(pgrep x)\nkill $pids\n");
        repo.Write("scripts/lib.sh", "# shellcheck shell=bash\nsay() { echo \"$*\"; }\n");
        repo.Write("docs/notes.md", "A script starts with\n#!/bin/bash\n");
        repo.Write("tools/report.py", "#!/usr/bin/env python3\nprint('x')\n");
        repo.Write("bin/copied.sh", "#!/bin/bash\nkill $pids\n");
        repo.Write(".gitignore", "bin/\n");

        var scripts = await BashScriptsAsync(repo.Path);
        Assert.Equal(new[] { "scripts/lib.sh", "tools/new/run.sh" }, scripts);
        var r = await ShellcheckAsync(repo.Path, scripts);
        Assert.False(r.Succeeded);
        Assert.Contains("tools/new/run.sh:4:", r.Stdout);
        Assert.Contains("SC2086", r.Stdout);
    }

    /// <summary>The bash scripts under <paramref name="root"/> (paths relative to it, in byte order).</summary>
    private static async Task<IReadOnlyList<string>> BashScriptsAsync(string root)
    {
        var listed = await Proc.RunAsync("git", ["-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
        Assert.True(listed.Succeeded, "git ls-files: " + listed.Stderr);
        return [.. listed.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => File.Exists(Path.Combine(root, f)) && IsBash(FirstLine(Path.Combine(root, f))))
            .Order(StringComparer.Ordinal)];
    }

    private static string FirstLine(string file)
    {
        using var reader = new StreamReader(file);
        var buffer = new char[200];
        var n = reader.ReadBlock(buffer, 0, buffer.Length);
        return new string(buffer, 0, n).Split('\n')[0];
    }

    private static bool IsBash(string firstLine) => BashFirstLine().IsMatch(firstLine);

    // #!/bin/bash, #!/usr/bin/env bash, #!/bin/sh, or the directive of a script that is only sourced.
    [GeneratedRegex(@"^(#!\s*(/usr)?/bin/(env\s+)?(bash|sh)\b|#\s*shellcheck\s+shell=(bash|sh)\b)")]
    private static partial Regex BashFirstLine();

    /// <summary>
    /// shellcheck from the root (so `# shellcheck source=scripts/…` directives resolve), following sourced
    /// files, as bash, at style severity: what every script is held to.
    /// </summary>
    private static Task<ProcessResult> ShellcheckAsync(string root, IReadOnlyList<string> scripts) =>
        Proc.RunAsync("shellcheck", ["-x", "--shell=bash", "--severity=style", "--format=gcc", .. scripts],
            TimeSpan.FromMinutes(5), workingDirectory: root);
}
