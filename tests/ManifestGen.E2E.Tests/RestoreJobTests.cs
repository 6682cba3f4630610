using System.Security.Cryptography;
using ManifestGen.PodHarness.Pods;
using ManifestGen.PodHarness.Scenarios;
using Xunit.Abstractions;
using ManifestGen.Testing;

namespace ManifestGen.E2E.Tests;

/// <summary>
/// `manifestgen restore` as an operator uses it: the printed Job, run through the pod harness (its pod is
/// the app's backup pod, so the same Secrets, mounts and job configuration), against the throwaway host.
/// </summary>
public sealed class RestoreJobTests(ITestOutputHelper output)
{
    private const string Environment = "test-cluster";

    private PodRunResult Ok(PodRunResult r, string what)
    {
        output.WriteLine($"{what}: {r}");
        Assert.True(r.Succeeded, $"{what}: {r}");
        return r;
    }

    [Fact]
    public async Task I_can_restore_one_file_and_a_whole_app_with_the_printed_restore_Job()
    {
        await using var env = await ExampleEnvironment.StartAsync(new ExampleOptions
        {
            RepositoryRoot = RepoPaths.Root,
        });
        var host = env.BackupConfig.Host!;
        var app = env.BackupConfig.App!;
        var target = $"{host.Name}/{app.Name}";
        Ok(await env.RunAsync(env.Workload(Contracts.JobKind.Init)), "init");
        Ok(await env.RunAsync(env.BackupWorkload), "backup");
        // What the snapshot holds: the app's files on the host, less the inventory's excludes (*.log here).
        var backedUp = Tree(env.HostRoot, app.Paths).Where(f => !f.Key.EndsWith(".log", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        Assert.NotEmpty(backedUp);

        // One file, back onto the host, byte for byte, from the newest snapshot taken before a point in time.
        var file = $"{app.Paths[0]}/data/app.db";
        var local = Path.Join(env.HostRoot, file);
        File.Delete(local);
        var oneFile = await env.GenerateAsync(["restore", Environment, target, "--path", file, "--to-host",
            "--at", Contracts.RestoreTime.Format(DateTimeOffset.UtcNow.AddHours(1))]);
        Assert.Contains("- --to-host", oneFile);
        // Onto the gated host with the restore key's Secret, where the backup pod mounts the backup key's.
        var backupKeySecret = KeySecret(env.Manifests.Workload(env.BackupWorkload).PodSpec);
        var printed = PodHarness.Manifests.RenderedManifests.FromYaml(oneFile);
        var restoreKeySecret = KeySecret(printed.Workload(Assert.Single(printed.Documents).Name).PodSpec);
        Assert.NotNull(backupKeySecret);
        Assert.NotNull(restoreKeySecret);
        Assert.NotEqual(backupKeySecret, restoreKeySecret);
        var job = JobName(oneFile);
        Ok(await env.RunAppliedAsync(oneFile, job), "restore one file");
        Assert.Equal(backedUp[file], Hash(local));

        // The whole app into a claim the operator created: every file, at its host path in the archive.
        const string Claim = "restore-scratch";
        var claimYaml = $"""
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: {Claim}
              namespace: {env.Manifests.Workload(env.BackupWorkload).Namespace}
            spec:
              accessModes: [ReadWriteOnce]
              resources:
                requests:
                  storage: 1Gi
            """;
        var intoClaim = await env.GenerateAsync(["restore", Environment, target, "--snapshot", "latest", "--target-claim", Claim]);
        Assert.DoesNotContain(Contracts.PodPaths.SshKeyFileName, intoClaim); // no host key: the host is not contacted
        Ok(await env.RunAppliedAsync(intoClaim + "---\n" + claimYaml, JobName(intoClaim)), "restore whole app into a claim");
        // One archive of what the host had, which tar extracts with the host's owners and types.
        var archive = Assert.Single(Directory.GetFiles(env.ClaimDirectory(Claim)));
        Assert.EndsWith(".tar", archive, StringComparison.Ordinal);
        var extracted = Path.Join(env.StateDirectory, "extracted");
        Directory.CreateDirectory(extracted);
        (await PodHarness.Processes.Proc.RunAsync("tar", ["--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", archive, "-C", extracted],
            Patience.Command)).EnsureSuccess("tar -x of the restored archive");
        Assert.Equal(backedUp, Tree(extracted, app.Paths));

        // The whole app onto a host whose data is gone (the runbook's new machine: same paths, empty).
        foreach (var path in app.Paths)
            foreach (var entry in new DirectoryInfo(Path.Join(env.HostRoot, path)).EnumerateFileSystemInfos())
                if (entry is DirectoryInfo d) d.Delete(recursive: true); else entry.Delete();
        Assert.Empty(Tree(env.HostRoot, app.Paths));
        var wholeApp = await env.GenerateAsync(["restore", Environment, target, "--to-host", "--force"]);
        Ok(await env.RunAppliedAsync(wholeApp, JobName(wholeApp)), "restore whole app onto the host");
        Assert.Equal(backedUp, Tree(env.HostRoot, app.Paths));
    }

    [Fact]
    public async Task I_can_restore_a_whole_app_larger_than_the_pods_tmp_onto_the_host_and_list_its_snapshots_with_the_printed_Jobs()
    {
        await using var env = await ExampleEnvironment.StartAsync(new ExampleOptions
        {
            RepositoryRoot = RenderedExampleTests.RepositoryRoot(),
        });
        var host = env.BackupConfig.Host!;
        var app = env.BackupConfig.App!;
        var target = $"{host.Name}/{app.Name}";
        // The pod's /tmp is an emptyDir of 1Gi; here it is 4 MiB, and the app three times that.
        const long TmpCap = 4L << 20;
        var large = Path.Join(env.HostRoot, app.Paths[0], "large");
        Directory.CreateDirectory(large);
        for (var i = 0; i < 3; i++)
        {
            var bytes = new byte[TmpCap];
            new Random(i).NextBytes(bytes);
            File.WriteAllBytes(Path.Join(large, $"part-{i}.bin"), bytes);
        }
        Ok(await env.RunAsync(env.Workload(Contracts.JobKind.Init)), "init");
        Ok(await env.RunAsync(env.BackupWorkload), "backup");
        var backedUp = Tree(env.HostRoot, app.Paths).Where(f => !f.Key.EndsWith(".log", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        Assert.True(backedUp.Count >= 3);
        foreach (var path in app.Paths)
            foreach (var entry in new DirectoryInfo(Path.Join(env.HostRoot, path)).EnumerateFileSystemInfos())
                if (entry is DirectoryInfo d) d.Delete(recursive: true); else entry.Delete();
        var caps = System.Collections.Immutable.ImmutableDictionary<string, long>.Empty.Add("tmp", TmpCap);

        var wholeApp = await env.GenerateAsync(["restore", Environment, target, "--to-host", "--force"]);
        Assert.Contains("ephemeral:", wholeApp);
        Assert.Contains(Contracts.PodPaths.RestoreStagingDir, wholeApp);
        // The Job as it was printed before it had a staging volume: staged in /tmp, it runs out of room.
        var inTmp = System.Text.RegularExpressions.Regex.Replace(wholeApp,
            $@"\n *- --staging\n *- {System.Text.RegularExpressions.Regex.Escape(Contracts.PodPaths.RestoreStagingDir)}(?=\n)", "");
        Assert.NotEqual(wholeApp, inTmp);
        var failed = await env.RunAppliedAsync(inTmp, JobName(inTmp), caps);
        output.WriteLine($"staged in /tmp: {failed}");
        Assert.False(failed.Succeeded);
        Assert.Contains("no space left on device", failed.Stderr, StringComparison.OrdinalIgnoreCase);

        // As printed: staged on the volume of the app's size, the whole app is back on the host.
        Ok(await env.RunAppliedAsync(wholeApp, JobName(wholeApp), caps), "restore whole app onto the host");
        Assert.Equal(backedUp, Tree(env.HostRoot, app.Paths));

        // The snapshots, listed in the app's own pod (no host key), as JSON in the pod's log.
        var list = await env.GenerateAsync(["restore", Environment, target, "--list"]);
        Assert.DoesNotContain(Contracts.PodPaths.SshKeyFileName, list);
        var listed = Ok(await env.RunAppliedAsync(list, JobName(list)), "list snapshots");
        using var json = System.Text.Json.JsonDocument.Parse(listed.Stdout);
        var snapshot = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(host.Name, snapshot.GetProperty("hostname").GetString());
        Assert.Contains($"app={app.Name}", snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    /// <summary>The Secret behind the pod's SSH key volume (null when it mounts none).</summary>
    private static string? KeySecret(k8s.Models.V1PodSpec pod) =>
        pod.Volumes?.FirstOrDefault(v => v.Secret?.Items?.Any(i => i.Key == Contracts.PodPaths.SshKeyFileName) == true)?.Secret.SecretName;

    private static string JobName(string yaml)
    {
        var manifests = PodHarness.Manifests.RenderedManifests.FromYaml(yaml);
        var doc = Assert.Single(manifests.Documents);
        Assert.Equal("Job", doc.Kind);
        return doc.Name;
    }

    /// <summary>host path → SHA-256 of every file below the given host paths, under <paramref name="root"/>.</summary>
    private static Dictionary<string, string> Tree(string root, IEnumerable<string> hostPaths)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var hostPath in hostPaths)
        {
            var dir = Path.Join(root, hostPath);
            if (!Directory.Exists(dir)) continue;
            foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                result[hostPath.TrimEnd('/') + "/" + Path.GetRelativePath(dir, f)] = Hash(f);
        }
        return result;
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}
