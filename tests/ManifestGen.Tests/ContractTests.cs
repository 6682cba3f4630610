using ManifestGen.Contracts;

namespace ManifestGen.Tests;

public sealed class ContractTests
{
    private static JobConfig Sample() => new()
    {
        Version = JobConfig.CurrentVersion,
        Kind = JobKind.Backup,
        Environment = "test",
        Repository = new RepositoryConfig { Location = "/repository", PasswordFile = "/pw", CacheDir = "/cache" },
        App = new AppConfig { Name = "app", Paths = ["/srv/app"], Strategy = TransferStrategy.Rsync },
    };

    [Fact]
    public void Job_config_round_trips_through_its_canonical_json()
    {
        var json = JobConfigJson.Serialize(Sample());
        Assert.Contains("\"kind\": \"backup\"", json);
        Assert.Contains("\"strategy\": \"rsync\"", json);
        var back = JobConfigJson.Deserialize(json, "job.json");
        Assert.Equal(json, JobConfigJson.Serialize(back));
    }

    [Fact]
    public void Should_refuse_an_unknown_contract_version()
    {
        var json = JobConfigJson.Serialize(Sample() with { Version = 99 });
        var ex = Assert.Throws<JobConfigException>(() => JobConfigJson.Deserialize(json, "job.json"));
        Assert.Contains("version 99", ex.Message);
    }

    [Fact]
    public void Should_refuse_unknown_fields_instead_of_ignoring_them()
    {
        var json = JobConfigJson.Serialize(Sample()).Replace("\"kind\"", "\"unexpected\": 1,\n  \"kind\"");
        Assert.Throws<JobConfigException>(() => JobConfigJson.Deserialize(json, "job.json"));
    }
}
