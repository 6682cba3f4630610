using k8s.Models;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Planning;
using ManifestGen.Rendering;
using ManifestGen.Security;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// The append-only mode as rendered for the test-cluster example (and the focused case with two hosts
/// and an sshfs namespace): who mounts the repository volume, who holds which credential, who may
/// connect to the server. The golden trees pin the bytes; these say what the bytes must mean.
/// </summary>
public sealed class RepositoryServerTests
{
    public static TheoryData<string> Trees() => new()
    {
        "tests/snapshots/examples/test-cluster/manifests",
        "tests/snapshots/cases/append-only-server/out/manifests",
    };

    private static List<RenderedObject> Read(string tree) => RenderedTree.Read(tree);

    private static string Component(V1PodTemplateSpec t) => t.Metadata.Labels["app.kubernetes.io/component"];

    [Theory]
    [MemberData(nameof(Trees))]
    public void Should_let_only_the_maintenance_pods_mount_the_volume_and_give_backup_pods_their_hosts_credential(string tree)
    {
        var objects = Read(tree);
        var server = Assert.Single(objects.Select(o => o.Typed).OfType<V1Deployment>());
        var serverPod = server.Spec.Template.Spec;
        var claim = Assert.Single(serverPod.Volumes, v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName;
        Assert.Equal(["restic-rest-server"], serverPod.Containers[0].Command);
        Assert.Contains("--append-only", serverPod.Containers[0].Args);
        Assert.Contains("--private-repos", serverPod.Containers[0].Args);
        Assert.Empty(PodSecurityStandards.Evaluate(PodSecurityLevel.Restricted, server.Spec.Template.Metadata, serverPod));

        var configMaps = objects.Select(o => o.Typed).OfType<V1ConfigMap>().ToList();
        var pods = NamespaceLevels.PodTemplates(objects).Where(p => p.Name.StartsWith("CronJob/", StringComparison.Ordinal) || p.Name.StartsWith("Job/", StringComparison.Ordinal)).ToList();
        Assert.Contains(pods, p => Component(p.Template) == "backup");
        foreach (var (ns, name, template) in pods)
        {
            var component = Component(template);
            var mountsVolume = template.Spec.Volumes.Any(v => v.PersistentVolumeClaim?.ClaimName == claim);
            var jobConfigMap = template.Spec.Volumes.SingleOrDefault(v => v.Name == "job-config")?.ConfigMap?.Name;
            if (jobConfigMap is null) continue; // the NFS prepare Job
            var config = JobConfigJson.Deserialize(configMaps.Single(c => c.Metadata.Name == jobConfigMap && c.Metadata.NamespaceProperty == ns)
                .Data[PodPaths.JobConfigFileName], jobConfigMap);
            if (RepositoryServerPlanner.ClientComponents.Contains(component))
            {
                Assert.False(mountsVolume, $"{name} ({component}) mounts the repository volume");
                var host = config.Host!.Name;
                Assert.Equal($"rest:http://{server.Metadata.Name}.{server.Metadata.NamespaceProperty}.svc:{serverPod.Containers[0].Ports[0].ContainerPort}/{host}/",
                    config.Repository.Location);
                Assert.Equal(host, config.Repository.RestUsername);
                var credential = Assert.Single(template.Spec.Volumes, v => v.Secret?.SecretName?.Contains("-rest-", StringComparison.Ordinal) == true);
                Assert.EndsWith("-rest-" + host, credential.Secret.SecretName, StringComparison.Ordinal);
                Assert.StartsWith(PodPaths.RestPasswordDir + "/", config.Repository.RestPasswordFile, StringComparison.Ordinal);
            }
            else
            {
                Assert.True(mountsVolume, $"{name} ({component}) does not mount the repository volume");
                Assert.Null(config.Repository.RestUsername);
                Assert.Null(config.Repository.RestPasswordFile);
                Assert.StartsWith(PodPaths.RepositoryMount + "/", config.Repository.Location, StringComparison.Ordinal);
            }
        }
        // The htpasswd Secret reaches the server only.
        var htpasswd = Assert.Single(serverPod.Volumes, v => v.Secret is not null).Secret.SecretName;
        Assert.DoesNotContain(pods, p => p.Template.Spec.Volumes.Any(v => v.Secret?.SecretName == htpasswd));
    }

    [Theory]
    [MemberData(nameof(Trees))]
    public void Should_admit_only_the_backup_side_pods_to_the_server_and_let_the_server_connect_nowhere(string tree)
    {
        var objects = Read(tree);
        var server = Assert.Single(objects.Select(o => o.Typed).OfType<V1Deployment>());
        var policies = objects.Select(o => o.Typed).OfType<V1NetworkPolicy>().ToList();
        var serverLabels = server.Spec.Template.Metadata.Labels;
        bool Selects(V1NetworkPolicy p) => p.Metadata.NamespaceProperty == server.Metadata.NamespaceProperty
            && (p.Spec.PodSelector.MatchLabels ?? new Dictionary<string, string>()).All(kv => serverLabels.TryGetValue(kv.Key, out var v) && v == kv.Value)
            && (p.Spec.PodSelector.MatchExpressions ?? []).All(e => e.OperatorProperty == "In"
                ? serverLabels.TryGetValue(e.Key, out var v) && e.Values.Contains(v)
                : !(serverLabels.TryGetValue(e.Key, out var w) && e.Values.Contains(w)));
        var own = Assert.Single(policies, Selects);
        Assert.Equal(["Ingress", "Egress"], own.Spec.PolicyTypes);
        Assert.Null(own.Spec.Egress);
        Assert.All(own.Spec.Ingress, rule => Assert.All(rule.FromProperty, peer =>
        {
            var components = Assert.Single(peer.PodSelector.MatchExpressions);
            Assert.Equal("In", components.OperatorProperty);
            Assert.Equal(RepositoryServerPlanner.ClientComponents, components.Values);
        }));
        // Every namespace with backup pods is admitted and lets its pods reach the server.
        var backupNamespaces = NamespaceLevels.PodTemplates(objects).Where(p => Component(p.Template) == "backup").Select(p => p.Namespace).Distinct().ToList();
        Assert.Equal(backupNamespaces.Order(StringComparer.Ordinal),
            own.Spec.Ingress.SelectMany(r => r.FromProperty).Select(p => p.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]).Order(StringComparer.Ordinal));
        foreach (var ns in backupNamespaces)
            Assert.Contains(policies.Where(p => p.Metadata.NamespaceProperty == ns && p.Metadata.Name == Planner.ServiceAccountName)
                .SelectMany(p => p.Spec.Egress), rule => rule.To.Any(peer => peer.PodSelector?.MatchLabels is { } l
                    && l.All(kv => serverLabels.TryGetValue(kv.Key, out var v) && v == kv.Value)));
    }
}
