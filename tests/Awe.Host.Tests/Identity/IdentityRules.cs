using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Identity;

using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>Rule builders for role, group and http rules, and small readers of AWE answers.</summary>
public static class IdentityRules
{
    public static JsonObject Role(string role, string? client = null, string kind = "approver")
    {
        var value = new JsonObject { ["role"] = role };
        if (client is not null) value["client"] = client;
        return new JsonObject { ["rule_type"] = "role", ["rule_value"] = value, ["kind"] = kind };
    }

    public static JsonObject Group(string path, bool? includeSubgroups = null, string kind = "approver")
    {
        var value = new JsonObject { ["group"] = path };
        if (includeSubgroups is not null) value["include_subgroups"] = includeSubgroups;
        return new JsonObject { ["rule_type"] = "group", ["rule_value"] = value, ["kind"] = kind };
    }

    public static JsonObject HttpRule(string url, string kind = "approver") => new()
    {
        ["rule_type"] = "http", ["rule_value"] = new JsonObject { ["url"] = url }, ["kind"] = kind,
    };

    private static int counter;

    /// <summary>A fresh policy key per call, so tests sharing a database never collide.</summary>
    public static string Key(string prefix) => $"{prefix}.{Interlocked.Increment(ref counter)}.{Guid.NewGuid():N}"[..(prefix.Length + 16)];

    /// <summary>Creates and activates a one-stage policy with these rules; returns its key.</summary>
    public static Task<string> OneStagePolicyAsync(HttpClient admin, string prefix, string mode, int? modeValue, params JsonObject[] rules) =>
        Policies.CreateActiveAsync(admin, Policies.Policy(Key(prefix), Policies.Stage(1, mode, modeValue, rules)));

    /// <summary>POST /requests without insisting on 201.</summary>
    public static Task<Reply> TryRequestAsync(HttpClient caller, string key, string artifactId, JsonObject? context = null) =>
        caller.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = artifactId, ["context"] = context ?? new JsonObject(),
        });

    /// <summary>Assignees of the tasks in a create answer, sorted, by kind.</summary>
    public static List<string> Assignees(JsonNode created, string kind = "approver") =>
        created["tasks"]!.AsArray().Where(t => (string?)t!["kind"] == kind).Select(t => (string)t!["assignee"]!).Order(StringComparer.Ordinal).ToList();

    public static async Task<JsonObject> EventAsync(HttpClient client, string requestId, string type)
    {
        var events = (await client.GetJson($"/v1/awe/requests/{requestId}/events")).Expect(HttpStatusCode.OK).Json.AsArray();
        return events.Single(e => (string?)e!["event_type"] == type)!["payload"]!.AsObject();
    }

    public static string Message(Reply reply) => reply.Json["errors"]![0]!["message"]!.GetValue<string>();
}
