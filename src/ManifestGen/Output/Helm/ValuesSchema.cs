using System.Text.Json.Nodes;

namespace ManifestGen.Output.Helm;

/// <summary>
/// values.schema.json of the chart (JSON Schema draft-07, which Helm checks on install, upgrade, template
/// and lint): exactly the parameters, closed everywhere, so a typo in `--set` fails instead of being ignored.
/// </summary>
internal static class ValuesSchema
{
    private const string Draft07 = "http://json-schema.org/draft-07/schema#";

    // Kubernetes' own quantity expression (the pattern of its OpenAPI schema for resource.Quantity).
    private const string QuantityPattern = @"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

    public static JsonObject Write(JsonObject resources)
    {
        var perJob = new JsonObject();
        foreach (var (name, _) in resources)
            perJob[name] = new JsonObject { ["$ref"] = "#/definitions/resources" };
        return new JsonObject
        {
            ["$schema"] = Draft07,
            ["title"] = "Parameters of a ManifestGen chart",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("image", "suspend", "resources"),
            ["properties"] = new JsonObject
            {
                ["image"] = new JsonObject
                {
                    ["description"] = "The runner image: repository[:tag][@digest]; an empty tag or digest is left out.",
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["required"] = new JsonArray("repository", "tag", "digest"),
                    ["properties"] = new JsonObject
                    {
                        ["repository"] = Text(@"^[A-Za-z0-9][A-Za-z0-9._/:\[\]-]*$", "Registry and repository, without tag or digest."),
                        ["tag"] = Text(@"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$", "Image tag; empty for none."),
                        ["digest"] = Text(@"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})?$", "Image digest; empty for none."),
                    },
                },
                ["suspend"] = new JsonObject
                {
                    ["description"] = "Suspend every CronJob (a maintenance window); running Jobs finish.",
                    ["type"] = "boolean",
                },
                ["resources"] = new JsonObject
                {
                    ["description"] = "Resources of each job's container, by Job or CronJob name (and of the REST server, by its Deployment name).",
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["properties"] = perJob,
                },
            },
            ["definitions"] = new JsonObject
            {
                ["resources"] = new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["properties"] = new JsonObject
                    {
                        ["limits"] = new JsonObject { ["$ref"] = "#/definitions/amounts" },
                        ["requests"] = new JsonObject { ["$ref"] = "#/definitions/amounts" },
                    },
                },
                ["amounts"] = new JsonObject
                {
                    ["type"] = "object",
                    ["propertyNames"] = new JsonObject { ["pattern"] = @"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$" },
                    ["additionalProperties"] = Text(QuantityPattern, "A Kubernetes quantity, e.g. 250m or 2Gi."),
                },
            },
        };
    }

    private static JsonObject Text(string pattern, string description) => new()
    {
        ["description"] = description,
        ["type"] = "string",
        ["pattern"] = pattern,
    };
}
