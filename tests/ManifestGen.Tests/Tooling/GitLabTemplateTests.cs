using System.Text.RegularExpressions;
using ManifestGen.Cli;
using ManifestGen.Testing;
using ManifestGen.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace ManifestGen.Tests.Tooling;

/// <summary>
/// The GitLab template as another project includes it: its inputs filled in as GitLab does, and each job's
/// before_script and script run by bash in a scratch GitOps repository, installing the packed tool by version
/// from a package source folder.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class GitLabTemplateTests
{
    private static readonly string TemplatePath = Path.Combine(RepoPaths.Root, "ci", "gitlab", "manifestgen.gitlab-ci.yml");

    [Fact]
    public void Should_require_the_tool_version_as_an_input_without_a_default()
    {
        var (spec, _) = Load();
        var version = (YamlMappingNode)((YamlMappingNode)spec["inputs"])["version"];
        Assert.False(version.Children.ContainsKey("default"), "the tool version must be pinned by the including project");
    }

    [Fact]
    public async Task I_can_run_the_jobs_of_the_included_template_with_the_tool_installed_by_version()
    {
        using var scratch = new TempDir();
        var feed = Path.Combine(scratch.Path, "feed");
        await ToolPackage.PackAsync(feed, scratch.Path);
        var version = CliApp.Version.Split('+')[0];
        using var gitOps = new Workspace(copyExampleValues: true, copyTemplates: false);
        Assert.Equal(0, new CliApp(new StringWriter(), new StringWriter()).Run(["render", "--root", gitOps.Root], gitOps.Root));
        // CI runs in a clone: the immutable-field warnings compare with a commit of it
        await ToolPackage.CommitAllAsync(ToolPackage.Environment(scratch.Path), gitOps.Root, "rendered");

        var inputs = new Dictionary<string, string> { ["version"] = version, ["package-source"] = feed };
        var validate = await RunJob("manifestgen:validate", inputs, gitOps.Root, scratch.Path);
        Assert.True(validate.Succeeded, validate.Stdout + validate.Stderr);
        Assert.Contains($"manifestgen {version}", validate.Stdout);
        // the examples' findings are production's sshfs warnings (MG0714, MG0732) and its note that its
        // repository is not append-only (MG0606, info)
        var report = System.Text.Json.Nodes.JsonNode.Parse(gitOps.Read("gl-code-quality-report.json"))!.AsArray();
        Assert.All(report, finding => Assert.Matches("^MG0(714|732|606):", (string?)finding!["description"]));
        var check = await RunJob("manifestgen:check", inputs, gitOps.Root, scratch.Path);
        Assert.True(check.Succeeded, check.Stdout + check.Stderr);

        // drift fails the check job, with the diff in the log
        gitOps.Edit("values/test-cluster.yaml", "schedule: \"H 2 * * *\"", "schedule: \"H 3 * * *\"");
        var drift = await RunJob("manifestgen:check", inputs, gitOps.Root, scratch.Path);
        Assert.Equal(1, drift.ExitCode);
        Assert.Contains("+++ b/out/test-cluster/manifests/cronjob-backup-kvm-lab-immich.yaml", drift.Stdout);

        // a version that is not in the source fails the job instead of running some other version
        var wrong = await RunJob("manifestgen:check", new Dictionary<string, string>(inputs) { ["version"] = "99.0.0" }, gitOps.Root, scratch.Path);
        Assert.NotEqual(0, wrong.ExitCode);
    }

    private static (YamlMappingNode Spec, YamlMappingNode Jobs) Load(IReadOnlyDictionary<string, string>? inputs = null)
    {
        var text = File.ReadAllText(TemplatePath);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        Assert.Equal(2, stream.Documents.Count);
        var spec = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["spec"];
        if (inputs is null)
            return (spec, (YamlMappingNode)stream.Documents[1].RootNode);
        // Interpolate as GitLab does: every $[[ inputs.NAME ]] by the given value or the input's default.
        var declared = (YamlMappingNode)spec["inputs"];
        var body = text[(text.IndexOf("\n---\n", StringComparison.Ordinal) + 5)..];
        body = InputReference().Replace(body, m =>
        {
            var name = m.Groups[1].Value;
            if (inputs.TryGetValue(name, out var value))
                return value;
            var input = (YamlMappingNode)declared[name];
            return input.Children.TryGetValue("default", out var d) ? ((YamlScalarNode)d).Value! : throw new InvalidOperationException($"input {name} has no value");
        });
        var jobs = new YamlStream();
        jobs.Load(new StringReader(body));
        return (spec, (YamlMappingNode)jobs.Documents[0].RootNode);
    }

    /// <summary>The job's before_script (from `extends`) and script, in one bash as a GitLab shell runner runs them.</summary>
    private static Task<Runner.Processes.ProcessResult> RunJob(string job, IReadOnlyDictionary<string, string> inputs, string project, string scratch)
    {
        var (_, jobs) = Load(inputs);
        var node = (YamlMappingNode)jobs[job];
        var template = (YamlMappingNode)jobs[((YamlScalarNode)node["extends"]).Value!];
        static IEnumerable<string> Lines(YamlMappingNode n, string key) =>
            ((YamlSequenceNode)n[key]).Children.Select(c => ((YamlScalarNode)c).Value!);
        var script = string.Join("\n", Lines(template, "before_script").Concat(Lines(node, "script"))) + "\n";
        var env = ToolPackage.Environment(scratch);
        env["CI_PROJECT_DIR"] = project;
        env["CI_JOB_TOKEN"] = "";
        foreach (var (key, value) in (YamlMappingNode)jobs["variables"])
            env[((YamlScalarNode)key).Value!] = ((YamlScalarNode)value).Value;
        return Proc.RunAsync("bash", ["-e", "-o", "pipefail", "-c", script], ToolPackage.Generous, env, workingDirectory: project);
    }

    [GeneratedRegex(@"\$\[\[\s*inputs\.([a-z0-9-]+)\s*\]\]")]
    private static partial Regex InputReference();
}
