using ManifestGen.Contracts;
using ManifestGen.Inventory;
using ManifestGen.Pipeline;
using ManifestGen.Tests.Loading;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Rendering;

public sealed class PipelineTests
{
    [Fact]
    public void Should_list_every_inventory_check_in_the_assembly_in_type_name_order()
    {
        var checks = InventoryChecks.Discovered;
        Assert.NotEmpty(checks);
        var names = checks.Select(c => c.GetType().FullName!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        // The list is written by hand (no type scanning in the native build): a new rule must be added to it.
        var implemented = typeof(IInventoryCheck).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IInventoryCheck).IsAssignableFrom(t))
            .Select(t => t.FullName!).Order(StringComparer.Ordinal);
        Assert.Equal(implemented, names);
    }

    [Fact]
    public void Should_stop_rendering_an_environment_when_validation_reports_an_error()
    {
        using var ws = new Workspace();
        ws.Write("values/demo.yaml", InventoryLoaderTests.Minimal.Replace("address: 10.0.0.1", "address: CHANGEME"));
        var result = Assert.Single(ws.Generator.Generate(new GenerationRequest("demo")).Environments);
        Assert.True(result.HasErrors);
        Assert.Empty(result.Files);
        Assert.Null(result.Plan);
        Assert.Contains(result.Diagnostics, d => d.Location.File == "values/demo.yaml" && d.Location.Line == 15);
    }

    [Fact]
    public void I_can_render_a_minimal_inventory_with_defaults_only()
    {
        using var ws = new Workspace();
        ws.Write("values/demo.yaml", InventoryLoaderTests.Minimal);
        var result = Assert.Single(ws.Generator.Generate(new GenerationRequest("demo")).Environments);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var paths = result.Files.Select(f => f.Path).ToList();
        Assert.Contains("demo/manifests/cronjob-backup-host-a-app-one.yaml", paths);
        Assert.Contains("demo/manifests/configmap-backup-host-a-app-one.yaml", paths);
        Assert.Contains("demo/manifests/persistentvolumeclaim-mirror-host-a-app-one.yaml", paths);
        Assert.Contains("demo/application.yaml", paths);
        Assert.DoesNotContain(paths, p => p.Contains("prepare", StringComparison.Ordinal)); // local storage: no NFS mkdir job
        Assert.All(result.Files, f => Assert.DoesNotContain("\r", f.Content));
    }

    [Fact]
    public void Should_render_one_forget_job_per_host_holding_only_that_hosts_apps_and_one_prune_job()
    {
        var generator = new Generator(new GeneratorPaths(RepoPaths.Root));
        var result = Assert.Single(generator.Generate(new GenerationRequest("production")).Environments);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var maintain = result.Files
            .Where(f => f.Path.Contains("/manifests/configmap-", StringComparison.Ordinal))
            .Select(f => ContractConfig(f.Content))
            .OfType<JobConfig>()
            .Where(c => c.Kind == JobKind.Maintain)
            .ToList();
        // Prune reads the whole repository: once, in its own job, with no forget groups.
        var prune = Assert.Single(maintain, c => c.Maintenance!.Prune);
        Assert.Empty(prune.Maintenance!.Groups);
        Assert.Contains(result.Files, f => f.Path.EndsWith("/cronjob-restic-prune.yaml", StringComparison.Ordinal));
        var configs = maintain.Where(c => !c.Maintenance!.Prune).ToList();
        var hosts = generator.Validate(Path.Combine(RepoPaths.Values, "production.yaml")).Inventory!.Model.Hosts;
        Assert.Equal(hosts.Length, configs.Count);
        foreach (var host in hosts)
        {
            var config = Assert.Single(configs, c => c.Maintenance!.Groups.Any(g => g.Host == host.Name));
            Assert.All(config.Maintenance!.Groups, g => Assert.Equal(host.Name, g.Host));
            Assert.Equal(host.Apps.Select(a => a.Name).Order(StringComparer.Ordinal), config.Maintenance.Groups.Select(g => g.App).Order(StringComparer.Ordinal));
            Assert.Contains(result.Files, f => f.Path.EndsWith($"/cronjob-restic-maintain-{host.Name}.yaml", StringComparison.Ordinal));
        }
    }

    /// <summary>The job configuration a ConfigMap holds, or null for other ConfigMaps (known_hosts).</summary>
    private static JobConfig? ContractConfig(string configMapYaml)
    {
        var configMap = k8s.KubernetesYaml.Deserialize<k8s.Models.V1ConfigMap>(configMapYaml);
        return configMap.Data.TryGetValue(PodPaths.JobConfigFileName, out var json) ? JobConfigJson.Deserialize(json, configMap.Metadata.Name) : null;
    }
}
