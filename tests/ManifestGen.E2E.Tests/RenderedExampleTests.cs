using System.Security.Cryptography;
using System.Text.Json;
using ManifestGen.Contracts;
using ManifestGen.PodHarness.Pods;
using ManifestGen.PodHarness.Scenarios;
using Xunit.Abstractions;
using ManifestGen.Testing;

namespace ManifestGen.E2E.Tests;

/// <summary>
/// The test-cluster example, rendered by the generator from a test copy of the inventory, run pod by pod
/// through the harness against a throwaway SSH host: the rendered CronJobs and Jobs are exactly what runs.
/// </summary>
public sealed class RenderedExampleTests(ITestOutputHelper output)
{
    /// <summary>The checkout (<see cref="RepoPaths.Root"/>; kept for the tests that call it).</summary>
    internal static string RepositoryRoot() => RepoPaths.Root;

    private Task<ExampleEnvironment> StartAsync(Action<string>? mutateTemplates = null) =>
        ExampleEnvironment.StartAsync(new ExampleOptions
        {
            RepositoryRoot = RepoPaths.Root,
            MutateTemplates = mutateTemplates,
        });

    private PodRunResult Ok(PodRunResult r, string what)
    {
        output.WriteLine($"{what}: {r}");
        Assert.True(r.Succeeded, $"{what}: {r}");
        return r;
    }

    [Fact]
    public async Task I_can_initialise_back_up_twice_maintain_check_and_restore_through_the_rendered_manifests()
    {
        await using var env = await StartAsync();
        var app = env.BackupConfig.App!;
        var host = env.BackupConfig.Host!;
        output.WriteLine($"test inventory changed: {string.Join(", ", env.ChangedByTestInventory)}");
        output.WriteLine($"not reproduced: {string.Join("; ", env.NotReproduced)}");
        // Only the pinned host key, the SSH user (job configurations, known_hosts), the keys and the gate's
        // source range (the host's rendered files) differ from the committed inventory's rendering.
        Assert.All(env.ChangedByTestInventory, f => Assert.True(f.Contains("configmap-", StringComparison.Ordinal) ||
            f.StartsWith($"{Planning.HostGatePlan.Folder}/{host.Name}/", StringComparison.Ordinal), f));
        Assert.Contains(env.ChangedByTestInventory, f => f.Contains($"known-hosts-{host.Name}", StringComparison.Ordinal));
        Assert.Contains(env.NotReproduced, n => n.StartsWith("host gate: the rendered from= names", StringComparison.Ordinal));

        // The host runs everything through the rendered gate: the backup key gets no shell and no other command.
        var shell = await env.Host.SshAsync(env.BackupKeyFile, null);
        Assert.NotEqual(0, shell.ExitCode);
        Assert.Contains("manifestgen-gate: refused: an interactive shell is not allowed", shell.Stderr);
        var shadow = await env.Host.SshAsync(env.BackupKeyFile, "cat /etc/shadow");
        Assert.Contains("manifestgen-gate: refused: not on the allow-list", shadow.Stderr);
        Assert.Equal("", shadow.Stdout);
        Assert.Contains("refused: an interactive shell", (await env.Host.SshAsync(env.RestoreKeyFile, null)).Stderr);

        // Repository initialisation: idempotent.
        Ok(await env.RunAsync(env.Workload(JobKind.Init)), "init");
        Ok(await env.RunAsync(env.Workload(JobKind.Init)), "init again");

        // Two runs of the app's backup CronJob, one file changed between.
        var first = RunSummaryLine.Parse(Ok(await env.RunAsync(env.BackupWorkload), "backup 1").Stdout);
        var changedFile = Path.Join(env.HostRoot, app.Paths[0], "config.yaml");
        await File.AppendAllTextAsync(changedFile, "# changed between runs\n");
        var second = RunSummaryLine.Parse(Ok(await env.RunAsync(env.BackupWorkload), "backup 2").Stdout);

        Assert.True(first.FilesNew > 0);
        Assert.Equal(0, second.FilesNew);
        Assert.Equal(1, second.FilesChanged);
        Assert.Equal(first.FilesNew - 1, second.FilesUnmodified);
        Assert.True(second.BytesOverWire < first.BytesOverWire / 10, $"second run sent {second.BytesOverWire} bytes, first {first.BytesOverWire}");
        Assert.NotEqual(first.SnapshotId, second.SnapshotId);

        // The compose services were stopped for the transfer and started again, each run: by the runner, and
        // once more by the gate when the runner cancels its switch (the gate starts what the switch names
        // before it cancels it; a no-op for running services), so two starts per stop behind the gate.
        var calls = File.ReadAllLines(env.ComposeCallsFile);
        var startsPerStop = env.BackupConfig.Host!.Gated ? 2 : 1;
        foreach (var service in app.Hooks.StopServices)
        {
            Assert.Equal(2, calls.Count(c => c.EndsWith($"docker compose stop {service}", StringComparison.Ordinal)));
            Assert.Equal(2 * startsPerStop, calls.Count(c => c.EndsWith($"docker compose start {service}", StringComparison.Ordinal)));
        }

        // Every other backup CronJob of the environment, twice each, in its own pods.
        Assert.Equal(EnvironmentBackups(env).Order(StringComparer.Ordinal), env.BackupWorkloads.Order(StringComparer.Ordinal));
        foreach (var other in env.BackupWorkloads.Where(w => w != env.BackupWorkload))
        {
            Ok(await env.RunAsync(other), $"{other} 1");
            Ok(await env.RunAsync(other), $"{other} 2");
        }

        // Snapshots: the host's name and the host's own paths, tagged with the app.
        var snapshots = SnapshotList(Ok(await env.RunAsync(env.BackupWorkload, ["snapshots", "--json"]), "snapshots").Stdout);
        Assert.Equal(2, snapshots.Count);
        Assert.All(snapshots, s =>
        {
            Assert.Equal(host.Name, s.Hostname);
            Assert.Equal(app.Paths.Order(StringComparer.Ordinal), s.Paths.Order(StringComparer.Ordinal));
            Assert.Contains($"app={app.Name}", s.Tags);
        });

        // Maintenance and check CronJobs. The example's repository is served append-only: the host has a
        // repository of its own, which its forget job also prunes (AppendOnlyServerTests has the details).
        Ok(await env.RunAsync(env.Workload(JobKind.Maintain)), "forget and prune");
        Ok(await env.RunAsync(env.Workload(JobKind.Check)), "check");
        Assert.Equal(2, SnapshotList(Ok(await env.RunAsync(env.BackupWorkload, ["snapshots", "--json"]), "snapshots").Stdout).Count);

        // Restore one file back onto the host, byte for byte: not with the backup pod's key, which the gate
        // lets read only, but with the printed restore Job, which mounts the restore key.
        var expected = SHA256.HashData(await File.ReadAllBytesAsync(changedFile));
        File.Delete(changedFile);
        string[] restoreArgs = ["restore", "--path", $"{app.Paths[0]}/config.yaml", "--to-host"];
        var refused = await env.RunAsync(env.BackupWorkload, [.. restoreArgs]);
        output.WriteLine($"restore with the backup key: {refused}");
        Assert.False(refused.Succeeded, refused.ToString());
        Assert.Contains("manifestgen-gate: refused: ", refused.Stderr);
        Assert.False(File.Exists(changedFile));
        var job = await env.GenerateAsync(["restore", "test-cluster", $"{host.Name}/{app.Name}", "--path", $"{app.Paths[0]}/config.yaml", "--to-host"]);
        Ok(await env.RunAppliedAsync(job, PodHarness.Manifests.RenderedManifests.FromYaml(job).Documents.Single().Name), "restore Job");
        Assert.Equal(expected, SHA256.HashData(await File.ReadAllBytesAsync(changedFile)));
    }

    private static IEnumerable<string> EnvironmentBackups(ExampleEnvironment env) =>
        env.Manifests.WorkloadNames().Where(n => ExampleEnvironment.JobConfigs(env.Manifests).Any(j => j.Workload == n && j.Config.Kind == JobKind.Backup));

    [Fact]
    public async Task I_can_back_up_the_production_tar_and_sshfs_apps_twice_in_the_runner_image()
    {
        await using var env = await ExampleEnvironment.StartAsync(new ExampleOptions
        {
            RepositoryRoot = RepoPaths.Root,
            Environment = "production",
            App = "mailserver",
        });
        var tar = env.Workload(JobKind.Backup, "mailserver");
        var sshfs = env.Workload(JobKind.Backup, "wiki");
        Assert.Equal(TransferStrategy.Tar, env.BackupConfig.App!.Strategy);

        Ok(await env.RunAsync(env.Workload(JobKind.Init)), "init");
        foreach (var (workload, what) in new[] { (tar, "tar"), (sshfs, "sshfs") })
        {
            var first = RunSummaryLine.Parse(Ok(await env.RunAsync(workload), $"{what} backup 1").Stdout);
            var second = RunSummaryLine.Parse(Ok(await env.RunAsync(workload), $"{what} backup 2").Stdout);
            Assert.True(first.FilesNew > 0, $"{what}: {first.FilesNew} new files");
            Assert.NotEqual(first.SnapshotId, second.SnapshotId);
            Assert.Equal(2, SnapshotList(Ok(await env.RunAsync(workload, ["snapshots", "--json"]), $"{what} snapshots").Stdout).Count);
        }

        // The restore drill of the sshfs app (the tar app's snapshot holds its stream, not host files), in its
        // backup's pod: its size/time and SHA-256 requests pass the gate.
        var drill = RunSummaryLine.Parse(Ok(await env.RunAsync(sshfs.Replace("backup-", "drill-", StringComparison.Ordinal)), "drill").Stdout);
        Assert.True(drill.FilesRestored > 0, "the drill compared files");

        // Everything went through the rendered gate, which logged it in the allow-lists' log file.
        var log = env.GateLog;
        output.WriteLine($"gate log:\n{log}");
        Assert.Contains("read (mailserver): 'tar'", log);          // the tar stream, byte for byte, in the app's sandbox
        Assert.Contains("sftp (read-only) of wiki", log);          // sshfs, in the sandbox of the sshfs apps
        Assert.Contains("switch of mailserver armed", log);        // postfix and dovecot stopped under the switch
        Assert.Contains("switch of mailserver cancelled", log);
        Assert.Contains("drill: SHA-256 of", log);
        Assert.DoesNotContain("refused", log);
    }

    // ---- contract: a template that disagrees with the runner must fail the run ----

    private const string PodTemplate = "_pod-template.sbn";

    private static Action<string> Edit(string find, string replace) => templates =>
    {
        var file = Path.Combine(templates, PodTemplate);
        var text = File.ReadAllText(file);
        Assert.Contains(find, text); // the template changed shape: update this contract test with it
        File.WriteAllText(file, text.Replace(find, replace, StringComparison.Ordinal));
    };

    [Fact]
    public async Task Should_fail_the_backup_when_a_template_mounts_the_job_configuration_at_another_path()
    {
        await using var env = await StartAsync(Edit(
            "mountPath: {{ m.mount_path | q }}",
            "mountPath: {{ m.mount_path | string.replace \"" + PodPaths.JobConfigDir + "\" \"/etc/manifestgen/config\" | q }}"));

        var r = await env.RunAsync(env.BackupWorkload);
        output.WriteLine(r.ToString());

        Assert.False(r.Succeeded);
        Assert.Contains(PodPaths.JobConfigFile, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_the_backup_when_a_template_points_the_job_configuration_variable_at_an_unmounted_file()
    {
        await using var env = await StartAsync(Edit(
            "          value: {{ e.value | q }}",
            "          value: {{ e.value | string.replace \"/" + PodPaths.JobConfigFileName + "\" \"/config.json\" | q }}"));
        var container = env.Manifests.Workload(env.BackupWorkload).PodSpec.Containers[0];
        Assert.Contains(container.Env ?? [], e => e.Name == PodPaths.JobConfigEnv && e.Value == PodPaths.JobConfigDir + "/config.json");

        var r = await env.RunAsync(env.BackupWorkload);
        output.WriteLine(r.ToString());

        Assert.False(r.Succeeded);
        Assert.Contains(PodPaths.JobConfigDir + "/config.json", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_the_backup_when_a_template_drops_the_job_configuration_variable()
    {
        await using var env = await StartAsync(DropVariable(PodPaths.JobConfigEnv));
        var container = env.Manifests.Workload(env.BackupWorkload).PodSpec.Containers[0];
        Assert.DoesNotContain(container.Env ?? [], e => e.Name == PodPaths.JobConfigEnv);

        var r = await env.RunAsync(env.BackupWorkload);
        output.WriteLine(r.ToString());

        Assert.False(r.Succeeded);
        Assert.Contains(PodPaths.JobConfigEnv, r.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// HOME is set for tools that look for a home directory; nothing the rsync path runs reads it
    /// (ssh gets its whole configuration through -F). Should that change, this test fails and says the
    /// variable has become part of the contract.
    /// </summary>
    [Fact]
    public async Task Dropping_HOME_leaves_the_backup_working()
    {
        await using var env = await StartAsync(DropVariable("HOME"));
        var container = env.Manifests.Workload(env.BackupWorkload).PodSpec.Containers[0];
        Assert.DoesNotContain(container.Env ?? [], e => e.Name == "HOME");

        Ok(await env.RunAsync(env.Workload(JobKind.Init)), "init");
        Ok(await env.RunAsync(env.BackupWorkload), "backup");
    }

    private static Action<string> DropVariable(string variable) => Edit(
        "{{- for e in tpl.pod.env }}",
        "{{- for e in tpl.pod.env }}{{ if e.key == \"" + variable + "\"; continue; end }}");

    private sealed record Snapshot(string Hostname, List<string> Paths, List<string> Tags);

    private static List<Snapshot> SnapshotList(string stdout)
    {
        var json = stdout.Split('\n').First(l => l.TrimStart().StartsWith('['));
        return JsonSerializer.Deserialize<List<Snapshot>>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    }
}
