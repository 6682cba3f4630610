using ManifestGen.PodHarness.Manifests;
using ManifestGen.PodHarness.Pods;
using static ManifestGen.E2E.Tests.TestSupport;
using ManifestGen.Testing;

namespace ManifestGen.E2E.Tests;

/// <summary>
/// Pods made wrong on purpose fail in the runner image under runc as a cluster fails them; each test also
/// runs the corrected pod, so it is the one change that makes the difference, not the harness.
/// </summary>
public sealed class WrongPodTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static RenderedManifests Pod(string script, string securityContext = "allowPrivilegeEscalation: false",
        string podSecurity = "runAsNonRoot: true", string? command = null, string resources = "{}") =>
        RenderedManifests.FromYaml(PodYaml(script, securityContext, podSecurity, command, resources), "wrong-pod-cronjob.yaml");

    private static string PodYaml(string script, string securityContext = "allowPrivilegeEscalation: false",
        string podSecurity = "runAsNonRoot: true", string? command = null, string resources = "{}")
    {
        var yaml = File.ReadAllText(Fixture("wrong-pod-cronjob.yaml"))
            .Replace("\"SCRIPT\"", System.Text.Json.JsonSerializer.Serialize(script), StringComparison.Ordinal)
            .Replace("SECURITY_CONTEXT: x", securityContext, StringComparison.Ordinal)
            .Replace("POD_SECURITY: x", podSecurity, StringComparison.Ordinal)
            .Replace("resources: {}", "resources: " + resources, StringComparison.Ordinal);
        if (command is not null) yaml = yaml.Replace("[\"/bin/sh\", \"-c\"]", command, StringComparison.Ordinal);
        return yaml;
    }

    private Task<PodRunResult> Run(RenderedManifests manifests) => new PodRunner(manifests, Options(_tmp)).RunAsync("wrong");

    [Fact]
    public async Task Should_fail_when_the_command_is_not_in_the_image()
    {
        var missing = await Run(Pod("", command: "[\"/usr/bin/kubectl\"]"));
        var present = await Run(Pod("", command: "[\"/usr/bin/rsync\", \"--version\"]"));

        Assert.False(missing.Succeeded, missing.ToString());
        Assert.Contains("/usr/bin/kubectl", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("no such file or directory", missing.Stderr, StringComparison.Ordinal);
        Assert.True(present.Succeeded, present.ToString());
    }

    [Fact]
    public async Task Should_deny_a_non_root_user_a_0400_secret_without_fsGroup()
    {
        const string read = "cat /var/run/secrets/wrong/key";

        var withoutFsGroup = await Run(Pod(read, podSecurity: "runAsUser: 1000"));
        var withFsGroup = await Run(Pod(read, podSecurity: "runAsUser: 1000\n            fsGroup: 1000"));

        Assert.False(withoutFsGroup.Succeeded, withoutFsGroup.ToString());
        Assert.Contains("Permission denied", withoutFsGroup.Stderr, StringComparison.Ordinal);
        Assert.True(withFsGroup.Succeeded, withFsGroup.ToString());
        Assert.Equal("not-for-everyone\n", withFsGroup.Stdout);
    }

    [Fact]
    public async Task Should_fail_an_operation_whose_capability_is_dropped()
    {
        const string chown = "touch /tmp/f && chown 1234 /tmp/f && echo owned";

        var dropped = await Run(Pod(chown, "capabilities:\n                  drop: [CHOWN]", podSecurity: "runAsUser: 0"));
        var kept = await Run(Pod(chown, "capabilities:\n                  drop: [ALL]\n                  add: [CHOWN]", podSecurity: "runAsUser: 0"));

        Assert.False(dropped.Succeeded, dropped.ToString());
        Assert.Contains("Operation not permitted", dropped.Stderr, StringComparison.Ordinal);
        Assert.True(kept.Succeeded, kept.ToString());
    }

    [Fact]
    public async Task Should_give_a_non_root_process_none_of_the_added_capabilities()
    {
        const string caps = "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status | tr -s '\\t' ' '";

        var r = await Run(Pod(caps, "capabilities:\n                  drop: [ALL]\n                  add: [CHOWN, SYS_ADMIN]", podSecurity: "runAsUser: 1000"));

        Assert.True(r.Succeeded, r.ToString());
        Assert.Contains("CapEff: 0000000000000000", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapPrm: 0000000000000000", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapAmb: 0000000000000000", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapBnd: 0000000000200001", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_block_a_syscall_the_runtime_default_seccomp_profile_refuses()
    {
        const string unshare = "unshare --user --map-root-user true && echo unshared";

        var runtimeDefault = await Run(Pod(unshare, podSecurity: "runAsUser: 1000"));
        var unconfined = await Run(Pod(unshare, "seccompProfile:\n                  type: Unconfined", podSecurity: "runAsUser: 1000"));

        Assert.False(runtimeDefault.Succeeded, runtimeDefault.ToString());
        Assert.Contains("Operation not permitted", runtimeDefault.Stderr, StringComparison.Ordinal);
        Assert.True(unconfined.Succeeded, unconfined.ToString());
    }

    [Fact]
    public async Task Should_refuse_a_write_to_a_read_only_root_but_not_to_a_volume()
    {
        const string write = "touch /tmp/ok && touch /etc/not-ok";

        var readOnly = await Run(Pod(write, "readOnlyRootFilesystem: true", podSecurity: "runAsUser: 0"));
        var writable = await Run(Pod(write, "readOnlyRootFilesystem: false", podSecurity: "runAsUser: 0"));

        Assert.False(readOnly.Succeeded, readOnly.ToString());
        Assert.Contains("Read-only file system", readOnly.Stderr, StringComparison.Ordinal);
        Assert.True(writable.Succeeded, writable.ToString());
    }

    [Fact]
    public async Task Should_kill_a_pod_that_exceeds_its_memory_limit()
    {
        // 20 MiB held in memory at once (a shell variable) against an 8 MiB limit, then within the limit.
        const string hog = "x=$(head -c 20971520 /dev/zero | tr '\\0' a); echo ${#x}";
        const string limit = "\n                limits:\n                  memory: 8Mi";

        var over = await Run(Pod(hog, resources: limit));
        var within = await Run(Pod(hog, resources: limit.Replace("8Mi", "256Mi", StringComparison.Ordinal)));

        Assert.False(over.Succeeded, over.ToString());
        Assert.Equal(137, over.ExitCode); // SIGKILL from the kernel's OOM killer in the pod's memory cgroup
        Assert.True(within.Succeeded, within.ToString());
        Assert.Equal("20971520\n", within.Stdout);
    }

    [Fact]
    public async Task Should_give_no_fsGroup_access_to_an_nfs_claim_another_user_created()
    {
        static RenderedManifests WithClaim(string source, string podSecurity) => RenderedManifests.FromYaml(
            PodYaml("touch /repo/written-$(id -u) && echo written", podSecurity: podSecurity)
                .Replace("          volumes:\n", "                - name: repo\n                  mountPath: /repo\n          volumes:\n" +
                         "            - name: repo\n              persistentVolumeClaim:\n                claimName: wrong-claim\n", StringComparison.Ordinal) +
            $$$"""
            ---
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: wrong-pv}
            spec:
              capacity: {storage: 1Gi}
              accessModes: [ReadWriteOnce]
              storageClassName: manual
              {{{source}}}
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: wrong-claim, namespace: wrong}
            spec:
              accessModes: [ReadWriteOnce]
              storageClassName: manual
              volumeName: wrong-pv
              resources: {requests: {storage: 1Gi}}
            """, "wrong-pod-cronjob.yaml");
        const string creator = "runAsUser: 1000\n            runAsGroup: 1000";
        const string other = "runAsUser: 2000\n            runAsGroup: 2000\n            fsGroup: 2000";
        const string nfs = "nfs: {server: 192.0.2.1, path: /export/restic}";
        const string local = "local: {path: /var/lib/restic}";

        using var localState = new TempDir();
        var nfsCreator = await Run(WithClaim(nfs, creator));
        var nfsOther = await Run(WithClaim(nfs, other));
        var localCreator = await new PodRunner(WithClaim(local, creator), Options(localState)).RunAsync("wrong");
        var localOther = await new PodRunner(WithClaim(local, other), Options(localState)).RunAsync("wrong");

        // The kubelet changes no ownership on NFS: the folder stays its creator's, fsGroup or not.
        Assert.True(nfsCreator.Succeeded, nfsCreator.ToString());
        Assert.False(nfsOther.Succeeded, nfsOther.ToString());
        Assert.Contains("Permission denied", nfsOther.Stderr, StringComparison.Ordinal);
        Assert.Contains(nfsOther.NotReproduced, n => n.Contains("applies no fsGroup to nfs", StringComparison.Ordinal));
        // A local volume's root is root's: without fsGroup a non-root user cannot write; with it, the kubelet's
        // ownership change gives the group write access.
        Assert.False(localCreator.Succeeded, localCreator.ToString());
        Assert.True(localOther.Succeeded, localOther.ToString());
    }
}
