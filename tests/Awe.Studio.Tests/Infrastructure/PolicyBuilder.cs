using System.Text.Json.Nodes;

namespace Awe.Studio.Tests.Infrastructure;

/// <summary>Policy documents for the tests, as the API's PolicyCreate.</summary>
public static class PolicyBuilder
{
    public const string ArtifactType = "invoice";

    public static JsonObject Stage(int order, string name, string userId, int? parallelGroup = null) => new()
    {
        ["name"] = name,
        ["stage_order"] = order,
        ["mode"] = "any-n",
        ["mode_value"] = 1,
        ["parallel_group"] = parallelGroup,
        ["rules"] = new JsonArray(new JsonObject { ["rule_type"] = "user", ["rule_value"] = new JsonObject { ["user_id"] = userId } }),
    };

    public static JsonObject Policy(string key, params JsonObject[] stages) => new()
    {
        ["policy_key"] = key,
        ["name"] = "Invoice approval",
        ["description"] = "Finance checks the invoice, then the budget owner signs off",
        ["artifact_type"] = ArtifactType,
        ["stages"] = new JsonArray(stages.Select(s => (JsonNode)s).ToArray()),
    };

    public static JsonObject Request(string key, string artifactId, JsonObject context, string? callbackUrl = null) => new()
    {
        ["policy_key"] = key,
        ["artifact_type"] = ArtifactType,
        ["artifact_id"] = artifactId,
        ["context"] = context,
        ["callback_url"] = callbackUrl,
    };
}
