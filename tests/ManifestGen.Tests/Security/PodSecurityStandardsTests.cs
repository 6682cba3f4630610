using k8s.Models;
using ManifestGen.Diagnostics;
using ManifestGen.Rendering;
using ManifestGen.Security;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Security;

/// <summary>
/// The Pod Security Standards evaluator against cases of Kubernetes' own pod-security-admission tests
/// (policy/check_*_test.go: same check ids, reasons and details), then every rendered pod of the examples
/// and the golden cases against it.
/// </summary>
public sealed class PodSecurityStandardsTests
{
    private static V1Container C(string name, V1SecurityContext? sc = null) => new() { Name = name, Image = "x", SecurityContext = sc };

    private static V1PodSpec Spec(params V1Container[] containers) => new() { Containers = containers };

    /// <summary>(check id, pod, expected reason, expected detail); reason null means the check allows the pod.</summary>
    public static TheoryData<string, string, V1PodSpec, string?, string?> PortedCases() => new()
    {
        { "capabilities_restricted", "multiple containers", Spec(
            C("a", new() { Capabilities = new() { Add = ["FOO", "BAR"] } }),
            C("b", new() { Capabilities = new() { Add = ["BAR", "BAZ"] } }),
            C("c", new() { Capabilities = new() { Add = ["NET_BIND_SERVICE", "CHOWN"], Drop = ["ALL", "FOO"] } })),
          "unrestricted capabilities",
          "containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"a\", \"b\", \"c\" must not include \"BAR\", \"BAZ\", \"CHOWN\", \"FOO\" in securityContext.capabilities.add" },
        { "capabilities_restricted", "windows pod, admit without checking capabilities",
          new V1PodSpec { Os = new V1PodOS { Name = "windows" }, Containers = [C("a")] }, null, null },
        { "capabilities_restricted", "linux pod, reject if security context is not set",
          new V1PodSpec { Os = new V1PodOS { Name = "linux" }, Containers = [C("a")] },
          "unrestricted capabilities", "container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]" },
        { "allowPrivilegeEscalation", "multiple containers", Spec(C("a"), C("b", new()), C("c", new() { AllowPrivilegeEscalation = true }),
            C("d", new() { AllowPrivilegeEscalation = false })),
          "allowPrivilegeEscalation != false", "containers \"a\", \"b\", \"c\" must set securityContext.allowPrivilegeEscalation=false" },
        { "runAsNonRoot", "no explicit runAsNonRoot", Spec(C("a")),
          "runAsNonRoot != true", "pod or container \"a\" must set securityContext.runAsNonRoot=true" },
        { "runAsNonRoot", "pod runAsNonRoot=false",
          new V1PodSpec { SecurityContext = new() { RunAsNonRoot = false }, Containers = [C("a")] },
          "runAsNonRoot != true", "pod must not set securityContext.runAsNonRoot=false" },
        { "runAsNonRoot", "containers runAsNonRoot=false", new V1PodSpec
          {
              SecurityContext = new() { RunAsNonRoot = true },
              Containers = [C("a"), C("b", new()), C("c", new() { RunAsNonRoot = false }), C("d", new() { RunAsNonRoot = false }),
                  C("e", new() { RunAsNonRoot = true }), C("f", new() { RunAsNonRoot = true })],
          },
          "runAsNonRoot != true", "containers \"c\", \"d\" must not set securityContext.runAsNonRoot=false" },
        { "runAsNonRoot", "pod nil, container fallthrough", Spec(C("a"), C("b", new()), C("d", new() { RunAsNonRoot = true }), C("e", new() { RunAsNonRoot = true })),
          "runAsNonRoot != true", "pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true" },
        { "runAsNonRoot", "host users false allowed", new V1PodSpec { HostUsers = false, Containers = [C("a")] }, null, null },
        { "seccompProfile_restricted", "no explicit seccomp", Spec(C("a")),
          "seccompProfile", "pod or container \"a\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"" },
        { "seccompProfile_restricted", "pod seccomp invalid",
          new V1PodSpec { SecurityContext = new() { SeccompProfile = new() { Type = "Unconfined" } }, Containers = [C("a")] },
          "seccompProfile", "pod must not set securityContext.seccompProfile.type to \"Unconfined\"" },
        { "seccompProfile_restricted", "containers seccomp invalid", new V1PodSpec
          {
              SecurityContext = new() { SeccompProfile = new() { Type = "RuntimeDefault" } },
              Containers = [C("a"), C("b", new()), C("c", new() { SeccompProfile = new() { Type = "Unconfined" } }),
                  C("d", new() { SeccompProfile = new() { Type = "Unconfined" } }), C("e", new() { SeccompProfile = new() { Type = "RuntimeDefault" } })],
          },
          "seccompProfile", "containers \"c\", \"d\" must not set securityContext.seccompProfile.type to \"Unconfined\"" },
        { "privileged", "privileged", Spec(C("a"), C("b", new()), C("c", new() { Privileged = false }), C("d", new() { Privileged = true }),
            C("e", new() { Privileged = true })),
          "privileged", "containers \"d\", \"e\" must not set securityContext.privileged=true" },
        { "appArmorProfile", "unconfined container", Spec(C("foo", new() { AppArmorProfile = new() { Type = "Unconfined" } })),
          "forbidden AppArmor profile", "container \"foo\" must not set AppArmor profile type to \"Unconfined\"" },
        { "appArmorProfile", "unconfined pod", new V1PodSpec { SecurityContext = new() { AppArmorProfile = new() { Type = "Unconfined" } }, Containers = [C("a")] },
          "forbidden AppArmor profile", "pod must not set AppArmor profile type to \"Unconfined\"" },
        { "restrictedVolumes", "nfs and hostPath", new V1PodSpec
          {
              Containers = [C("a")],
              Volumes = [new() { Name = "ok", EmptyDir = new() }, new() { Name = "b", Nfs = new() { Server = "s", Path = "/p" } },
                  new() { Name = "c", HostPath = new() { Path = "/" } }],
          },
          "restricted volume types", "volumes \"b\", \"c\" use restricted volume types \"hostPath\", \"nfs\"" },
    };

    [Theory]
    [MemberData(nameof(PortedCases))]
    public void Should_judge_each_ported_case_as_pod_security_admission_does(string check, string name, V1PodSpec spec, string? reason, string? detail)
    {
        var findings = PodSecurityStandards.Evaluate(PodSecurityLevel.Restricted, null, spec).Where(f => f.CheckId == check).ToList();
        if (reason is null)
        {
            Assert.True(findings.Count == 0, $"{name}: {string.Join("; ", findings)}");
            return;
        }
        var finding = Assert.Single(findings);
        Assert.Equal(reason, finding.Reason);
        Assert.Equal(detail, finding.Detail);
    }

    [Fact]
    public void Should_replace_the_baseline_checks_a_restricted_check_overrides()
    {
        var spec = Spec(C("a", new() { Capabilities = new() { Add = ["SYS_ADMIN"] } }));
        var restricted = PodSecurityStandards.Evaluate(PodSecurityLevel.Restricted, null, spec).Select(f => f.CheckId).ToList();
        Assert.Contains("capabilities_restricted", restricted);
        Assert.DoesNotContain("capabilities_baseline", restricted);
        var baseline = Assert.Single(PodSecurityStandards.Evaluate(PodSecurityLevel.Baseline, null, spec));
        Assert.Equal("non-default capabilities", baseline.Reason);
        Assert.Equal(PodSecurityLevel.Privileged, PodSecurityStandards.StrictestLevel(null, spec));
        Assert.Equal(PodSecurityLevel.Baseline, PodSecurityStandards.StrictestLevel(null, Spec(C("a"))));
    }

    /// <summary>Every committed rendered tree: out/ and the golden trees under tests/snapshots/.</summary>
    public static TheoryData<string> RenderedTrees()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(RepoPaths.Out).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(RepoPaths.Root, Path.Combine(dir, "manifests")));
        foreach (var golden in new[] { "examples", "cases" })
            foreach (var dir in Directory.EnumerateDirectories(Path.Combine(RepoPaths.Snapshots, golden), "manifests", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(RepoPaths.Root, dir));
        return data;
    }

    private static List<RenderedObject> Read(string tree) => RenderedTree.Read(tree);

    [Theory]
    [MemberData(nameof(RenderedTrees))]
    public void Should_render_every_pod_restricted_except_sshfs_in_its_own_namespace_and_label_each_namespace_with_its_level(string tree)
    {
        var objects = Read(tree);
        var pods = NamespaceLevels.PodTemplates(objects).ToList();
        Assert.NotEmpty(pods);
        foreach (var (ns, name, template) in pods)
        {
            var findings = PodSecurityStandards.Evaluate(PodSecurityLevel.Restricted, template.Metadata, template.Spec);
            var sshfs = template.Spec.Containers.Any(c => c.SecurityContext?.Privileged == true ||
                (c.SecurityContext?.Capabilities?.Add ?? []).Contains("SYS_ADMIN"));
            if (sshfs)
                Assert.True(ns!.EndsWith("-sshfs", StringComparison.Ordinal), $"{tree}: sshfs pod {name} is in namespace {ns}, not its own");
            else
                Assert.True(findings.IsEmpty, $"{tree}: {name} is not restricted: {string.Join("; ", findings)}");
        }
        foreach (var ns in objects.Where(o => o.Typed is V1Namespace).Select(o => (V1Namespace)o.Typed))
        {
            var expected = PodSecurityStandards.LabelValue(pods.Where(p => p.Namespace == ns.Metadata.Name)
                .Select(p => PodSecurityStandards.StrictestLevel(p.Template.Metadata, p.Template.Spec)).DefaultIfEmpty(PodSecurityLevel.Restricted).Min());
            foreach (var mode in NamespaceLevels.Modes)
            {
                Assert.Equal(expected, ns.Metadata.Labels[$"pod-security.kubernetes.io/{mode}"]);
                Assert.Equal(NamespaceLevels.Version, ns.Metadata.Labels[$"pod-security.kubernetes.io/{mode}-version"]);
            }
        }
    }
}
