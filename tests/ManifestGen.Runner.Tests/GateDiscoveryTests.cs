using System.Text.Json;
using ManifestGen.Cli;
using ManifestGen.Contracts;
using ManifestGen.Planning;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The gate's discovery for the coverage job: one fixed request of the backup key, listed as `discover`,
/// answered with the compose projects' names, files, images, mounts and states and nothing else. The host's
/// `docker` answers from tests/fixtures/docker-discovery, whose containers hold secrets in their
/// environment and labels.
/// </summary>
[Collection(GateHostCollection.Name)]
public sealed class GateDiscoveryTests(RealHost host)
{
    /// <summary>What the fixtures hold that must never leave the gate (environment values, a label's password hash, commands).</summary>
    private static readonly string[] Secrets = ["fixture-secret-", "$apr1$", "POSTGRES_PASSWORD", "Env", "Labels", "daemon off", "traefik", "config-hash"];

    [Fact]
    public async Task The_discovery_reports_projects_services_images_mounts_and_states_and_no_environment_label_or_command()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var dir = s.CreateApp(HostState.UniqueApp("shop"), dataFiles: 1);
        var gate = await GatedHost.InstallAsync(s, $"""
                  - name: {Path.GetFileName(dir)}
                    paths: [{dir}]
            """, coverage: true);
        Assert.Contains("\ndiscover\n", gate.Files[HostGatePlan.BackupAllowFile]);
        Assert.DoesNotContain("discover", gate.Files[HostGatePlan.RestoreAllowFile]);

        var calls = Logged(host.DockerDiscoveryCalls);
        var r = await GateTests.SshAsync(host.Ssh, gate.BackupKey, RemoteCommands.Discover);
        Assert.True(r.ExitCode == 0, r.Stderr + gate.Log);
        Assert.Equal(
            [
                "compose ls --all --format json",
                "ps --all --quiet --no-trunc --filter label=com.docker.compose.project",
                "inspect --type container " + string.Join(' ', FixtureIds()),
            ],
            Logged(host.DockerDiscoveryCalls)[calls.Length..]);
        foreach (var secret in Secrets) Assert.DoesNotContain(secret, r.Stdout, StringComparison.Ordinal);

        var discovery = CoverageJson.ParseDiscovery(r.Stdout, "the gate's answer");
        Assert.Equal(["notes", "shop", "wiki"], discovery.Projects.Select(p => p.Name));
        var shop = discovery.Projects.Single(p => p.Name == "shop");
        Assert.Equal("/srv/shop", shop.WorkingDir);
        Assert.Equal(["/srv/shop/compose.yaml"], shop.ConfigFiles.AsEnumerable());
        Assert.Equal(["db", "web"], shop.Containers.Select(c => c.Service));
        var db = shop.Containers[0];
        Assert.Equal(("postgres:16.4", true, "running"), (db.Image, db.Running, db.State));
        var volume = Assert.Single(db.Mounts);
        Assert.Equal(("volume", "shop_pgdata", "/var/lib/docker/volumes/shop_pgdata/_data", "/var/lib/postgresql/data", false),
            (volume.Type, volume.Name, volume.Source, volume.Destination, volume.ReadOnly));
        var web = shop.Containers[1];
        Assert.Equal([("/srv/shop-uploads", false), ("/srv/shop/html", true)], web.Mounts.Select(m => (m.Source, m.ReadOnly)).OrderBy(m => m.Source, StringComparer.Ordinal));
        Assert.Null(web.Mounts[0].Name);
        Assert.Equal(["/srv/wiki/compose.yaml", "/srv/wiki/compose.override.yaml"], discovery.Projects.Single(p => p.Name == "wiki").ConfigFiles.AsEnumerable());
        Assert.False(discovery.Projects.Single(p => p.Name == "notes").Containers.Single().Running);
        // The filter names each field it passes: the answer holds only those.
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(["format", "projects"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["name", "status", "configFiles", "workingDir", "containers"], json.RootElement.GetProperty("projects")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["name", "service", "image", "state", "running", "mounts"], json.RootElement.GetProperty("projects")[0].GetProperty("containers")[0].EnumerateObject().Select(p => p.Name));
        Assert.Contains("discovery: 5 containers", gate.Log);
    }

    [Fact]
    public async Task Should_refuse_every_request_that_would_read_more_than_the_discovery_and_the_discovery_without_its_entry()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var dir = s.CreateApp(HostState.UniqueApp("shop"), dataFiles: 1);
        var marker = s.Dir.Combine("pwned");
        var apps = $"""
                  - name: {Path.GetFileName(dir)}
                    paths: [{dir}]
                    hooks:
                      stopServices: [db]
                      composeDirectory: {dir}
            """;
        var gate = await GatedHost.InstallAsync(s, apps, coverage: true);
        var id = FixtureIds()[0];
        var calls = Logged(host.DockerDiscoveryCalls).Length;
        var attacks = new Dictionary<string, string>
        {
            ["an argument"] = RemoteCommands.Discover + " --all",
            ["a trailing space"] = RemoteCommands.Discover + " ",
            ["a format string"] = RemoteCommands.Discover + " --format '{{json .Config.Env}}'",
            ["a container to inspect"] = RemoteCommands.Discover + " " + id,
            ["a command after ;"] = RemoteCommands.Discover + $"; touch {marker}",
            ["a command after &&"] = RemoteCommands.Discover + $" && touch {marker}",
            ["a command substitution"] = RemoteCommands.Discover + $" $(touch {marker})",
            ["a line break"] = RemoteCommands.Discover + $"\ntouch {marker}",
            ["an environment assignment"] = "DOCKER_HOST=tcp://127.0.0.1:1 " + RemoteCommands.Discover,
            ["through env"] = "env " + RemoteCommands.Discover,
            ["a prefix of the word"] = "manifestgen-discove",
            ["the word with a suffix"] = RemoteCommands.Discover + "x",
            ["docker compose ls itself"] = "docker compose ls --all --format json",
            ["docker inspect of a container"] = "docker inspect " + id,
            ["docker inspect with a format"] = "docker inspect --format '{{json .Config.Env}}' shop-db-1",
            ["docker inspect of a volume"] = "docker volume inspect shop_pgdata",
            ["docker inspect of the engine"] = "docker info --format '{{json .}}'",
            ["docker ps with a format"] = "docker ps --all --format '{{json .}}'",
            ["docker exec env"] = "docker exec shop-db-1 env",
            ["compose config (the resolved file, secrets and all)"] = $"cd '{dir}' && docker compose config",
            ["compose ls in a listed folder"] = $"cd '{dir}' && docker compose ls --all --format json",
            ["compose ps with a format"] = $"cd '{dir}' && docker compose ps --format json",
        };
        foreach (var (what, command) in attacks)
            GateTests.AssertRefused(await GateTests.SshAsync(host.Ssh, gate.BackupKey, command), what);
        GateTests.AssertRefused(await GateTests.SshAsync(host.Ssh, gate.RestoreKey, RemoteCommands.Discover), "the discovery with the restore key");
        Assert.False(File.Exists(marker), "an injected command ran");
        Assert.Equal(calls, Logged(host.DockerDiscoveryCalls).Length);
        Assert.False(File.Exists(Path.Combine(dir, ".calls")), "compose ran");

        // A host without a coverage job: its allow-list does not list the discovery, and the gate refuses it.
        var plain = await GatedHost.InstallAsync(s, apps);
        Assert.DoesNotContain("discover", plain.Files[HostGatePlan.BackupAllowFile]);
        var refused = await GateTests.SshAsync(host.Ssh, plain.BackupKey, RemoteCommands.Discover);
        GateTests.AssertRefused(refused, "the discovery without its entry");
        Assert.Contains("does not list", refused.Stderr);
        Assert.Equal(calls, Logged(host.DockerDiscoveryCalls).Length);
    }

    /// <summary>The fixtures' host as an inventory would have it: shop and wiki have apps, notes has none.</summary>
    private const string CoverageApps = """
                  - name: shop
                    paths: [/srv/shop]
                    hooks:
                      stopServices: [web]
                      composeDirectory: /srv/shop
                  - name: wiki
                    paths: [/srv/wiki]
                    excludes: [cache]
                    hooks:
                      composeDirectory: /srv/wiki
                      dumps:
                        - name: db
                          command: "docker compose -f /srv/wiki/compose.yaml exec -T db mariadb-dump --all-databases"
                          fileName: wiki.sql
            """;

    /// <summary>The job configuration the coverage CronJob carries for those apps.</summary>
    private static JobConfig CoverageJobConfig(Scenario s, GatedHost gate, string metrics)
    {
        AppConfig shop = s.App("shop", paths: ["/srv/shop"]) with { Hooks = new HooksConfig { StopServices = ["web"], ComposeDirectory = "/srv/shop" } };
        AppConfig wiki = s.App("wiki", paths: ["/srv/wiki"]) with
        {
            Excludes = ["cache"],
            Hooks = new HooksConfig
            {
                ComposeDirectory = "/srv/wiki",
                Dumps = [new DumpStream { Name = "db", Command = "docker compose -f /srv/wiki/compose.yaml exec -T db mariadb-dump --all-databases", FileName = "wiki.sql" }],
            },
        };
        var backup = gate.Gated(s.Backup(shop));
        return backup with
        {
            Kind = JobKind.Coverage,
            // The coverage pod mounts nothing of the repository: its password is not there.
            Repository = backup.Repository with { PasswordFile = s.Dir.Combine("not-mounted", "password") },
            App = null,
            Coverage = new CoverageConfig { Apps = [shop, wiki] },
            Reporting = new ReportingConfig { MetricsFile = metrics },
        };
    }

    [Fact]
    public async Task The_coverage_run_through_the_rendered_gate_finds_exactly_the_project_without_app_the_mounts_outside_the_apps_the_excluded_mount_and_the_database_without_dump()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var gate = await GatedHost.InstallAsync(s, CoverageApps, coverage: true);
        var metrics = s.Dir.Combine("metrics.prom");
        var run = await s.RunAsync(CoverageJobConfig(s, gate, metrics), "coverage");
        Assert.True(run.ExitCode == 0, run + "\n" + gate.Log);
        Assert.Equal(Reporting.Outcome.Warning, run.Summary.Outcome);
        var report = Assert.IsType<CoverageReport>(run.Summary.Coverage);
        Assert.Equal(s.HostName, report.Host);
        Assert.Equal(
            [
                (CoverageFindingKind.ProjectWithoutApp, "notes", (string?)null, (string?)"/opt/notes"),
                (CoverageFindingKind.MountNotBackedUp, "shop", "db", "/var/lib/docker/volumes/shop_pgdata/_data"),
                (CoverageFindingKind.DatabaseWithoutDump, "shop", "db", null),
                (CoverageFindingKind.MountNotBackedUp, "shop", "web", "/srv/shop-uploads"),
                (CoverageFindingKind.MountExcluded, "wiki", "app", "/srv/wiki/data/cache"),
            ],
            report.Findings.Select(f => (f.Kind, f.Project, f.Service, f.Path)));
        Assert.Equal("shop_pgdata", report.Findings[1].Volume);
        Assert.Equal("postgres", report.Findings[2].Database);
        Assert.Equal("cache", report.Findings[4].Exclude);
        Assert.Equal(report.Findings.Select(f => f.Message), run.Summary.Warnings.AsEnumerable());
        // The summary line carries the report in the form `manifestgen discover` reads.
        Assert.Equal(report.Findings.Select(f => (f.Kind, f.Path, f.Message)), CoverageJson.ParseReport(run.Stdout, "summary").Findings.Select(f => (f.Kind, f.Path, f.Message)));
        foreach (var secret in Secrets) Assert.DoesNotContain(secret, run.Stdout, StringComparison.Ordinal);

        // `manifestgen discover` turns the summary line into entries that validate and render through the real generator.
        var summaryFile = s.Dir.Combine("coverage.json");
        await File.WriteAllTextAsync(summaryFile, run.Stdout);
        var entries = Discover(summaryFile);
        Assert.Contains("#   add to paths: /srv/shop-uploads\n", entries);
        Assert.Contains("#   add to paths: /var/lib/docker/volumes/shop_pgdata/_data  (volume shop_pgdata)\n", entries);
        Assert.Contains("#   remove from excludes: cache  (it leaves out /srv/wiki/data/cache)\n", entries);
        Assert.Contains("#   add to hooks.dumps: { name: db, command: \"docker compose -f /srv/shop/compose.yaml exec -T db sh -c 'pg_dumpall", entries);
        Assert.Contains("- name: notes\n  paths:\n    - /opt/notes\n    - /var/lib/docker/volumes/notes_index/_data\n  hooks:\n    composeDirectory: /opt/notes\n    stopServices: [app]\n", entries);
        var withNotes = await GatedHost.InstallAsync(s, CoverageApps + Indent(entries), coverage: true);
        Assert.Contains("path\tnotes\t/opt/notes\n", withNotes.Files[HostGatePlan.BackupAllowFile]);
        Assert.Contains("compose\t/opt/notes\tapp\n", withNotes.Files[HostGatePlan.BackupAllowFile]);

        // Without the shop app, its entry carries the postgres dump, which the gate then lists byte for byte.
        var wikiOnly = CoverageAnalysis.Compare(s.HostName, report.Discovery, [.. CoverageJobConfig(s, gate, metrics).Coverage!.Apps.Where(a => a.Name == "wiki")]);
        await File.WriteAllTextAsync(summaryFile, CoverageJson.Serialize(wikiOnly));
        var shopEntries = Discover(summaryFile);
        const string pgDump = "docker compose -f /srv/shop/compose.yaml exec -T db sh -c 'pg_dumpall --clean --if-exists -U \"${POSTGRES_USER:-postgres}\"'";
        var wikiApp = CoverageApps[CoverageApps.IndexOf("      - name: wiki", StringComparison.Ordinal)..];
        var withShop = await GatedHost.InstallAsync(s, wikiApp + Indent(shopEntries), coverage: true);
        Assert.Contains($"exec\tshop\t-\t{pgDump}\n", withShop.Files[HostGatePlan.BackupAllowFile]);
        Assert.Contains("compose\t/srv/shop\tweb\n", withShop.Files[HostGatePlan.BackupAllowFile]);
        Assert.Contains("path\tshop\t/srv/shop-uploads\n", withShop.Files[HostGatePlan.BackupAllowFile]);

        var prom = await File.ReadAllTextAsync(metrics);
        var labels = $"command=\"coverage\",app=\"\",host=\"{s.HostName}\"";
        Assert.Contains($"manifestgen_uncovered_projects{{{labels}}} 1\n", prom);
        Assert.Contains($"manifestgen_uncovered_mounts{{{labels}}} 2\n", prom);
        Assert.Contains($"manifestgen_uncovered_excluded_mounts{{{labels}}} 1\n", prom);
        Assert.Contains($"manifestgen_uncovered_databases{{{labels}}} 1\n", prom);
    }

    [Fact]
    public async Task The_coverage_run_fails_naming_the_allow_list_to_install_when_the_gate_does_not_list_the_discovery()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var gate = await GatedHost.InstallAsync(s, CoverageApps);
        var run = await s.RunAsync(CoverageJobConfig(s, gate, s.Dir.Combine("metrics.prom")), "coverage");
        Assert.Equal((int)RunnerExit.Failure, run.ExitCode);
        Assert.Contains($"the gate on host {s.HostName} refused the discovery", run.Summary.Error);
        Assert.Contains(gate.AllowLists.Backup.File, run.Summary.Error);
        Assert.Null(run.Summary.Coverage);
    }

    [Fact]
    public async Task The_self_test_checks_that_a_host_listing_the_discovery_has_jq_and_docker()
    {
        await using var s = await Scenario.CreateAsync(host, initRepo: false);
        var gate = await GatedHost.InstallAsync(s, CoverageApps, coverage: true);
        Task<ManifestGen.Runner.Processes.ProcessResult> SelfTest(string path) =>
            Proc.RunAsync("env", ["PATH=" + path, "bash", GatedHost.GateProgram, "self-test", gate.BackupAllowList], Patience.Command);
        var ok = await SelfTest(host.FakeBin + ":/usr/local/bin:/usr/bin:/bin");
        Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
        Assert.Contains("ok    discovery (coverage): jq and docker are there", ok.Stdout);
        var noDocker = await SelfTest("/usr/bin:/bin");
        Assert.Equal(1, noDocker.ExitCode);
        Assert.Contains("FAIL", noDocker.Stdout);
        Assert.Contains("docker is not on the PATH", noDocker.Stdout);
    }

    /// <summary>`manifestgen discover FILE`, run as the CLI runs it; asserts it succeeds.</summary>
    private static string Discover(string file)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = new CliApp(stdout, stderr).Run(["discover", file], Path.GetDirectoryName(file)!);
        Assert.True(exit == CliApp.Ok, stderr.ToString());
        return stdout.ToString();
    }

    /// <summary>Entries as items of the test inventory's host `apps:` list.</summary>
    private static string Indent(string entries) => "\n" + string.Concat(entries.Split('\n').Select(l => l.Length == 0 ? "\n" : "      " + l + "\n"));

    private static string[] Logged(string file) => File.Exists(file) ? File.ReadAllLines(file) : [];

    private static string[] FixtureIds()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RealHost.DockerFixtures, "inspect.json")));
        return [.. doc.RootElement.EnumerateArray().Select(c => c.GetProperty("Id").GetString()!)];
    }
}
