using ManifestGen.Inventory;
using ManifestGen.Output;
using ManifestGen.Output.Helm;
using ManifestGen.Pipeline;
using ManifestGen.Tests.Cli;
using ManifestGen.Tests.Rendering;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Output;

/// <summary>
/// The Helm chart output stage. That the chart renders exactly the directory's objects is proven by Go's
/// own text/template in tools/chart-render (run by `make test` over out/ and over the golden tree
/// written here); these tests cover the generator's side: switch, CLI, drift and escaping.
/// </summary>
public sealed class HelmChartTests
{
    private static (int Code, string Stdout, string Stderr) Run(Workspace ws, params string[] args) => CliTests.Run(ws, args);

    [Fact]
    public void Should_write_one_template_per_object_of_the_manifests_directory()
    {
        var files = ExampleSnapshotTests.RenderInMemory(new Generator(new GeneratorPaths(RepoPaths.Root)), "production");
        var manifests = files.Keys.Where(k => k.StartsWith("manifests/", StringComparison.Ordinal)).Select(k => k["manifests/".Length..]);
        var templates = files.Keys.Where(k => k.StartsWith("chart/templates/", StringComparison.Ordinal)).Select(k => k["chart/templates/".Length..]);
        Assert.Equal(manifests, templates);
        Assert.Contains("chart/Chart.yaml", files.Keys);
        Assert.Contains("chart/values.yaml", files.Keys);
        Assert.Contains("chart/values.schema.json", files.Keys);
        Assert.Equal("apiVersion: v2\nappVersion: 1.4.2\n", string.Concat(files["chart/Chart.yaml"].Split('\n').Take(2).Select(l => l + "\n")));
        Assert.Contains("name: manifestgen-production\n", files["chart/Chart.yaml"]);
        Assert.Contains("version: 1.0.0\n", files["chart/Chart.yaml"]);
        // Only the parameters are actions; no Sprig or Helm-only function anywhere.
        foreach (var (path, text) in files.Where(f => f.Key.StartsWith("chart/templates/", StringComparison.Ordinal)))
            foreach (var forbidden in new[] { "toYaml", "include ", "quote", "default ", "tpl ", "required " })
                Assert.DoesNotContain(forbidden, text);
    }

    [Fact]
    public void Should_give_both_hook_jobs_helm_hooks_ordered_like_their_sync_waves()
    {
        var files = ExampleSnapshotTests.RenderInMemory(new Generator(new GeneratorPaths(RepoPaths.Root)), "production");
        var prepare = files["chart/templates/job-restic-prepare.yaml"];
        var init = files["chart/templates/job-restic-init.yaml"];
        foreach (var job in new[] { prepare, init })
        {
            Assert.Contains("    helm.sh/hook: post-install,post-upgrade\n", job);
            Assert.Contains("    helm.sh/hook-delete-policy: before-hook-creation\n", job);
            Assert.Contains("    argocd.argoproj.io/hook: Sync\n", job);
        }
        Assert.Contains("    helm.sh/hook-weight: \"-1\"\n", prepare);
        Assert.Contains("    argocd.argoproj.io/sync-wave: \"-1\"\n", prepare);
        Assert.Contains("    helm.sh/hook-weight: \"1\"\n", init);
        Assert.DoesNotContain(files, f => f.Key.Contains("cronjob-", StringComparison.Ordinal) && f.Value.Contains("helm.sh/hook", StringComparison.Ordinal));
    }

    /// <summary>
    /// The inventory rejects `{{` as a placeholder, so this feeds the chart stage directly: a hook command
    /// with Go template syntax in a job's configuration. The golden tree (manifests and chart) is rendered
    /// by Go's text/template in tools/chart-render, which must give the command back unchanged.
    /// </summary>
    [Fact]
    public void Should_escape_literal_template_delimiters_so_the_chart_renders_them_unchanged()
    {
        const string Hook = "docker inspect -f '{{ .x }}' immich_postgres }} && docker compose";
        var generator = new Generator(new GeneratorPaths(RepoPaths.Root));
        var result = Assert.Single(generator.Generate(new GenerationRequest("test-cluster")).Environments);
        Assert.False(result.HasErrors);
        var manifests = result.Files.Where(f => f.Path.StartsWith("test-cluster/manifests/", StringComparison.Ordinal))
            .Select(f => f.Path.EndsWith("/configmap-backup-kvm-lab-immich.yaml", StringComparison.Ordinal)
                ? f with { Content = f.Content.Replace("docker compose", Hook, StringComparison.Ordinal) }
                : f)
            .ToList();
        Assert.Contains(manifests, f => f.Content.Contains(Hook, StringComparison.Ordinal));
        var image = generator.Validate(Path.Combine(RepoPaths.Values, "test-cluster.yaml")).Inventory!.Model.Image;
        var chart = HelmChart.Write("test-cluster", new HelmChartSpec { Enabled = true, Name = "escape" }, image, manifests);
        var template = chart.Single(f => f.Path.EndsWith("/configmap-backup-kvm-lab-immich.yaml", StringComparison.Ordinal)).Content;
        Assert.Contains("""docker inspect -f '{{"{{"}} .x }}' immich_postgres }} && docker compose""", template);
        var tree = manifests.Concat(chart).ToDictionary(f => f.Path["test-cluster/".Length..], f => f.Content);
        Golden.AssertTree("chart-escape", tree);
    }

    [Fact]
    public void Should_detect_drift_in_the_chart_as_in_the_manifests()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, Run(ws, "render").Code);
        ws.Edit("out/test-cluster/chart/values.yaml", "suspend: false", "suspend: true");
        File.Delete(Path.Combine(ws.Root, "out/test-cluster/chart/templates/cronjob-restic-check-kvm-lab.yaml"));
        ws.Write("out/test-cluster/chart/templates/configmap-left-over.yaml", "kind: ConfigMap\n");
        var check = Run(ws, "check", "test-cluster");
        Assert.Equal(1, check.Code);
        Assert.Contains("-suspend: true\n+suspend: false\n", check.Stdout);
        Assert.Contains("out/test-cluster/chart/values.yaml: error MG0909: file differs", check.Stderr);
        Assert.Contains("out/test-cluster/chart/templates/cronjob-restic-check-kvm-lab.yaml: error MG0909: file is missing", check.Stderr);
        Assert.Contains("out/test-cluster/chart/templates/configmap-left-over.yaml: error MG0909: file is no longer produced", check.Stderr);
        Assert.Equal(0, Run(ws, "render").Code);
        Assert.Equal(0, Run(ws, "check").Code);
    }

    [Fact]
    public void Should_warn_about_an_immutable_change_once_although_the_chart_holds_the_object_too()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, Run(ws, "render").Code);
        ws.Edit("values/_base.yaml", "path: /volume1/k8s-backup/restic/production", "path: /volume1/k8s-backup/restic/prod");
        var check = Run(ws, "check", "production");
        Assert.Equal(1, check.Code);
        Assert.Contains("out/production/chart/templates/persistentvolume-backup-restic.yaml: error MG0909", check.Stderr);
        var warnings = check.Stderr.Split('\n').Where(l => l.Contains(": warning MG1001:", StringComparison.Ordinal)).ToList();
        // one warning per volume onto that storage (the repository's and the sshfs namespace's), none for the chart's copies
        Assert.Contains(warnings, w => w.StartsWith("out/production/manifests/persistentvolume-backup-restic.yaml", StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.StartsWith("out/production/manifests/persistentvolume-", w));
        Assert.Equal(warnings.Count, warnings.Select(w => w.Split(':')[0]).Distinct().Count());
    }

    [Fact]
    public void Should_render_the_chart_for_every_environment_with_format_helm()
    {
        using var ws = new Workspace(copyExampleValues: true);
        ws.Edit("values/test-cluster.yaml", "    enabled: true\n", "    enabled: false\n");
        Assert.Equal(0, Run(ws, "render").Code);
        Assert.DoesNotContain(ws.OutFiles().Keys, k => k.StartsWith("test-cluster/chart/", StringComparison.Ordinal));
        Assert.Equal(0, Run(ws, "render", "--format", "helm").Code);
        Assert.Contains("test-cluster/chart/Chart.yaml", ws.OutFiles().Keys);
        // out/ is owned by the tool: without the switch the chart is drift, with it it is current.
        Assert.Equal(1, Run(ws, "check").Code);
        Assert.Equal(0, Run(ws, "check", "--format", "helm").Code);
        Assert.Equal(2, Run(ws, "validate", "--format", "helm").Code);
    }

    [Fact]
    public void Should_reject_a_chart_version_that_is_not_semver()
    {
        using var ws = new Workspace(copyExampleValues: true);
        ws.Edit("values/test-cluster.yaml", "    version: 0.1.0\n", "    version: \"1.0\"\n");
        ws.Edit("values/test-cluster.yaml", "    name: backup-test-cluster\n", "    name: Backup_Test\n");
        var validate = Run(ws, "validate", "test-cluster");
        Assert.Equal(1, validate.Code);
        Assert.Matches(@"values/test-cluster\.yaml\(\d+,14\): error MG0920: output\.helmChart\.version: `1\.0` is not a SemVer 2 version", validate.Stderr);
        Assert.Matches(@"values/test-cluster\.yaml\(\d+,11\): error MG0920: output\.helmChart\.name: `Backup_Test` is not a chart name", validate.Stderr);
    }
}
