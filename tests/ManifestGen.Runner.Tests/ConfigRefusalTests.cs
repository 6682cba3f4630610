using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// The runner refuses a bad job configuration before it does anything, with the check the generator
/// runs on every job.json it renders (JobConfigRules.Check): a table of bad configurations, each given to
/// the real runner process and to the function, must be refused by both, naming the same field.
/// </summary>
public sealed class ConfigRefusalTests
{
    private static readonly JobConfig Valid = new()
    {
        Version = JobConfig.CurrentVersion,
        Kind = JobKind.Backup,
        Environment = "test",
        Repository = new RepositoryConfig { Location = "/repository", PasswordFile = "/var/run/secrets/p", CacheDir = "/var/cache/restic" },
        Host = new HostConfig { Name = "kvm-1", Address = "10.0.0.1", User = "backup", IdentityFile = "/var/run/secrets/ssh/key", KnownHostsFile = "/etc/known_hosts" },
        App = new AppConfig { Name = "app", Paths = ["/srv/app"], Strategy = TransferStrategy.Rsync },
    };

    private static JobConfig WithApp(Func<AppConfig, AppConfig> edit) => Valid with { App = edit(Valid.App!) };

    private static JobConfig WithHooks(Func<HooksConfig, HooksConfig> edit) => WithApp(a => a with { Hooks = edit(a.Hooks) });

    private static readonly DumpStream Dump = new() { Name = "db", Command = "pg_dump app", FileName = "app.sql" };

    private static readonly ImmutableDictionary<string, (JobConfig Config, string Command, string Field)> Table = new Dictionary<string, (JobConfig, string, string)>
    {
        ["relative app path"] = (WithApp(a => a with { Paths = ["srv/app"] }), "backup", "app.paths[0]"),
        ["no app path"] = (WithApp(a => a with { Paths = [] }), "backup", "app.paths"),
        ["backup without host"] = (Valid with { Host = null }, "backup", "host"),
        ["port 0"] = (Valid with { Host = Valid.Host! with { Port = 0 } }, "backup", "host.port"),
        ["quote in the address"] = (Valid with { Host = Valid.Host! with { Address = "host\" -oProxyCommand=x" } }, "backup", "host.address"),
        ["hook timeout 0"] = (WithHooks(h => h with { Before = [new HookCommand { Run = "true", TimeoutSeconds = 0 }] }), "backup", "app.hooks.before[0].timeoutSeconds"),
        ["NUL in a hook"] = (WithHooks(h => h with { After = [new HookCommand { Run = "echo a\0b" }] }), "backup", "app.hooks.after[0].run"),
        ["stop services without compose directory"] = (WithHooks(h => h with { StopServices = ["db"] }), "backup", "app.hooks.stopServices"),
        ["dump file name with a folder"] = (WithHooks(h => h with { Dumps = [Dump with { FileName = "dumps/app.sql" }] }), "backup", "app.hooks.dumps[0].fileName"),
        ["two dumps named alike"] = (WithHooks(h => h with { Dumps = [Dump, Dump with { FileName = "b.sql" }] }), "backup", "app.hooks.dumps[1].name"),
        ["relative repository"] = (Valid with { Repository = Valid.Repository with { Location = "repository" } }, "backup", "repository.location"),
        ["maintain without settings"] = (Valid with { Kind = JobKind.Maintain, Host = null, App = null }, "maintain", "maintenance"),
        ["policy keeps nothing"] = (Valid with
        {
            Kind = JobKind.Maintain, Host = null, App = null,
            Maintenance = new MaintenanceConfig { Groups = [new RetentionGroup { Host = "kvm-1", App = "app", Policy = new RetentionPolicy() }] },
        }, "maintain", "maintenance.groups[0].policy"),
        ["bad keep-within"] = (Valid with
        {
            Kind = JobKind.Maintain, Host = null, App = null,
            Maintenance = new MaintenanceConfig { Groups = [new RetentionGroup { Host = "kvm-1", App = "app", Policy = new RetentionPolicy { KeepWithin = "14 days" } }] },
        }, "maintain", "maintenance.groups[0].policy.keepWithin"),
        ["bad read-data subset"] = (Valid with { Kind = JobKind.Check, Host = null, App = null, Maintenance = new MaintenanceConfig { ReadDataSubset = "8/7" } }, "check", "maintenance.readDataSubset"),
    }.ToImmutableDictionary();

    public static TheoryData<string> Cases() => [.. Table.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void Should_find_nothing_in_the_valid_configuration() => Assert.Empty(JobConfigRules.Check(Valid));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Should_be_refused_by_the_runner_and_by_the_generators_check_alike(string name)
    {
        var (config, command, field) = Table[name];
        var problems = JobConfigRules.Check(config);
        Assert.Contains(problems, p => p.Field == field);

        using var dir = new TempDir();
        var run = await RunnerProcess.RunAsync(RunnerProcess.WriteConfig(dir.Path, config), [command]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("job configuration refused", run.Stderr);
        Assert.Contains(field + ":", run.Stderr);
    }
}
