using System.Text.Json.Nodes;
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

    [Theory]
    [InlineData("reporting")]
    [InlineData("terminationGracePeriodSeconds")]
    [InlineData("partialIsFailure")]
    [InlineData("retryLockSeconds")]
    public void A_configuration_that_leaves_out_a_field_is_refused_naming_it(string field)
    {
        // The source-generated reader would give a left-out field zero, false or null instead of its
        // default (partialIsFailure false: partial backups reported as successes): it must be refused.
        var json = JsonNode.Parse(JobConfigJson.Serialize(Sample()))!.AsObject();
        foreach (var node in new[] { json, json["app"]!.AsObject(), json["repository"]!.AsObject() })
            node.Remove(field);
        var ex = Assert.Throws<JobConfigException>(() => JobConfigJson.Deserialize(json.ToJsonString(), "job.json"));
        Assert.Contains($"'{field}'", ex.Message);
        Assert.StartsWith("job.json: ", ex.Message);
    }
}
