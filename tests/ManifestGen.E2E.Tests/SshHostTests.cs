using ManifestGen.Contracts;
using System.Collections.Immutable;
using ManifestGen.PodHarness;
using ManifestGen.PodHarness.Hosts;
using ManifestGen.PodHarness.Manifests;
using ManifestGen.PodHarness.Pods;
using ManifestGen.PodHarness.Processes;
using ManifestGen.PodHarness.Sandbox;
using static ManifestGen.E2E.Tests.TestSupport;

namespace ManifestGen.E2E.Tests;

/// <summary>The throwaway SSH host: isolated in its own network namespace, reachable from a pod that joins it.</summary>
public sealed class SshHostTests : IDisposable
{
    private readonly Testing.TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static async Task<string> Ip(params string[] args) =>
        (await Proc.RunAsync("/usr/sbin/ip", args, ManifestGen.Testing.Patience.Command)).EnsureSuccess("ip").Stdout;

    [Fact]
    public async Task I_can_reach_the_host_from_a_pod_in_its_namespace_at_an_address_that_exists_only_there()
    {
        var data = Directory.CreateDirectory(_tmp.Combine("data")).FullName;
        await File.WriteAllTextAsync(Path.Combine(data, "hello.txt"), "from the host\n");
        string ns;
        await using (var host = await NetnsSshHost.StartAsync(new NetnsSshHostOptions
        {
            Address = "192.168.122.10",
            Mounts = [new SandboxMount(data, "/srv/sample", ReadOnly: true, IsFile: false)],
        }))
        {
            ns = host.Namespace;
            // Only a loopback interface and no route anywhere: nothing sent to the address can leave.
            var links = (await Ip("-n", ns, "-o", "link", "show")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(links);
            Assert.Contains(": lo:", links[0], StringComparison.Ordinal);
            Assert.DoesNotContain("default", await Ip("-n", ns, "route", "show", "table", "all"), StringComparison.Ordinal);

            var manifests = RenderedManifests.FromYaml(SshPodYaml(host.HostPublicKey), "ssh-pod.yaml");
            var options = Options(_tmp, ("ssh-key", Keys(("ssh-privatekey", await File.ReadAllTextAsync(host.IdentityFile))))) with
            {
                NetworkNamespace = ns,
            };
            var r = await new PodRunner(manifests, options).RunAsync("ssh-probe");

            Assert.True(r.Succeeded, r.ToString());
            Assert.Equal("from the host\n", r.Stdout);
        }
        // Disposed: the namespace and its sshd are gone.
        Assert.False(File.Exists($"/run/netns/{ns}"));
    }

    [Fact]
    public async Task Should_refuse_a_host_whose_key_is_not_the_pinned_one()
    {
        await using var host = await NetnsSshHost.StartAsync(new NetnsSshHostOptions { Address = "127.0.0.1" });
        var manifests = RenderedManifests.FromYaml(
            SshPodYaml("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDmBPcY1YKncj5ejvP4j2zCeX6qugKt6DA5lYd/7NkBf", "127.0.0.1"), "ssh-pod.yaml");
        var options = Options(_tmp, ("ssh-key", Keys(("ssh-privatekey", await File.ReadAllTextAsync(host.IdentityFile))))) with
        {
            NetworkNamespace = host.Namespace,
        };

        var r = await new PodRunner(manifests, options).RunAsync("ssh-probe");

        Assert.False(r.Succeeded);
        Assert.Contains("Host key verification failed", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task I_can_run_the_production_prepare_job_as_the_pods_user_and_it_creates_the_repository_folder_it_then_owns()
    {
        var manifests = RenderedManifests.Load(Path.Combine(Testing.RepoPaths.Root, "out", "production", "manifests"));
        var options = Options(_tmp);

        var r = await new PodRunner(manifests, options).RunAsync("restic-prepare");

        Assert.True(r.Succeeded, r.Stderr);
        // The export root reaches the Job as the claim restic-export; the repository folder is restic/production below it.
        var created = Path.Combine(options.StateDirectory, "claims", "restic-export", "restic", "production");
        Assert.True(Directory.Exists(created), created);
        var owner = await ManifestGen.PodHarness.Processes.Proc.RunAsync("stat", ["-c", "%u:%g", created], ManifestGen.Testing.Patience.Command);
        Assert.Equal($"{PodIdentity.RunnerUid}:{PodIdentity.RunnerGid}", owner.Stdout.Trim());
    }

    private static string SshPodYaml(string hostKey, string address = "192.168.122.10") => $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: known-hosts
          namespace: t
        data:
          known_hosts: "{{address}} {{hostKey}}\n"
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: ssh-probe
          namespace: t
        spec:
          template:
            spec:
              restartPolicy: Never
              securityContext:
                runAsUser: 0          # the key Secret is 0400 root's, without fsGroup (the image's user could not read it)
              containers:
                - name: ssh
                  image: registry.invalid/ssh:1
                  command: ["ssh"]
                  args: ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                         "-o", "UserKnownHostsFile=/etc/ssh-test/known_hosts", "-o", "ConnectTimeout=10",
                         "-i", "/var/run/secrets/ssh/ssh-privatekey", "root@{{address}}", "cat /srv/sample/hello.txt"]
                  env:
                    - name: HOME
                      value: /tmp
                  volumeMounts:
                    - name: known-hosts
                      mountPath: /etc/ssh-test
                      readOnly: true
                    - name: key
                      mountPath: /var/run/secrets/ssh
                      readOnly: true
                    - name: tmp
                      mountPath: /tmp
              volumes:
                - name: known-hosts
                  configMap:
                    name: known-hosts
                - name: key
                  secret:
                    secretName: ssh-key
                    defaultMode: 0400
                - name: tmp
                  emptyDir: {}
        """;
}
