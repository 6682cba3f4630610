using ManifestGen.PodHarness;
using ManifestGen.PodHarness.Pods;
using static ManifestGen.E2E.Tests.TestSupport;
using ManifestGen.Testing;

namespace ManifestGen.E2E.Tests;

/// <summary>The harness against a hand-written CronJob: each reproduced pod feature, and loud failures.</summary>
public sealed class PodHarnessTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly (string, System.Collections.Immutable.ImmutableDictionary<string, byte[]>) ProbeSecret =
        ("probe-secret", Keys(("token", "s3cret-token"), ("ssh-privatekey", "-----BEGIN TEST KEY-----\n")));

    public void Dispose() => _tmp.Dispose();

    private Task<PodRunResult> RunProbe(PodHarness.Manifests.RenderedManifests? manifests = null, PodRunOptions? options = null) =>
        new PodRunner(manifests ?? LoadFixture("probe-cronjob.yaml"), options ?? Options(_tmp, ProbeSecret)).RunAsync("probe");

    [Fact]
    public async Task I_can_run_a_cronjob_container_with_its_mounts_environment_and_arguments_as_written()
    {
        var result = await RunProbe();

        Assert.True(result.Succeeded, result.ToString());
        var r = Report(result.Stdout);
        Assert.Equal("{\"hello\":\"world\"}", r["config"]);
        Assert.Equal("job.json ", r["items"]);                       // only the listed item
        Assert.Equal("hi from a ConfigMap", r["subpath"]);            // subPath picks one key as a file
        Assert.Equal("plain-value", r["env_plain"]);
        Assert.Equal("x-plain-value-$(PLAIN)-$(UNDEFINED)", r["env_expanded"]);
        Assert.Equal("s3cret-token", r["env_secret"]);
        Assert.Equal("hi from a ConfigMap", r["env_config"]);
        Assert.Equal($"{result.PodName}/probe", r["env_pod"]);
        Assert.Equal("plain-value-arg", r["arg"]);                   // $(VAR) in args is expanded
        Assert.Equal("/state", r["pwd"]);
        Assert.Equal(result.PodName, r["hostname"]);
        Assert.StartsWith("probe-", result.PodName, StringComparison.Ordinal);
        Assert.Equal("sh", r["pid1"]);                                // the container's process is PID 1
        Assert.Equal("hidden", r["work"]);                            // this checkout is not visible in the pod
        Assert.Equal("0", r["env_count_harness"]);
        // Mount points were made inside the pod's root only, never on this machine (/var/run is a symlink to /run).
        foreach (var path in new[] { "/etc/probe", "/etc/greeting.txt", "/var/run/secrets/probe", "/state", "/scratch" })
            Assert.False(Path.Exists(path), $"{path} leaked onto the machine");
    }

    [Fact]
    public async Task Should_apply_the_manifest_file_modes_and_fsGroup_to_secret_files()
    {
        var result = await RunProbe();
        var r = Report(result.Stdout);

        Assert.True(result.Succeeded, result.ToString());
        // mode 0400 / defaultMode 0440, each with group read added and group fsGroup, as the kubelet does.
        Assert.Equal("440 2345", r["keymode"]);
        Assert.Equal("440", r["pwmode"]);
    }

    [Fact]
    public async Task Should_run_with_the_user_groups_and_capabilities_the_spec_names()
    {
        var r = Report((await RunProbe()).Stdout);

        Assert.Equal("0:0:0,2345", r["id"]);
        Assert.Equal("0000000000000003", r["caps"]);                 // drop ALL, add CHOWN + DAC_OVERRIDE
        Assert.Equal("1", r["nnp"]);                                  // allowPrivilegeEscalation: false
    }

    [Fact]
    public async Task Should_give_a_non_root_user_fsGroup_access_to_secret_files_and_claims()
    {
        var manifests = LoadFixture("probe-cronjob.yaml", "                runAsUser: 0\n", "                runAsUser: 1000\n");

        var result = await RunProbe(manifests);
        var r = Report(result.Stdout);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("1000:0:0,2345", r["id"]);
        Assert.Equal("-----", r["keyread"]);                          // 0400 + fsGroup read, as the kubelet sets it
        Assert.Single(File.ReadAllLines(_tmp.Combine("state", "claims", "probe-state", "runs")));
    }

    [Fact]
    public async Task Should_make_the_root_and_configmap_mounts_read_only_but_not_writable_volumes()
    {
        var r = Report((await RunProbe()).Stdout);

        Assert.Equal("readonly", r["rootfs"]);
        Assert.Equal("readonly", r["configmount"]);
        Assert.Equal("writable", r["tmp"]);
    }

    [Fact]
    public async Task Should_keep_claim_data_between_runs_and_give_a_fresh_emptyDir_each_run()
    {
        var first = Report((await RunProbe()).Stdout);
        var second = await RunProbe();
        var r = Report(second.Stdout);

        Assert.Equal("0", first["runs"]);
        Assert.Equal("1", r["runs"]);
        Assert.Equal("0", r["scratch_before"]);
        Assert.Equal(2, File.ReadAllLines(_tmp.Combine("state", "claims", "probe-state", "runs")).Length);
        Assert.NotEqual(first["hostname"], r["hostname"]);            // a new pod, a new hostname
    }

    [Fact]
    public async Task Should_list_what_it_does_not_reproduce()
    {
        var result = await RunProbe();

        Assert.Contains(result.NotReproduced, n => n.Contains("image 'registry.invalid/probe:1' is not pulled", StringComparison.Ordinal));
        Assert.Contains(result.NotReproduced, n => n.StartsWith("network:", StringComparison.Ordinal));
        Assert.Contains(result.NotReproduced, n => n.StartsWith("claim 'probe-state'", StringComparison.Ordinal));
        Assert.DoesNotContain(result.NotReproduced, n => n.Contains("seccomp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_stop_the_pod_at_its_active_deadline()
    {
        var yaml = File.ReadAllText(Fixture("probe-cronjob.yaml"))
            .Replace("activeDeadlineSeconds: 120", "activeDeadlineSeconds: 2", StringComparison.Ordinal)
            .Replace("                  set -u\n", "                  sleep 3600\n", StringComparison.Ordinal)
            // A shell as PID 1 ignores SIGTERM, as in a container: the kubelet's SIGKILL follows the grace period.
            .Replace("          restartPolicy: Never\n", "          restartPolicy: Never\n          terminationGracePeriodSeconds: 3\n", StringComparison.Ordinal);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        var result = await RunProbe(PodHarness.Manifests.RenderedManifests.FromYaml(yaml));

        Assert.True(result.TimedOut, result.ToString());
        Assert.False(result.Succeeded);
        // The pod sleeps an hour: ended in a fraction of that, the deadline stopped it (a loaded machine stretches
        // the 2 s deadline and 3 s grace by the pod's start, never to half an hour).
        Assert.True(sw.Elapsed < TimeSpan.FromMinutes(30), $"took {sw.Elapsed}");
    }

    [Theory]
    [InlineData("              emptyDir: {}\n            - name: tmp", "              hostPath:\n                path: /var/tmp\n            - name: tmp", "volumes[4].hostPath: field not supported")]
    [InlineData("          restartPolicy: Never\n", "          restartPolicy: Never\n          initContainers:\n            - name: init\n              image: x\n", "initContainers: field not supported")]
    [InlineData("              workingDir: /state\n", "              workingDir: /state\n              livenessProbe:\n                exec:\n                  command: [\"true\"]\n", "livenessProbe: field not supported")]
    [InlineData("                  mountPath: /scratch\n", "                  mountPath: /scratch\n                  mountPropagation: Bidirectional\n", "mountPropagation: 'Bidirectional' is not supported")]
    [InlineData("                  fieldPath: metadata.namespace", "                  fieldPath: status.podIP", "field 'status.podIP' is not supported")]
    public async Task Should_fail_loudly_on_what_it_cannot_honour(string find, string replace, string expected)
    {
        var ex = await Assert.ThrowsAsync<HarnessException>(() => RunProbe(LoadFixture("probe-cronjob.yaml", find, replace)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("CronJob/probe", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_a_misspelt_field_when_parsing_the_manifest()
    {
        var ex = Assert.Throws<HarnessException>(() => LoadFixture("probe-cronjob.yaml", "              volumeMounts:\n", "              volumeMount:\n"));

        Assert.Contains("document 3 (CronJob)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_when_a_referenced_secret_is_neither_rendered_nor_supplied()
    {
        var ex = await Assert.ThrowsAsync<HarnessException>(() => RunProbe(options: Options(_tmp)));

        Assert.Contains("Secret 'probe-secret' is referenced but neither rendered nor supplied", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_when_a_supplied_secret_lacks_a_key_the_manifest_names()
    {
        var partial = ("probe-secret", Keys(("token", "t")));

        var ex = await Assert.ThrowsAsync<HarnessException>(() => RunProbe(options: Options(_tmp, partial)));

        Assert.Contains("has no key 'ssh-privatekey'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_when_a_mounted_claim_is_not_rendered()
    {
        var manifests = LoadFixture("probe-cronjob.yaml", "claimName: probe-state", "claimName: probe-stat");

        var ex = await Assert.ThrowsAsync<HarnessException>(() => RunProbe(manifests));

        Assert.Contains("claim 'probe-stat' is not in the rendered manifests", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_expand_variables_as_kubernetes_does()
    {
        var vars = new Dictionary<string, string> { ["A"] = "1", ["B"] = "two" };

        Assert.Equal("1-two", EnvExpansion.Expand("$(A)-$(B)", vars));
        Assert.Equal("$(A)", EnvExpansion.Expand("$$(A)", vars));
        Assert.Equal("$(C) $", EnvExpansion.Expand("$(C) $", vars));
        Assert.Equal("x$(A", EnvExpansion.Expand("x$(A", vars));
        Assert.Equal("$1", EnvExpansion.Expand("$1", vars));
    }
}
