using System.Text.Json;
using k8s;
using k8s.Models;
using ManifestGen.Contracts;
using ManifestGen.PodHarness.Pods;
using ManifestGen.PodHarness.Scenarios;
using Xunit.Abstractions;
using ManifestGen.Testing;

namespace ManifestGen.E2E.Tests;

/// <summary>
/// The test-cluster example's append-only repository, pod by pod in the runner image: the rendered REST
/// server Deployment runs (restic-rest-server --append-only --private-repos over the repository claim),
/// the rendered backup CronJob backs up through it with its host's credential, that credential cannot
/// delete a snapshot, and the rendered forget/prune CronJob (which mounts the claim) can.
/// </summary>
public sealed class AppendOnlyServerTests(ITestOutputHelper output)
{
    private const string RefusedJob = "forget-with-backup-credential";

    private PodRunResult Ok(PodRunResult r, string what)
    {
        output.WriteLine($"{what}: {r}");
        Assert.True(r.Succeeded, $"{what}: {r}");
        return r;
    }

    [Fact]
    public async Task A_backup_pod_adds_snapshots_through_the_server_cannot_forget_them_and_the_maintenance_job_forgets_and_prunes()
    {
        await using var env = await ExampleEnvironment.StartAsync(new ExampleOptions
        {
            RepositoryRoot = RepoPaths.Root,
        });
        var server = Assert.Single(env.Servers);
        var host = env.BackupConfig.Host!.Name;
        var repository = env.BackupConfig.Repository;
        Assert.StartsWith("rest:http://", repository.Location, StringComparison.Ordinal);
        Assert.Equal(host, repository.RestUsername);
        // The backup pod reaches the server only: it does not mount the repository volume.
        var maintain = env.Workload(JobKind.Maintain);
        var claim = Assert.Single(env.Manifests.Workload(maintain).PodSpec.Volumes, v => v.PersistentVolumeClaim is not null && v.Name == "repository")
            .PersistentVolumeClaim.ClaimName;
        Assert.DoesNotContain(env.Manifests.Workload(env.BackupWorkload).PodSpec.Volumes, v => v.PersistentVolumeClaim?.ClaimName == claim);

        // The host's repository (the init Job mounts the volume), then five backups through the server.
        Ok(await env.RunAsync(env.Workload(JobKind.Init)), "init");
        var changed = Path.Join(env.HostRoot, env.BackupConfig.App!.Paths[0], "config.yaml");
        for (var i = 1; i <= 5; i++)
        {
            await File.AppendAllTextAsync(changed, $"# run {i}\n");
            Ok(await env.RunAsync(env.BackupWorkload), $"backup {i}");
        }
        // With --private-repos the host's repository is the server's folder of that user, on the claim.
        var snapshotsOnVolume = Path.Combine(env.ClaimDirectory(claim), host, "snapshots");
        Assert.Equal(5, Directory.GetFiles(snapshotsOnVolume).Length);
        var before = await SnapshotIdsAsync(env);
        Assert.Equal(5, before.Count);

        // The backup pod's credential cannot delete: the runner's forget, in the backup's pod with its
        // Secrets, against its repository, is refused by the server and every snapshot remains.
        var refused = await env.RunAppliedAsync(ForgetWithBackupCredential(env, maintain), RefusedJob);
        output.WriteLine($"forget with the backup credential: {refused}");
        Assert.False(refused.Succeeded, refused.ToString());
        Assert.Contains("refused the deletion", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotIdsAsync(env));
        Assert.Equal(5, Directory.GetFiles(snapshotsOnVolume).Length);

        // The maintenance job mounts the volume: retention (last 3, daily 7, all taken today: restic 0.18
        // keeps the three newest and, for the days not yet seen, the oldest) forgets the second, and it
        // prunes; then the check job passes.
        Ok(await env.RunAsync(maintain), "forget and prune");
        var after = await SnapshotIdsAsync(env);
        Assert.Equal([before[0], .. before.TakeLast(3)], after);
        Assert.Equal(4, Directory.GetFiles(snapshotsOnVolume).Length);
        Ok(await env.RunAsync(env.Workload(JobKind.Check)), "check");

        // The server ran the whole time (a crash would have ended its pod).
        Assert.False(server.Exited.IsCompleted, server.Exited.IsCompleted ? (await server.Exited).ToString() : "");
    }

    /// <summary>Snapshot ids, oldest first, as the backup pod lists them through the server.</summary>
    private async Task<List<string>> SnapshotIdsAsync(ExampleEnvironment env)
    {
        var stdout = Ok(await env.RunAsync(env.BackupWorkload, ["snapshots", "--json"]), "snapshots").Stdout;
        var json = stdout.Split('\n').First(l => l.TrimStart().StartsWith('['));
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray()
            .OrderBy(s => s.GetProperty("time").GetDateTimeOffset())
            .Select(s => s.GetProperty("id").GetString()!)];
    }

    /// <summary>
    /// A Job applied by hand: the backup CronJob's pod (its image, Secrets, mounts, security) running the
    /// runner's <c>maintain</c> with the maintenance job's retention but the backup's repository settings
    /// (the server's URL and the host's credential).
    /// </summary>
    private static string ForgetWithBackupCredential(ExampleEnvironment env, string maintainWorkload)
    {
        var configs = ExampleEnvironment.JobConfigs(env.Manifests).ToList();
        var backup = configs.Single(c => c.Workload == env.BackupWorkload);
        var maintain = configs.Single(c => c.Workload == maintainWorkload).Config;
        var cronJob = env.Manifests.OfType<V1CronJob>().Single(c => c.Metadata.Name == env.BackupWorkload);
        var template = KubernetesYaml.Deserialize<V1PodTemplateSpec>(KubernetesYaml.Serialize(cronJob.Spec.JobTemplate.Spec.Template));
        template.Spec.Containers[0].Args = ["maintain"];
        var jobConfig = Assert.Single(template.Spec.Volumes, v => v.ConfigMap is not null && v.Name == "job-config");
        jobConfig.ConfigMap.Name = RefusedJob;
        var configMap = new V1ConfigMap
        {
            ApiVersion = "v1", Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = RefusedJob, NamespaceProperty = backup.Namespace },
            Data = new Dictionary<string, string>
            {
                [PodPaths.JobConfigFileName] = JobConfigJson.Serialize(maintain with { Repository = backup.Config.Repository }),
            },
        };
        var job = new V1Job
        {
            ApiVersion = "batch/v1", Kind = "Job",
            Metadata = new V1ObjectMeta { Name = RefusedJob, NamespaceProperty = backup.Namespace },
            Spec = new V1JobSpec { BackoffLimit = 0, ActiveDeadlineSeconds = 600, Template = template },
        };
        return KubernetesYaml.Serialize(configMap) + "---\n" + KubernetesYaml.Serialize(job);
    }
}
