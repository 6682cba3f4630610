using ManifestGen.Cli;
using ManifestGen.Contracts;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Cli;

public sealed class CliTests
{
    internal static (int Code, string Stdout, string Stderr) Run(Workspace ws, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var code = new CliApp(stdout, stderr).Run([.. args, "--root", ws.Root], ws.Root);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void I_can_render_and_then_check_without_drift()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, Run(ws, "render").Code);
        Assert.Contains("test-cluster/manifests/namespace-backup-test.yaml", ws.OutFiles().Keys);
        var check = Run(ws, "check");
        Assert.Equal(0, check.Code);
        Assert.Equal("", check.Stdout);
    }

    [Fact]
    public void Render_and_check_name_each_changed_host_file_and_the_host_it_must_be_installed_on_before_the_sync()
    {
        using var ws = new Workspace(copyExampleValues: true);
        // A first render of an environment is the host setup's business: nothing is named.
        var first = Run(ws, "render");
        Assert.DoesNotContain("MG1004", first.Stderr);
        var before = ws.Read("out/test-cluster/hosts/kvm-lab/backup.allow");

        ws.Edit("values/test-cluster.yaml", "paths: [/srv/compose/homeassistant/config]", "paths: [/srv/compose/homeassistant/data]");
        var check = Run(ws, "check", "test-cluster");
        Assert.Equal(1, check.Code);
        foreach (var file in new[] { "backup.allow", "restore.allow" })
            Assert.Contains($"out/test-cluster/hosts/kvm-lab/{file}: warning MG1004: changed since out/ on disk (allow-list version ", check.Stderr);
        Assert.Contains("install out/test-cluster/hosts/kvm-lab/backup.allow on kvm-lab (as /etc/manifestgen-gate/backup.allow) before syncing", check.Stderr);
        Assert.DoesNotContain("authorized_keys: warning MG1004", check.Stderr);
        Assert.Contains($"allow-list version {GateAllowList.VersionIn(before)} -> ", check.Stderr);

        // render says the same while it writes; once out/ holds it, the baseline (here out/ on disk) has it too.
        var render = Run(ws, "render", "test-cluster");
        Assert.Equal(0, render.Code);
        Assert.Contains("out/test-cluster/hosts/kvm-lab/backup.allow: warning MG1004:", render.Stderr);
        var after = Run(ws, "check", "test-cluster");
        Assert.Equal(0, after.Code);
        Assert.DoesNotContain("MG1004", after.Stderr);
    }

    [Fact]
    public void Should_exit_1_with_a_diff_and_the_fix_when_a_file_was_edited_by_hand()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Run(ws, "render");
        ws.Edit("out/test-cluster/manifests/namespace-backup-test.yaml", "name: backup-test", "name: edited");
        var check = Run(ws, "check");
        Assert.Equal(1, check.Code);
        Assert.Contains("--- a/out/test-cluster/manifests/namespace-backup-test.yaml", check.Stdout);
        Assert.Contains("-  name: edited\n+  name: backup-test\n", check.Stdout);
        Assert.Contains("out/test-cluster/manifests/namespace-backup-test.yaml: error MG0909:", check.Stderr);
        Assert.Contains("fix it with `manifestgen render`", check.Stderr);
    }

    [Fact]
    public void Should_exit_1_when_a_file_is_missing_or_extra()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Run(ws, "render");
        File.Delete(Path.Combine(ws.Root, "out/production/SECRETS.md"));
        ws.Write("out/production/manifests/configmap-left-over.yaml", "kind: ConfigMap\n");
        var check = Run(ws, "check", "production");
        Assert.Equal(1, check.Code);
        Assert.Contains("+++ b/out/production/SECRETS.md", check.Stdout);
        Assert.Contains("--- a/out/production/manifests/configmap-left-over.yaml", check.Stdout);
        Assert.Contains("fix it with `manifestgen render production`", check.Stderr);
        // a removed environment's output is drift too
        Run(ws, "render");
        ws.Write("out/gone/manifests/x.yaml", "x: 1\n");
        Assert.Equal(1, Run(ws, "check").Code);
    }

    [Fact]
    public void Should_delete_files_it_no_longer_produces()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Run(ws, "render");
        ws.Write("out/test-cluster/manifests/stale.yaml", "stale: true\n");
        ws.Write("out/removed-env/manifests/old.yaml", "old: true\n");
        ws.Edit("values/test-cluster.yaml", "      - name: immich", "      - name: photos");
        Assert.Equal(0, Run(ws, "render").Code);
        var files = ws.OutFiles().Keys;
        Assert.DoesNotContain("test-cluster/manifests/stale.yaml", files);
        Assert.DoesNotContain(files, f => f.StartsWith("removed-env/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.Contains("immich", StringComparison.Ordinal));
        Assert.Contains("test-cluster/manifests/cronjob-backup-kvm-lab-photos.yaml", files);
        Assert.False(Directory.Exists(Path.Combine(ws.Root, "out/removed-env")));
    }

    [Fact]
    public void Should_change_exactly_the_object_its_chart_template_and_its_alert_threshold_when_one_app_schedule_changes()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Run(ws, "render");
        var before = ws.OutFiles();
        ws.Edit("values/production.yaml", "schedule: \"15 */6 * * *\"", "schedule: \"15 */4 * * *\"");
        Assert.Equal(0, Run(ws, "render").Code);
        var after = ws.OutFiles();
        Assert.Equal(before.Keys, after.Keys);
        var changed = before.Keys.Where(k => before[k] != after[k]).ToList();
        // the overdue alert's threshold follows the schedule
        string[] expected = ["production/chart/templates/cronjob-backup-kvm-prod-01-vaultwarden.yaml",
            "production/chart/templates/prometheusrule-manifestgen-production.yaml",
            "production/manifests/cronjob-backup-kvm-prod-01-vaultwarden.yaml",
            "production/manifests/prometheusrule-manifestgen-production.yaml"];
        Assert.Equal(expected, changed.Intersect(expected));
        // The planner places the repository's exclusive jobs around the backups: a backup that runs more
        // often may move them, and nothing else.
        Assert.All(changed.Except(expected), file => Assert.Matches(@"/cronjob-restic-(maintain|prune|check)[^/]*\.yaml$", file));
    }

    [Fact]
    public void Should_write_nothing_for_an_environment_with_errors_and_exit_1()
    {
        using var ws = new Workspace(copyExampleValues: true);
        ws.Edit("values/test-cluster.yaml", "    user: backup", "    usr: backup");
        var render = Run(ws, "render", "test-cluster");
        Assert.Equal(1, render.Code);
        Assert.Matches(@"values/test-cluster\.yaml\(\d+,5\): error MG0101: unknown key 'usr' in 'hosts\[0\]'\n.*\n.*\n  hint: did you mean 'user'\?", render.Stderr);
        Assert.Empty(ws.OutFiles());
        Assert.Equal(1, Run(ws, "validate", "test-cluster").Code);
    }

    [Fact]
    public void I_can_get_a_machine_report_on_stdout()
    {
        using var ws = new Workspace(copyExampleValues: true);
        ws.Edit("values/test-cluster.yaml", "    user: backup", "    usr: backup");
        var (code, stdout, _) = Run(ws, "validate", "--format", "codequality");
        Assert.Equal(1, code);
        Assert.StartsWith("[", stdout.TrimStart());
        Assert.Contains("MG0101", stdout);
        Assert.Contains("values/test-cluster.yaml", stdout);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("render", "no-such-env")]
    [InlineData("render", "--format", "nope")]
    [InlineData("render", "a", "b")]
    [InlineData("explain")]
    public void Should_exit_2_on_usage_errors(params string[] args)
    {
        using var ws = new Workspace(copyExampleValues: true);
        var (code, _, stderr) = Run(ws, args);
        Assert.Equal(2, code);
        Assert.NotEqual("", stderr);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void I_can_read_the_help_on_stdout_with_exit_0_and_the_exit_codes(string flag)
    {
        using var ws = new Workspace();
        var (code, stdout, stderr) = Run(ws, flag);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.StartsWith("usage: manifestgen <command>", stdout);
        Assert.Contains("exit codes:", stdout);
        Assert.Contains("2  usage or I/O error", stdout);
    }

    [Theory]
    [InlineData("help", "check")]
    [InlineData("check", "--help")]
    public void I_can_read_the_help_of_one_command(params string[] args)
    {
        using var ws = new Workspace();
        var (code, stdout, _) = Run(ws, args);
        Assert.Equal(0, code);
        Assert.StartsWith("usage: manifestgen check", stdout);
        Assert.DoesNotContain("commands:", stdout);
    }

    [Fact]
    public void Should_exit_2_for_help_on_a_command_that_does_not_exist()
    {
        using var ws = new Workspace();
        var (code, stdout, stderr) = Run(ws, "help", "frobnicate");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("no command 'frobnicate'", stderr);
    }

    [Fact]
    public void I_can_print_the_version()
    {
        using var ws = new Workspace();
        var (code, stdout, _) = Run(ws, "--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^manifestgen \d+\.\d+\.\d+\S*\n$", stdout);
    }

    [Fact]
    public void Should_say_on_stderr_what_was_checked_and_nothing_with_quiet()
    {
        using var ws = new Workspace(copyExampleValues: true);
        var validate = Run(ws, "validate");
        Assert.Equal(0, validate.Code);
        // production's sshfs app is its warning (MG0714 outside restricted; its host's gate runs sftp-server in
        // the sandbox, so no MG0732); test-cluster has none
        Assert.EndsWith("validated 2 environments: 0 errors, 1 warning\n", validate.Stderr);
        Assert.EndsWith("rendered 1 environment into out/: 0 errors, 1 warning\n", Run(ws, "render", "production").Stderr);
        Assert.Equal("rendered 1 environment into out/: 0 errors, 0 warnings\n", Run(ws, "render", "test-cluster").Stderr);
        Assert.Equal("", Run(ws, "render", "-q", "test-cluster").Stderr);
        Assert.EndsWith("checked 2 environments, out/ is current: 0 errors, 1 warning\n", Run(ws, "check").Stderr);
        var quiet = Run(ws, "check", "--quiet", "test-cluster");
        Assert.Equal((0, "", ""), quiet);
    }

    [Fact]
    public void Should_count_warnings_in_the_summary_line()
    {
        using var ws = new Workspace(copyExampleValues: true);
        // an sshfs app without privileged is a warning, not an error
        ws.Edit("values/test-cluster.yaml", "      - name: immich\n", "      - name: immich\n        strategy: sshfs\n");
        var (code, _, stderr) = Run(ws, "validate", "test-cluster");
        Assert.Equal(0, code);
        // (and MG0714: sshfs runs outside Pod Security restricted; the sandboxed gate confines sftp, no MG0732)
        Assert.EndsWith("validated 1 environment: 0 errors, 2 warnings\n", stderr);
    }

    [Fact]
    public void Should_render_with_the_built_in_templates_when_the_repository_has_none_and_prefer_its_own()
    {
        using var own = new Workspace(copyExampleValues: true);
        using var bare = new Workspace(copyExampleValues: true, copyTemplates: false);
        Assert.False(Directory.Exists(Path.Combine(bare.Root, "templates")));
        Assert.Equal(0, Run(own, "render").Code);
        Assert.Equal(0, Run(bare, "render").Code);
        Assert.Equal(own.OutFiles(), bare.OutFiles());

        // one overridden file changes exactly the objects rendered from it
        bare.Write("templates/namespace.sbn", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ model.meta.name | q }}\n  labels:\n    example.com/owner: platform\n");
        Assert.Equal(0, Run(bare, "render").Code);
        var changed = bare.OutFiles().Where(f => own.OutFiles()[f.Key] != f.Value).Select(f => f.Key).ToArray();
        // (the examples render a Helm chart too, whose template of the same object changes with it)
        Assert.Equal(["production/chart/templates/namespace-backup-sshfs.yaml", "production/chart/templates/namespace-backup.yaml",
            "production/manifests/namespace-backup-sshfs.yaml", "production/manifests/namespace-backup.yaml",
            "test-cluster/chart/templates/namespace-backup-test.yaml", "test-cluster/manifests/namespace-backup-test.yaml"], changed);
    }

    [Fact]
    public void I_can_print_a_restore_Job_that_runs_in_the_apps_own_backup_pod()
    {
        using var ws = new Workspace(copyExampleValues: true);
        var (code, stdout, stderr) = Run(ws, "restore", "test-cluster", "kvm-lab/immich", "--at", "2026-11-30T03:00:00+01:00",
            "--path", "/srv/compose/immich/db-dumps/immich.sql", "--target-claim", "restore-scratch");
        Assert.Equal(0, code);
        Assert.Equal("restore Job for kvm-lab/immich in test-cluster: 0 errors, 0 warnings\n", stderr);
        var job = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Job>(stdout, strict: true);
        Run(ws, "render", "test-cluster");
        var cron = k8s.KubernetesYaml.Deserialize<k8s.Models.V1CronJob>(ws.Read("out/test-cluster/manifests/cronjob-backup-kvm-lab-immich.yaml"), strict: true);
        var backup = cron.Spec.JobTemplate.Spec.Template.Spec;
        var restore = job.Spec.Template.Spec;
        Assert.Equal("restore-kvm-lab-immich", job.Metadata.Name);
        Assert.Equal(0, job.Spec.BackoffLimit);
        // the backup pod's image, configuration, Secrets and security settings; only the arguments differ,
        // plus the target claim, and no host key: a restore into a claim never contacts the host
        Assert.Equal(backup.Containers[0].Image, restore.Containers[0].Image);
        Assert.Equal(k8s.KubernetesJson.Serialize(backup.Containers[0].SecurityContext), k8s.KubernetesJson.Serialize(restore.Containers[0].SecurityContext));
        Assert.Equal(k8s.KubernetesJson.Serialize(backup.SecurityContext), k8s.KubernetesJson.Serialize(restore.SecurityContext));
        Assert.Contains(backup.Volumes, v => v.Secret?.SecretName == "ssh-kvm-lab");
        Assert.Equal([.. backup.Volumes.Where(v => v.Secret?.SecretName != "ssh-kvm-lab").Select(v => k8s.KubernetesJson.Serialize(v)),
                k8s.KubernetesJson.Serialize(restore.Volumes[^2]), k8s.KubernetesJson.Serialize(restore.Volumes[^1])],
            restore.Volumes.Select(v => k8s.KubernetesJson.Serialize(v)).ToArray());
        Assert.DoesNotContain(restore.Containers[0].VolumeMounts, m => m.MountPath == Contracts.PodPaths.SshKeyDir);
        Assert.Equal("restore-scratch", restore.Volumes[^1].PersistentVolumeClaim.ClaimName);
        // Staged on a claim made for the pod, of the app's mirrorSize in the mirror's StorageClass; into the
        // target claim goes one archive of what the host had.
        var staging = restore.Volumes[^2].Ephemeral.VolumeClaimTemplate.Spec;
        var mirror = k8s.KubernetesYaml.Deserialize<k8s.Models.V1PersistentVolumeClaim>(ws.Read("out/test-cluster/manifests/persistentvolumeclaim-mirror-kvm-lab-immich.yaml"), strict: true);
        Assert.Equal(mirror.Spec.Resources.Requests["storage"], staging.Resources.Requests["storage"]);
        Assert.Equal(mirror.Spec.StorageClassName, staging.StorageClassName);
        Assert.Contains(restore.Containers[0].VolumeMounts, m => m.Name == restore.Volumes[^2].Name && m.MountPath == Contracts.PodPaths.RestoreStagingDir);
        Assert.Equal(["restore", "--at", "2026-11-30T02:00:00Z", "--path", "/srv/compose/immich/db-dumps/immich.sql", "--archive", "/restore",
            "--staging", Contracts.PodPaths.RestoreStagingDir], restore.Containers[0].Args);
        Assert.Contains(restore.Containers[0].VolumeMounts, m => m.Name == restore.Volumes[^1].Name && m.MountPath == "/restore");
    }

    [Fact]
    public void I_can_print_a_restore_Job_that_reads_an_offsite_copy_and_mounts_nothing_of_the_primary()
    {
        using var ws = new Workspace();
        ws.Write("values/offsite-copies.yaml", File.ReadAllText(Path.Combine(ManifestGen.Testing.RepoPaths.Root, "tests", "snapshots", "cases", "offsite-copies", "values", "offsite-copies.yaml")));
        var (code, stdout, stderr) = Run(ws, "restore", "offsite-copies", "app-01/grafana", "--from-copy", "offsite", "--target-claim", "recovery");
        Assert.True(code == 0, stderr);
        var restore = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Job>(stdout, strict: true).Spec.Template;
        var args = restore.Spec.Containers[0].Args;
        Assert.Equal(["--from-copy", "offsite"], args.TakeLast(2));
        // Nothing of the primary: not its volume (on the NAS that may be gone), not its password, not the REST
        // server's credential; the copy's own Secrets where the job configuration says its files are.
        var volumes = restore.Spec.Volumes;
        Assert.DoesNotContain(volumes, v => v.Name == "repository");
        Assert.DoesNotContain(volumes, v => v.Secret?.SecretName is "restic-password" or "vault-rest-app-01");
        Assert.Contains(volumes, v => v.Secret?.SecretName == "offsite-password");
        Assert.Contains(volumes, v => v.Secret?.SecretName == "offsite-access");
        Run(ws, "render", "offsite-copies");
        var configMap = k8s.KubernetesYaml.Deserialize<k8s.Models.V1ConfigMap>(ws.Read("out/offsite-copies/manifests/configmap-backup-app-01-grafana.yaml"), strict: true);
        var config = Contracts.JobConfigJson.Deserialize(configMap.Data[Contracts.PodPaths.JobConfigFileName], configMap.Metadata.Name);
        var copy = Assert.Single(config.Copies!.Value, c => c.Name == "offsite");
        var mounts = restore.Spec.Containers[0].VolumeMounts;
        Assert.Contains(mounts, m => copy.Repository.PasswordFile.StartsWith(m.MountPath + "/", StringComparison.Ordinal) &&
            volumes.Single(v => v.Name == m.Name).Secret?.SecretName == "offsite-password");
        // The same copy entry as the copy job of that host reads: one source.
        var copyJob = k8s.KubernetesYaml.Deserialize<k8s.Models.V1ConfigMap>(ws.Read("out/offsite-copies/manifests/configmap-copy-offsite-app-01.yaml"), strict: true);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(Assert.Single(Contracts.JobConfigJson.Deserialize(copyJob.Data[Contracts.PodPaths.JobConfigFileName], "copy").Copies!.Value), Contracts.JobConfigJson.Options),
            System.Text.Json.JsonSerializer.Serialize(copy, Contracts.JobConfigJson.Options));
        // The copy's NetworkPolicy selects the pod: it may reach the copy's location.
        Assert.Equal("offsite", restore.Metadata.Labels["manifestgen.io/copy"]);
    }

    [Theory]
    [InlineData("--stdout", "restore --dump postgres --snapshot latest --stdout --staging " + Contracts.PodPaths.RestoreStagingDir, false, true)]
    [InlineData("--target-claim scratch", "restore --dump postgres --snapshot latest --target /restore", false, false)]
    [InlineData("--to-host --path /srv/compose/paperless/data/restored.sql",
        "restore --dump postgres --snapshot latest --path /srv/compose/paperless/data/restored.sql --to-host --staging " + Contracts.PodPaths.RestoreStagingDir, true, true)]
    [InlineData("--list", "snapshots --json", false, false)]
    public void I_can_print_a_Job_that_restores_a_dump_or_lists_the_snapshots(string options, string runnerArgs, bool hostKey, bool staged)
    {
        using var ws = new Workspace(copyExampleValues: true);
        var (code, stdout, stderr) = Run(ws, ["restore", "production", "kvm-prod-02/paperless", .. (options.StartsWith("--list", StringComparison.Ordinal) ? [] : new[] { "--dump", "postgres" }), .. options.Split(' ')]);
        Assert.True(code == 0, stderr);
        var restore = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Job>(stdout, strict: true).Spec.Template.Spec;
        Assert.Equal(runnerArgs, string.Join(' ', restore.Containers[0].Args));
        Assert.Equal(hostKey, restore.Containers[0].VolumeMounts.Any(m => m.MountPath == Contracts.PodPaths.SshKeyDir));
        Assert.Equal(staged, restore.Volumes.Any(v => v.Ephemeral is not null));
    }

    [Fact]
    public void A_restore_Job_onto_a_gated_host_mounts_the_restore_key_where_the_backup_pod_mounts_the_backup_key()
    {
        using var ws = new Workspace(copyExampleValues: true);
        var (code, stdout, stderr) = Run(ws, "restore", "test-cluster", "kvm-lab/immich", "--to-host", "--force");
        Assert.True(code == 0, stderr);
        var restore = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Job>(stdout, strict: true).Spec.Template.Spec;
        Run(ws, "render", "test-cluster");
        var backup = k8s.KubernetesYaml.Deserialize<k8s.Models.V1CronJob>(ws.Read("out/test-cluster/manifests/cronjob-backup-kvm-lab-immich.yaml"), strict: true)
            .Spec.JobTemplate.Spec.Template.Spec;
        // Only the Secret behind the key volume differs: the restore key's, listed in SECRETS.md, never mounted by a CronJob.
        var swapped = backup.Volumes.Select(v => v.Secret?.SecretName == "ssh-kvm-lab"
            ? k8s.KubernetesJson.Serialize(v).Replace("\"ssh-kvm-lab\"", "\"ssh-kvm-lab-restore\"", StringComparison.Ordinal)
            : k8s.KubernetesJson.Serialize(v)).ToArray();
        Assert.Equal([.. swapped, k8s.KubernetesJson.Serialize(restore.Volumes[^1])], restore.Volumes.Select(v => k8s.KubernetesJson.Serialize(v)).ToArray());
        Assert.Equal("restore-staging", restore.Volumes[^1].Name);
        Assert.Equal(k8s.KubernetesJson.Serialize(backup.Containers[0].VolumeMounts),
            k8s.KubernetesJson.Serialize(restore.Containers[0].VolumeMounts.Where(m => m.Name != "restore-staging").ToList()));
        Assert.Contains("ssh-kvm-lab-restore", ws.Read("out/test-cluster/SECRETS.md"));
        Assert.DoesNotContain(ws.OutFiles(), f => f.Key.Contains("/manifests/", StringComparison.Ordinal) && f.Value.Contains("ssh-kvm-lab-restore", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_render_a_drill_CronJob_per_app_in_the_backups_pod_only_when_the_drill_is_enabled()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, Run(ws, "render").Code);
        Assert.DoesNotContain(ws.OutFiles().Keys, f => f.StartsWith("test-cluster/manifests/cronjob-drill-", StringComparison.Ordinal));
        var drills = ws.OutFiles().Keys.Where(f => f.StartsWith("production/manifests/cronjob-drill-", StringComparison.Ordinal)).ToArray();
        var backups = ws.OutFiles().Keys.Where(f => f.StartsWith("production/manifests/cronjob-backup-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(backups.Select(b => b.Replace("cronjob-backup-", "cronjob-drill-", StringComparison.Ordinal)), drills);

        var drill = k8s.KubernetesYaml.Deserialize<k8s.Models.V1CronJob>(ws.Read("out/" + drills[0]), strict: true).Spec.JobTemplate.Spec.Template.Spec;
        var backup = k8s.KubernetesYaml.Deserialize<k8s.Models.V1CronJob>(ws.Read("out/" + backups[0]), strict: true).Spec.JobTemplate.Spec.Template.Spec;
        Assert.Equal(["drill", "--sample", "20"], drill.Containers[0].Args);
        Assert.Equal(drills[0]["production/manifests/cronjob-".Length..^".yaml".Length], drill.Hostname);
        // Each job pings its own URL (reporting.pingUrlSecret.perJob): the key named like the job, mounted as the same file.
        var drillPing = drill.Volumes.Single(v => v.Name == "ping-url").Secret;
        var backupPing = backup.Volumes.Single(v => v.Name == "ping-url").Secret;
        Assert.Equal((drill.Hostname, "url", true), (drillPing.Items.Single().Key, drillPing.Items.Single().Path, drillPing.Optional));
        Assert.Equal((backup.Hostname, "url", true), (backupPing.Items.Single().Key, backupPing.Items.Single().Path, backupPing.Optional));
        (drill.Containers[0].Args, drill.Hostname, drillPing.Items) = (backup.Containers[0].Args, backup.Hostname, backupPing.Items);
        Assert.Equal(k8s.KubernetesJson.Serialize(backup), k8s.KubernetesJson.Serialize(drill));
    }

    [Theory]
    [InlineData("no app kvm-lab/nextcloud", "restore", "test-cluster", "kvm-lab/nextcloud", "--to-host")]
    [InlineData("is not under the paths of kvm-lab/immich", "restore", "test-cluster", "kvm-lab/immich", "--path", "/etc/passwd", "--to-host")]
    [InlineData("exactly one of --to-host, --target-claim NAME, --stdout and --list", "restore", "test-cluster", "kvm-lab/immich")]
    [InlineData("exactly one of --to-host, --target-claim NAME, --stdout and --list", "restore", "test-cluster", "kvm-lab/immich", "--to-host", "--target-claim", "x")]
    [InlineData("--dump db: kvm-lab/immich has no dumps (hooks.dumps)", "restore", "test-cluster", "kvm-lab/immich", "--dump", "db", "--stdout")]
    [InlineData("--dump mysql is not a dump of kvm-prod-02/paperless (hooks.dumps: postgres)", "restore", "production", "kvm-prod-02/paperless", "--dump", "mysql", "--stdout")]
    [InlineData("--dump onto the host needs one --path FILE", "restore", "production", "kvm-prod-02/paperless", "--dump", "postgres", "--to-host")]
    [InlineData("--stdout writes a dump: give --dump NAME", "restore", "production", "kvm-prod-02/paperless", "--stdout")]
    [InlineData("--list lists snapshots and restores nothing", "restore", "production", "kvm-prod-02/paperless", "--list", "--dump", "postgres")]
    [InlineData("not an ISO 8601 time with an offset", "restore", "test-cluster", "kvm-lab/immich", "--to-host", "--at", "2026-11-30 02:00")]
    [InlineData("exclude each other", "restore", "test-cluster", "kvm-lab/immich", "--to-host", "--at", "2026-11-30T02:00:00Z", "--snapshot", "latest")]
    [InlineData("--target-claim 'Not_A_Name'", "restore", "test-cluster", "kvm-lab/immich", "--target-claim", "Not_A_Name")]
    [InlineData("--from-copy offsite: environment test-cluster has no offsite copies", "restore", "test-cluster", "kvm-lab/immich", "--to-host", "--from-copy", "offsite")]
    [InlineData("options of `restore` only", "render", "--from-copy", "offsite")]
    [InlineData("options of `restore` only", "render", "--to-host")]
    public void Should_refuse_a_restore_it_cannot_build_with_exit_2_and_nothing_on_stdout(string message, params string[] args)
    {
        using var ws = new Workspace(copyExampleValues: true);
        var (code, stdout, stderr) = Run(ws, args);
        Assert.Equal((2, ""), (code, stdout));
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void I_can_explain_a_diagnostic_code()
    {
        using var ws = new Workspace();
        var (code, stdout, _) = Run(ws, "explain", "MG0903");
        Assert.Equal(0, code);
        Assert.Contains("PersistentVolume and claim disagree", stdout);
    }

    [Fact]
    public void Should_mark_in_SECRETS_md_which_Secrets_the_manifests_create_and_give_commands_with_namespaces_only_for_the_others()
    {
        using var ws = new Workspace(copyExampleValues: true);
        ws.Write("values/sealed.yaml", File.ReadAllText(Path.Combine(ManifestGen.Testing.RepoPaths.Root, "tests/cases/valid/sealed-secrets-complete/inventory.yaml"))
            .Replace("out/production/", "out/sealed/", StringComparison.Ordinal).Replace("/restic/production", "/restic/sealed", StringComparison.Ordinal));
        var (code, _, stderr) = Run(ws, "render");
        Assert.True(code == 0, stderr);
        // Sealed, every Secret in the manifests: marked so, and no command to create one by hand.
        var sealedReport = ws.Read("out/sealed/SECRETS.md");
        Assert.Contains("| `backup` | `restic-repository` | `Opaque` | `password` | every job (restic repository password) | SealedSecret in manifests/ |", sealedReport);
        Assert.DoesNotContain("kubectl", sealedReport);
        Assert.DoesNotContain("**by hand**", sealedReport);
        // Referenced: every Secret by hand, the namespaces created first (the sync would create them only later).
        var referenced = ws.Read("out/production/SECRETS.md");
        Assert.Contains("before the first sync", referenced);
        var namespaces = referenced.IndexOf("kubectl create namespace backup --dry-run=client -o yaml | kubectl apply -f -\n", StringComparison.Ordinal);
        Assert.True(namespaces >= 0, referenced);
        Assert.True(namespaces < referenced.IndexOf("kubectl -n backup create secret", StringComparison.Ordinal), referenced);
        Assert.Contains("kubectl create namespace backup-sshfs --dry-run=client -o yaml | kubectl apply -f -\n", referenced);
    }

    [Fact]
    public async Task I_can_write_plain_test_secrets_from_local_files_into_an_ignored_folder()
    {
        using var ws = new Workspace(copyExampleValues: true);
        // A GitOps repository of its own, with no .gitignore: the written folder must ignore itself.
        Assert.False(File.Exists(Path.Combine(ws.Root, ".gitignore")));
        await ManifestGen.Testing.Proc.CheckedAsync("git", "init", "-q", ws.Root);
        ws.Write("keys/restic-repository/password", "correct horse battery staple");
        ws.Write("keys/ssh-kvm-lab/ssh-privatekey", "not-a-real-key\n");
        ws.Write("keys/ssh-kvm-lab-restore/ssh-privatekey", "not-a-real-restore-key\n");
        ws.Write("keys/restic-rest-kvm-lab/password", "rest password of kvm-lab");
        ws.Write("keys/restic-rest-server/htpasswd", "kvm-lab:$2y$05$not.a.real.hash\n");
        var (code, _, stderr) = Run(ws, "secrets", "test-cluster", "--from", "keys");
        Assert.True(code == 0, stderr);
        var secret = ws.Read(".secrets/test-cluster/secret-ssh-kvm-lab.yaml");
        Assert.Contains("type: kubernetes.io/ssh-auth\n", secret);
        Assert.Contains("ssh-privatekey: " + Convert.ToBase64String("not-a-real-key\n"u8.ToArray()), secret);
        Assert.Contains("namespace: backup-test\n", secret);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite,
                File.GetUnixFileMode(Path.Combine(ws.Root, ".secrets/test-cluster/secret-ssh-kvm-lab.yaml")));
        Assert.DoesNotContain("correct horse", stderr);
        var status = await ManifestGen.Testing.Proc.CheckedAsync("git", "-C", ws.Root, "status", "--porcelain", "--untracked-files=all");
        Assert.Contains("values/", status);
        Assert.DoesNotContain(".secrets", status);

        File.Delete(Path.Combine(ws.Root, "keys/restic-repository/password"));
        Assert.Equal(1, Run(ws, "secrets", "test-cluster", "--from", "keys").Code);
    }
}
