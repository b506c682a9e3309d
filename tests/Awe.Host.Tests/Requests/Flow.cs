using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Npgsql;
using PolicyDocs = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Requests;

/// <summary>
/// Shorthand for driving approval flows through the HTTP API in request and task tests: fresh policy keys and
/// user names per test (test classes share one database), requests, decisions, and reads of the outcome.
/// </summary>
public static class Flow
{
    public const string ArtifactType = "test.artifact";

    /// <summary>A name no other test uses, e.g. "alice-3f2a9c1d", so tests sharing a database never see each other's tasks.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Sets a field and returns the object, for building policy and request bodies inline.</summary>
    public static JsonObject With(this JsonObject o, string key, JsonNode? value)
    {
        o[key] = value;
        return o;
    }

    /// <summary>Parses a JSON literal written in a test (rules, contexts).</summary>
    public static JsonNode J(string json) => JsonNode.Parse(json)!;

    public static JsonObject Users(params string[] ids) => new() { ["approvers"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()) };

    /// <summary>Creates and activates a policy under a fresh key with the given stages; <paramref name="edit"/> may set policy fields.</summary>
    public static async Task<string> PolicyAsync(HttpClient admin, Action<JsonObject>? edit, params JsonObject[] stages)
    {
        var policy = PolicyDocs.Policy(Unique("pol"), stages);
        edit?.Invoke(policy);
        return await PolicyDocs.CreateActiveAsync(admin, policy);
    }

    public static Task<string> PolicyAsync(HttpClient admin, params JsonObject[] stages) => PolicyAsync(admin, null, stages);

    /// <summary>A one-stage policy whose approvers are the given users.</summary>
    public static Task<string> OneStageAsync(HttpClient admin, string mode, int? modeValue, params string[] approvers) =>
        PolicyAsync(admin, PolicyDocs.Stage(1, mode, modeValue, approvers.Select(a => PolicyDocs.User(a)).ToArray()));

    public static JsonObject RequestBody(string policyKey, JsonObject? context = null, string? artifactId = null, string? requester = null,
        string artifactType = ArtifactType)
    {
        var body = new JsonObject
        {
            ["policy_key"] = policyKey, ["artifact_type"] = artifactType, ["artifact_id"] = artifactId ?? Unique("art"),
            ["context"] = context ?? new JsonObject(),
        };
        if (requester is not null) body["requester"] = requester;
        return body;
    }

    /// <summary>POST /requests, expecting 201; returns the create response.</summary>
    public static async Task<JsonNode> CreateAsync(HttpClient caller, string policyKey, JsonObject? context = null, string? requester = null,
        string? artifactId = null, string artifactType = ArtifactType) =>
        (await caller.PostJson("/v1/awe/requests", RequestBody(policyKey, context, artifactId, requester, artifactType)))
        .Expect(HttpStatusCode.Created).Json;

    public static string Str(this JsonNode node, string field) =>
        (string?)node[field] ?? throw new Xunit.Sdk.XunitException($"'{field}' missing or null in {node.ToJsonString()}");

    public static string RequestId(this JsonNode created) => created.Str("request_id");

    public static JsonNode[] Items(this JsonNode? array) => array!.AsArray().Select(n => n!).ToArray();

    /// <summary>The one task of the create response (or a task list) held by <paramref name="assignee"/>.</summary>
    public static JsonNode TaskOf(this JsonNode createdOrList, string assignee)
    {
        var tasks = createdOrList is JsonArray a ? a.Items() : createdOrList["tasks"].Items();
        return Assert.Single(tasks, t => (string?)t["assignee"] == assignee);
    }

    /// <summary>The assignee decides on their own task (POST /tasks/{id}/decision as that user).</summary>
    public static Task<Reply> DecideAsync(this PostgresAppFixture f, JsonNode task, string action, string? comment = null) =>
        f.As(task.Str("assignee")).PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", Decision(action, comment));

    public static JsonObject Decision(string action, string? comment = null)
    {
        var body = new JsonObject { ["action"] = action };
        if (comment is not null) body["comment"] = comment;
        return body;
    }

    public static async Task<JsonNode> RequestAsync(this PostgresAppFixture f, string requestId) =>
        (await f.Admin.GetJson($"/v1/awe/requests/{requestId}")).Expect(HttpStatusCode.OK).Json;

    public static async Task<string> StatusOf(this PostgresAppFixture f, string requestId) => (await f.RequestAsync(requestId)).Str("status");

    public static async Task<JsonNode[]> EventsAsync(this PostgresAppFixture f, string requestId) =>
        (await f.Admin.GetJson($"/v1/awe/requests/{requestId}/events")).Expect(HttpStatusCode.OK).Json.Items();

    public static async Task<string[]> EventTypesAsync(this PostgresAppFixture f, string requestId) =>
        (await f.EventsAsync(requestId)).Select(e => e.Str("event_type")).ToArray();

    /// <summary>The single event of a type; fails when there is none or several.</summary>
    public static async Task<JsonNode> EventAsync(this PostgresAppFixture f, string requestId, string type) =>
        Assert.Single(await f.EventsAsync(requestId), e => (string?)e["event_type"] == type)["payload"]!;

    private static readonly string[] TaskStatuses = ["open", "claimed", "completed", "skipped", "expired", "reassigned"];

    /// <summary>
    /// Every task of a request whatever its status. GET /tasks has no "all statuses of everyone" view
    /// (assignee=* with a status lists that status), so this asks once per status.
    /// </summary>
    public static async Task<JsonNode[]> TasksAsync(this PostgresAppFixture f, string requestId)
    {
        var all = new List<JsonNode>();
        foreach (var status in TaskStatuses)
        {
            var page = (await f.Admin.GetJson($"/v1/awe/tasks?assignee=*&request_id={requestId}&status={status}&page_size=100"))
                .Expect(HttpStatusCode.OK).Json;
            all.AddRange(page["items"].Items());
        }
        return all.ToArray();
    }

    /// <summary>assignee → status of that user's tasks on a request, e.g. "bob" → "skipped".</summary>
    public static async Task<Dictionary<string, string>> TaskStatusesAsync(this PostgresAppFixture f, string requestId, int? stageOrder = null) =>
        (await f.TasksAsync(requestId))
        .Where(t => stageOrder is null || (int?)t["stage_order"] == stageOrder)
        .GroupBy(t => t.Str("assignee"))
        .ToDictionary(g => g.Key, g => string.Join(",", g.Select(t => t.Str("status")).Order()));

    /// <summary>The live (open or claimed) tasks of one user on a request.</summary>
    public static async Task<JsonNode[]> LiveTasksOf(this PostgresAppFixture f, string requestId, string assignee) =>
        (await f.TasksAsync(requestId))
        .Where(t => t.Str("assignee") == assignee && t.Str("status") is "open" or "claimed").ToArray();

    /// <summary>A count straight from the database, to prove what the API cannot show (e.g. no duplicate rows).</summary>
    public static async Task<long> CountAsync(this PostgresAppFixture f, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(f.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public static string ErrorMessage(this Reply reply) => (string?)reply.Body?["errors"]?[0]?["message"] ?? "";

    public static void ExpectError(this Reply reply, HttpStatusCode status, string code)
    {
        reply.Expect(status);
        Assert.Equal(code, reply.ErrorCode);
    }
}
