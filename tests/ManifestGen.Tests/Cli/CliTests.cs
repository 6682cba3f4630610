using ManifestGen.Cli;
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
        Assert.Contains("make render", check.Stderr);
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
        Assert.Contains("make render ENV=production", check.Stderr);
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
    public void Should_change_exactly_one_file_when_one_app_schedule_changes()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Run(ws, "render");
        var before = ws.OutFiles();
        ws.Edit("values/production.yaml", "schedule: \"15 */6 * * *\"", "schedule: \"15 */4 * * *\"");
        Assert.Equal(0, Run(ws, "render").Code);
        var after = ws.OutFiles();
        Assert.Equal(before.Keys, after.Keys);
        var changed = before.Keys.Where(k => before[k] != after[k]).ToList();
        Assert.Equal(["production/manifests/cronjob-backup-kvm-prod-01-vaultwarden.yaml"], changed);
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

    [Fact]
    public void I_can_explain_a_diagnostic_code()
    {
        using var ws = new Workspace();
        var (code, stdout, _) = Run(ws, "explain", "MG0903");
        Assert.Equal(0, code);
        Assert.Contains("PersistentVolume and claim disagree", stdout);
    }

    [Fact]
    public void I_can_write_plain_test_secrets_from_local_files_into_an_ignored_folder()
    {
        using var ws = new Workspace(copyExampleValues: true);
        ws.Write("keys/restic-repository/password", "correct horse battery staple");
        ws.Write("keys/ssh-kvm-lab/ssh-privatekey", "not-a-real-key\n");
        ws.Write("keys/ssh-kvm-lab-restore/ssh-privatekey", "not-a-real-restore-key\n");
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

        File.Delete(Path.Combine(ws.Root, "keys/restic-repository/password"));
        Assert.Equal(1, Run(ws, "secrets", "test-cluster", "--from", "keys").Code);
    }
}
