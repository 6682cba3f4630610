using System.Text.RegularExpressions;
using ManifestGen.Diagnostics;
using ManifestGen.Planning;
using ManifestGen.Tests.Support;
using ManifestGen.Tests.Validation;

namespace ManifestGen.Tests.Planning;

/// <summary>
/// The planner places the repository's exclusive jobs (forget, prune, check) where their runs meet no
/// backup, drill or other exclusive job, and the schedule rules read the same list of jobs it renders.
/// </summary>
public sealed class JobPlacementTests
{
    private const string HostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9AEAQtz1f6x1CzvEll5TTy8MIR+oKXh56BH/npzerp";

    /// <summary>One host, one app, every other setting at its default.</summary>
    private static string Minimal(string app, string extra = "") => $$"""
        namespace: backup
        gitOps:
          repoURL: https://git.example.org/platform/backup-gitops.git
        image:
          repository: registry.example.org/platform/manifestgen-runner
          tag: "1.4.2"
          digest: sha256:5f0d3c1e8a9b7d6c4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d
        repository:
          passwordSecret: { name: restic-repository }
          storage:
            nfs: { server: nas01.example.org, exportRoot: /volume1/backup, path: /volume1/backup/restic }
          capacity: 2Ti
          storageClassName: manifestgen-static
        {{extra}}
        hosts:
          - name: kvm1
            address: 10.40.0.11
            user: backup
            hostKeys: [{{HostKey}}]
            sshKeySecret: { name: ssh-kvm1 }
            apps:
              - name: {{app}}
                paths: [/srv/compose/{{app}}]

        """;

    private static (Pipeline.Generation Generation, string Dir) Generate(TempDirectory dir, string inventory)
    {
        var file = dir.Write("values/prod.yaml", inventory);
        return (ValidationHarness.Generate(file, dir.Path), dir.Path);
    }

    [Theory]
    [InlineData("nextcloud")]
    [InlineData("gitea")]
    [InlineData("paperless")]
    [InlineData("vaultwarden")]
    [InlineData("wiki")]
    [InlineData("immich")]
    public void A_minimal_inventory_with_defaults_renders_without_a_warning(string app)
    {
        using var dir = new TempDirectory();
        var (generation, _) = Generate(dir, Minimal(app));
        Assert.Empty(generation.Diagnostics.Where(d => d.Severity != Severity.Info));
        Assert.False(generation.HasErrors);
    }

    [Fact]
    public void A_minimal_inventory_with_the_drill_renders_without_a_warning()
    {
        using var dir = new TempDirectory();
        var (generation, _) = Generate(dir, Minimal("nextcloud", "maintenance: { drill: { enabled: true } }"));
        Assert.Empty(generation.Diagnostics.Where(d => d.Severity != Severity.Info));
    }

    [Fact]
    public void Every_rendered_CronJob_has_the_schedule_of_the_rules_job_list()
    {
        using var dir = new TempDirectory();
        var (generation, _) = Generate(dir, Minimal("nextcloud", "maintenance: { drill: { enabled: true } }"));
        var rendered = generation.Environments.Single().Files
            .Select(f => Regex.Match(f.Content, @"^kind: CronJob\n(?:.*\n)*?  name: (\S+)\n(?:.*\n)*?  schedule: ""?([^""\n]+)""?\n", RegexOptions.Multiline))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
        var paths = new Pipeline.GeneratorPaths(dir.Path) { Values = Path.Combine(dir.Path, "values") };
        var inventory = new Pipeline.Generator(paths).Validate(Path.Combine(dir.Path, "values", "prod.yaml")).Inventory!;
        var listed = JobSchedules.Of(inventory).ToDictionary(j => j.Name, j => j.Expanded ?? "", StringComparer.Ordinal);
        // backup, drill, forget, prune and check: the same jobs, with the same times.
        Assert.Equal(5, listed.Count);
        Assert.Equal(listed.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList(), rendered.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void The_planner_moves_an_exclusive_job_off_the_backup_it_would_meet_and_keeps_a_free_hashed_time()
    {
        using var dir = new TempDirectory();
        // Every hour but 12:00-17:59 is taken by a backup that may run 3 h: the forget and prune jobs (Sunday)
        // and the check job (Wednesday), 1 h each, can only go there, and forget and prune not together.
        var busy = """
            defaults: { schedule: "0 0,3,6,9,18,21 * * *" }
            maintenance:
              forget: { activeDeadlineSeconds: 3600 }
              check: { activeDeadlineSeconds: 3600 }
            """;
        var (generation, _) = Generate(dir, Minimal("nextcloud", busy));
        Assert.Empty(generation.Diagnostics.Where(d => d.Code is "MG0409" or "MG0413"));
        var hours = generation.Environments.Single().Files
            .Select(f => Regex.Match(f.Content, @"^  schedule: ""?(\d+) (\d+) \* \* [03]""?$", RegexOptions.Multiline))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, hours.Count);
        Assert.All(hours, h => Assert.InRange(h, 12, 16));
    }

    [Fact]
    public void The_rules_do_not_warn_about_a_prune_job_the_REST_server_mode_never_renders()
    {
        using var dir = new TempDirectory();
        // Fixed times: the forget jobs of both hosts start together. Behind the REST server each host has
        // a repository of its own (its forget job prunes it): they do not share a lock, and there is no prune job.
        var server = """
            maintenance: { forget: { schedule: "30 4 * * 0" } }
            """;
        var twoHosts = Minimal("nextcloud", server).Replace("  capacity: 2Ti\n", "  capacity: 2Ti\n  server: { htpasswdSecret: { name: restic-rest-server } }\n", StringComparison.Ordinal)
            + $$"""
              - name: kvm2
                address: 10.40.0.12
                user: backup
                hostKeys: [{{HostKey}}]
                sshKeySecret: { name: ssh-kvm2 }
                apps:
                  - name: gitea
                    paths: [/srv/compose/gitea]

            """;
        var (generation, _) = Generate(dir, twoHosts);
        Assert.False(generation.HasErrors, string.Join("\n", generation.Diagnostics));
        Assert.DoesNotContain(generation.Diagnostics, d => d.Code == "MG0413");
        Assert.DoesNotContain(generation.Diagnostics, d => d.Message.Contains("prune job", StringComparison.Ordinal));
    }
}
