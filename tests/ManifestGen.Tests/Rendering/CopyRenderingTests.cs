using k8s.Models;
using ManifestGen.Contracts;
using ManifestGen.Planning;
using ManifestGen.Security;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// The offsite copies as rendered for the focused case offsite-copies (a REST copy and an S3 copy of a
/// primary behind the REST server, two hosts): who mounts a copy's Secrets, who may reach its location,
/// which repository each copy job reads and writes. The golden tree pins the bytes; these say what they mean.
/// </summary>
public sealed class CopyRenderingTests
{
    private const string Tree = "tests/snapshots/cases/offsite-copies/out/manifests";
    private static readonly string[] CopySecrets = ["offsite-password", "offsite-access", "cold-password", "cold-s3"];

    private static string Label(V1PodTemplateSpec t, string key) => t.Metadata.Labels.TryGetValue(key, out var v) ? v : "";

    [Fact]
    public void Should_mount_a_copys_Secrets_only_in_that_copys_copy_and_check_pods()
    {
        var objects = RenderedTree.Read(Tree);
        var pods = NamespaceLevels.PodTemplates(objects).ToList();
        Assert.Equal(8, pods.Count(p => Label(p.Template, "manifestgen.io/copy").Length > 0));
        foreach (var (_, name, template) in pods)
        {
            var copy = Label(template, "manifestgen.io/copy");
            var mounted = template.Spec.Volumes.Where(v => v.Secret is not null).Select(v => v.Secret.SecretName).Where(CopySecrets.Contains).ToList();
            if (copy.Length == 0)
                Assert.True(mounted.Count == 0, $"{name} mounts {string.Join(", ", mounted)}");
            else
            {
                Assert.Contains(Label(template, "app.kubernetes.io/component"), new[] { CopyPlanner.Component, CopyPlanner.CheckComponent });
                Assert.Equal(2, mounted.Count);
                Assert.All(mounted, secret => Assert.StartsWith(copy + "-", secret, StringComparison.Ordinal));
                Assert.Empty(PodSecurityStandards.Evaluate(PodSecurityLevel.Restricted, template.Metadata, template.Spec));
                // The copy reads the primary (its volume and password); the copy's check opens only the copy, so
                // a compromised check pod can neither read nor delete the primary's backups.
                var primary = template.Spec.Volumes.Any(v => v.Secret?.SecretName == "restic-password") ||
                              template.Spec.Volumes.Any(v => v.PersistentVolumeClaim is not null);
                Assert.True(primary == (Label(template, "app.kubernetes.io/component") == CopyPlanner.Component),
                    $"{name}: mounts of the primary repository: {string.Join(", ", template.Spec.Volumes.Select(v => v.Name))}");
            }
        }
    }

    [Fact]
    public void Should_let_only_a_copys_pods_reach_its_location()
    {
        var policies = RenderedTree.Read(Tree).Select(o => o.Typed).OfType<V1NetworkPolicy>().ToList();
        string[] locations = ["203.0.113.20/32", "198.51.100.128/25"];
        foreach (var policy in policies)
        {
            var cidrs = (policy.Spec.Egress ?? []).SelectMany(r => r.To ?? []).Select(p => p.IpBlock?.Cidr).OfType<string>().ToList();
            var reaches = cidrs.Intersect(locations).ToList();
            if (reaches.Count == 0)
                continue;
            Assert.Single(reaches);
            var copy = Assert.Single(policy.Spec.PodSelector.MatchLabels).Value;
            Assert.Equal(reaches[0] == locations[0] ? "offsite" : "cold", copy);
        }
        Assert.Equal(2, policies.Count(p => p.Spec.PodSelector.MatchLabels?.ContainsKey("manifestgen.io/copy") == true));
    }

    [Fact]
    public void Should_copy_each_hosts_repository_into_that_hosts_folder_of_the_copy()
    {
        var configs = RenderedTree.Read(Tree).Select(o => o.Typed).OfType<V1ConfigMap>()
            .Where(c => c.Metadata.Name.StartsWith("copy-", StringComparison.Ordinal))
            .Select(c => JobConfigJson.Deserialize(c.Data[PodPaths.JobConfigFileName], c.Metadata.Name)).ToList();
        Assert.Equal(8, configs.Count);
        foreach (var config in configs)
        {
            var host = config.Repository.Location[(PodPaths.RepositoryMount.Length + 1)..];
            Assert.Contains(host, new[] { "app-01", "app-02" });
            var copy = Assert.Single(config.Copies!.Value);
            Assert.EndsWith("/" + host + (copy.Name == "offsite" ? "/" : ""), copy.Repository.Location, StringComparison.Ordinal);
            Assert.Equal(copy.Name == "offsite", copy.AppendOnly);
            Assert.NotEqual(config.Repository.PasswordFile, copy.Repository.PasswordFile);
            Assert.Null(copy.Repository.RestUsername);
        }
    }

    [Fact]
    public void Should_render_an_append_only_copys_forget_and_prune_only_as_runbooks_outside_the_synced_manifests()
    {
        Assert.DoesNotContain(RenderedTree.Read(Tree).Select(o => o.Typed).OfType<V1Job>(), j => j.Metadata.Name.Contains("prune", StringComparison.Ordinal));
        var runbooks = RenderedTree.Read("tests/snapshots/cases/offsite-copies/out/runbooks").Select(o => o.Typed).OfType<V1Job>().ToList();
        // Only the append-only REST copy has them (one per host's folder); the S3 copy is warned about instead.
        Assert.Equal(["copy-offsite-prune-app-01", "copy-offsite-prune-app-02"], runbooks.Select(j => j.Metadata.Name).Order(StringComparer.Ordinal));
        foreach (var job in runbooks)
        {
            var pod = job.Spec.Template.Spec;
            Assert.Equal(["offsite-owner"], pod.Volumes.Where(v => v.Secret is not null).Select(v => v.Secret.SecretName));
            Assert.Equal(["restic"], pod.Containers[0].Command);
            Assert.Equal("--prune", pod.Containers[0].Args[^1]);
            Assert.Contains("--keep-monthly", pod.Containers[0].Args);
            Assert.Empty(PodSecurityStandards.Evaluate(PodSecurityLevel.Restricted, job.Spec.Template.Metadata, pod));
        }
    }
}
