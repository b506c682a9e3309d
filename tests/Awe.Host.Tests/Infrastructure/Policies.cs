using System.Text.Json.Nodes;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>Builders for policy documents and a helper that creates and activates one.</summary>
public static class Policies
{
    public static JsonObject User(string userId, bool required = false, string kind = "approver") => new()
    {
        ["rule_type"] = "user", ["rule_value"] = new JsonObject { ["user_id"] = userId }, ["kind"] = kind, ["required"] = required,
    };

    public static JsonObject Stage(int order, string mode, int? modeValue, params JsonObject[] rules) => new()
    {
        ["name"] = $"Stage {order}", ["stage_order"] = order, ["mode"] = mode, ["mode_value"] = modeValue,
        ["rules"] = new JsonArray(rules.Select(r => (JsonNode)r).ToArray()),
    };

    public static JsonObject Policy(string key, params JsonObject[] stages) => new()
    {
        ["policy_key"] = key, ["name"] = $"Policy {key}", ["artifact_type"] = "test.artifact",
        ["stages"] = new JsonArray(stages.Select(s => (JsonNode)s).ToArray()),
    };

    /// <summary>Creates and activates a policy; returns its key.</summary>
    public static async Task<string> CreateActiveAsync(HttpClient admin, JsonObject policy)
    {
        var key = policy["policy_key"]!.GetValue<string>();
        (await admin.PostJson("/v1/awe/policies", policy)).Expect(System.Net.HttpStatusCode.Created);
        (await admin.PostJson($"/v1/awe/policies/{key}/versions/1/activate")).Expect(System.Net.HttpStatusCode.OK);
        return key;
    }

    /// <summary>Creates a request under the policy and returns the create response.</summary>
    public static async Task<JsonNode> RequestAsync(HttpClient caller, string key, JsonObject? context = null, string artifactId = "a-1",
        IDictionary<string, string>? headers = null)
    {
        var reply = await caller.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = artifactId, ["context"] = context ?? new JsonObject(),
        }, headers);
        return reply.Expect(System.Net.HttpStatusCode.Created).Json;
    }
}
