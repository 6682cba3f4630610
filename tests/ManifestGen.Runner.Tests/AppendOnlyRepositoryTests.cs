using ManifestGen.Contracts;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The append-only repository mode against the real restic-rest-server: backup pods hold a per-host
/// user of a server started with --append-only --private-repos; only maintenance holds the user of a
/// second server over the same folder without those flags. Its own sshd and collection.
/// </summary>
public sealed class AppendOnlyRepositoryTests(RealHost host) : IClassFixture<RealHost>
{
    [Fact]
    public async Task A_backup_pods_credential_can_add_snapshots_but_not_forget_prune_or_reach_another_hosts_repository()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var data = s.Dir.Combine("rest-data");
        Directory.CreateDirectory(data);
        await using var appendOnly = await RestServer.StartAsync(data, ["kvm-test", "kvm-other"], appendOnly: true, privateRepos: true);
        await using var full = await RestServer.StartAsync(data, ["maintenance"], appendOnly: false, privateRepos: false);

        RepositoryConfig Repo(RestServer server, string user, string repoName) => s.Repo.ToRepositoryConfig() with
        {
            Location = server.Repository(repoName), RestUsername = user, RestPasswordFile = server.PasswordFiles[user],
        };
        var hostRepo = Repo(appendOnly, "kvm-test", "kvm-test");
        JobConfig WithRepo(JobConfig c, RepositoryConfig r) => c with { Repository = r };

        s.CreateApp("shop");
        var backup = WithRepo(s.Backup(s.App("shop")), hostRepo);
        var init = await s.RunAsync(WithRepo(s.Maintenance(new MaintenanceConfig(), JobKind.Init), hostRepo), "init");
        Assert.True(init.ExitCode == 0, init + appendOnly.Log);
        var first = await s.RunAsync(backup, "backup");
        Assert.True(first.ExitCode == 0, first + appendOnly.Log);
        File.AppendAllText(Path.Combine(s.AppDir("shop"), "app.conf"), "changed = yes\n");
        var second = await s.RunAsync(backup, "backup");
        Assert.True(second.ExitCode == 0, second.ToString());
        foreach (var run in new[] { init, first, second })
            Assert.DoesNotContain(File.ReadAllText(appendOnly.PasswordFiles["kvm-test"]).Trim(), run.Stdout + run.Stderr);

        // The same credential cannot forget (delete a snapshot) nor prune.
        var policy = new RetentionPolicy { KeepLast = 1 };
        var maintainWithHostCredential = WithRepo(s.Maintenance(new MaintenanceConfig
        {
            Groups = [new RetentionGroup { Host = s.HostName, App = "shop", Policy = policy }], Prune = true,
        }), hostRepo);
        var forget = await s.RunAsync(maintainWithHostCredential, "maintain");
        Assert.True(forget.ExitCode != 0, forget.ToString());
        var env = new Dictionary<string, string?>(s.Repo.Environment)
        {
            ["RESTIC_REPOSITORY"] = hostRepo.Location,
            ["RESTIC_REST_USERNAME"] = "kvm-test",
            ["RESTIC_REST_PASSWORD"] = File.ReadAllText(appendOnly.PasswordFiles["kvm-test"]).Trim(),
        };
        Task<Runner.Processes.ProcessResult> Restic(IReadOnlyDictionary<string, string?> e, params string[] args) =>
            Proc.RunAsync("restic", args, Patience.Command, e);
        Assert.Contains("refused the deletion", forget.Summary.Error);
        // restic itself exits 0 here (it only prints the server's 403); the snapshots are what count.
        var forgetOne = await Restic(env, "forget", first.Summary.SnapshotId!);
        Assert.Contains("403", forgetOne.Stderr);
        await Restic(env, "prune");
        var listed = await Restic(env, "snapshots", "--json");
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal(2, System.Text.Json.JsonDocument.Parse(listed.Stdout).RootElement.GetArrayLength());

        // Another host's repository: neither readable nor creatable with this credential.
        var other = new Dictionary<string, string?>(env) { ["RESTIC_REPOSITORY"] = appendOnly.Repository("kvm-other") };
        Assert.NotEqual(0, (await Restic(other, "init")).ExitCode);
        Assert.False(Directory.Exists(Path.Combine(data, "kvm-other", "keys")), "a repository was created for another host");

        // Maintenance holds the full credential on the second server: forget and prune work there.
        var maintain = await s.RunAsync(WithRepo(maintainWithHostCredential, Repo(full, "maintenance", "kvm-test")), "maintain");
        Assert.True(maintain.ExitCode == 0, maintain + full.Log);
        listed = await Restic(env, "snapshots", "--json");
        Assert.Equal(1, System.Text.Json.JsonDocument.Parse(listed.Stdout).RootElement.GetArrayLength());
    }
}
