using System.Text.Json;
using ManifestGen.Validation.Schema;
using ManifestGen.Testing;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Validation;

public sealed class SchemaTests
{
    [Fact]
    public void Should_keep_the_committed_json_schema_current()
    {
        Golden.AssertRepoFile(InventorySchema.File, InventorySchema.Generate());
    }

    [Fact]
    public void Should_describe_the_inventory_as_draft_07_with_descriptions_and_no_unknown_keys()
    {
        using var doc = JsonDocument.Parse(InventorySchema.Generate());
        var root = doc.RootElement;
        Assert.Equal("http://json-schema.org/draft-07/schema#", root.GetProperty("$schema").GetString());
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
        var properties = root.GetProperty("properties");
        foreach (var key in new[] { "namespace", "gitOps", "image", "repository", "maintenance", "defaults", "secrets", "placeholders", "hosts", "extends" })
            Assert.True(properties.TryGetProperty(key, out _), key);
        Assert.Contains("Kubernetes namespace", properties.GetProperty("namespace").GetProperty("description").GetString());
        var definitions = root.GetProperty("definitions");
        Assert.Equal("#/definitions/HostSpec", properties.GetProperty("hosts").GetProperty("items").GetProperty("allOf")[0].GetProperty("$ref").GetString());
        var app = definitions.GetProperty("AppSpec").GetProperty("properties");
        Assert.Equal(["rsync", "sshfs", "tar"], app.GetProperty("strategy").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
        // storage is a choice: exactly one of nfs or local.
        Assert.Equal(2, definitions.GetProperty("StorageSpec").GetProperty("oneOf").GetArrayLength());
        // a hook may be a plain command.
        Assert.Equal("string", definitions.GetProperty("HookSpec").GetProperty("anyOf")[0].GetProperty("type").GetString());
    }

    [Fact]
    public void Should_name_the_schema_in_every_example_inventory()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "values"), "*.yaml"))
            Assert.StartsWith("# yaml-language-server: $schema=../schemas/inventory.schema.json\n", File.ReadAllText(file));
    }
}
