using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Policies;

/// <summary>
/// The compiled flowchart of a policy version (GET /policies/{key}/versions/{v}/workflow) and the state of a
/// request's instance of it (GET /requests/{id}/workflow) as decisions move it along.
/// </summary>
public sealed class WorkflowEndpointTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private readonly HttpClient _admin = fx.Admin;

    /// <summary>Stage 1 alone (with an SLA), stages 2 and 3 in parallel group 9, stage 4 alone and skippable.</summary>
    private static JsonObject FourStages(string key)
    {
        var first = Stage(1, "any-n", 1, User("u-a"));
        first["sla_hours"] = 24;
        var second = Stage(2, "all", null, User("u-b"));
        second["parallel_group"] = 9;
        var third = Stage(3, "all", null, User("u-c"), User("u-o", kind: "observer"));
        third["parallel_group"] = 9;
        var fourth = Stage(4, "all", null, User("u-d"));
        fourth["skip_if"] = JsonNode.Parse("""{"==": [{"var": "skip_last"}, true]}""");
        return Policy(key, first, second, third, fourth);
    }

    private async Task<JsonNode> DefinitionAsync(string key, int version = 1) =>
        (await fx.Viewer.GetJson($"/v1/awe/policies/{key}/versions/{version}/workflow")).Expect(HttpStatusCode.OK).Json;

    private async Task<JsonNode> InstanceAsync(string requestId) =>
        (await fx.Viewer.GetJson($"/v1/awe/requests/{requestId}/workflow")).Expect(HttpStatusCode.OK).Json;

    private static Dictionary<string, string> NodeStates(JsonNode instance) =>
        instance["nodes"]!.AsArray().ToDictionary(n => (string)n!["id"]!, n => (string)n!["state"]!);

    private static HashSet<(string From, string To, string Outcome)> Connections(JsonNode definition) =>
        definition["connections"]!.AsArray().Select(c => ((string)c!["from"]!, (string)c["to"]!, (string)c["outcome"]!)).ToHashSet();

    private async Task DecideAsync(JsonNode request, string assignee, string action)
    {
        var tasks = (await _admin.GetJson($"/v1/awe/tasks?assignee={assignee}&request_id={request["request_id"]}&status=open")).Expect(HttpStatusCode.OK).Json;
        var task = Assert.Single(tasks["items"]!.AsArray())!;
        (await fx.As(assignee).PostJson($"/v1/awe/tasks/{task["id"]}/decision", new JsonObject { ["action"] = action })).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_definition_has_start_a_group_per_stage_group_a_node_per_stage_joins_and_both_outcomes()
    {
        (await _admin.PostJson("/v1/awe/policies", FourStages("wf.shape"))).Expect(HttpStatusCode.Created);

        var definition = await DefinitionAsync("wf.shape");

        var nodes = definition["nodes"]!.AsArray().ToDictionary(n => (string)n!["id"]!);
        Assert.Equal(
            ["start", "group-1", "stage-1", "join-1", "group-2", "stage-2", "stage-3", "join-2", "group-4", "stage-4", "join-4", "approved", "rejected"],
            nodes.Keys);
        Assert.Equal("start", (string?)nodes["start"]!["type"]);
        Assert.Equal(["group-1", "group-2", "group-4"], nodes.Values.Where(n => (string?)n!["type"] == "stage_group").Select(n => (string)n!["id"]!));
        Assert.Equal(["join-1", "join-2", "join-4"], nodes.Values.Where(n => (string?)n!["type"] == "join").Select(n => (string)n!["id"]!));
        Assert.Equal(["approved", "rejected"], nodes.Values.Where(n => (string?)n!["type"] == "outcome").Select(n => (string)n!["id"]!));
        Assert.Equal([2, 3], nodes["group-2"]!["stage_orders"]!.AsArray().Select(o => (int)o!));

        var stages = nodes.Values.Where(n => (string?)n!["type"] == "approval_stage").ToList();
        Assert.Equal([1, 2, 3, 4], stages.Select(s => (int)s!["stage"]!["stage_order"]!));
        Assert.Equal(24, (int?)nodes["stage-1"]!["stage"]!["sla_hours"]);
        Assert.Equal(9, (int?)nodes["stage-3"]!["stage"]!["parallel_group"]);
        Assert.Equal(["approver", "observer"], nodes["stage-3"]!["stage"]!["rules"]!.AsArray().Select(r => (string)r!["kind"]!));
        Assert.NotNull(nodes["stage-4"]!["stage"]!["skip_if"]);

        var expected = new HashSet<(string, string, string)>
        {
            ("start", "group-1", "done"),
            ("group-1", "stage-1", "start"),
            ("stage-1", "join-1", "approved"), ("stage-1", "join-1", "skipped"), ("stage-1", "rejected", "rejected"),
            ("join-1", "group-2", "done"),
            ("group-2", "stage-2", "start"), ("group-2", "stage-3", "start"), // parallel stages share one group node
            ("stage-2", "join-2", "approved"), ("stage-2", "join-2", "skipped"), ("stage-2", "rejected", "rejected"),
            ("stage-3", "join-2", "approved"), ("stage-3", "join-2", "skipped"), ("stage-3", "rejected", "rejected"),
            ("join-2", "group-4", "done"),
            ("group-4", "stage-4", "start"),
            ("stage-4", "join-4", "approved"), ("stage-4", "join-4", "skipped"), ("stage-4", "rejected", "rejected"),
            ("join-4", "approved", "done"),
        };
        Assert.Equal(expected, Connections(definition));
        Assert.Equal(definition["connections"]!.AsArray().Count, expected.Count); // no duplicates
    }

    [Fact]
    public async Task A_drafts_definition_is_a_preview_and_the_active_one_is_the_stored_compilation()
    {
        (await _admin.PostJson("/v1/awe/policies", FourStages("wf.preview"))).Expect(HttpStatusCode.Created);

        var draft = await DefinitionAsync("wf.preview");
        Assert.True((bool)draft["preview"]!);
        Assert.Equal("draft", (string?)draft["policy_status"]);
        Assert.Equal("wf.preview:v1", (string?)draft["definition_id"]);
        Assert.Equal(("wf.preview", 1), ((string)draft["policy_key"]!, (int)draft["policy_version"]!));

        (await _admin.PostJson("/v1/awe/policies/wf.preview/versions/1/activate")).Expect(HttpStatusCode.OK);
        var active = await DefinitionAsync("wf.preview");
        Assert.False((bool)active["preview"]!);
        Assert.Equal("active", (string?)active["policy_status"]);
        Assert.True(JsonNode.DeepEquals(draft["nodes"], active["nodes"]));
        Assert.True(JsonNode.DeepEquals(draft["connections"], active["connections"]));
        Assert.Equal((string?)active["compiled_at"], (string?)(await DefinitionAsync("wf.preview"))["compiled_at"]); // stored, not recompiled per read
    }

    [Fact]
    public async Task A_zero_stage_policy_compiles_to_start_then_approved()
    {
        (await _admin.PostJson("/v1/awe/policies", Policy("wf.empty"))).Expect(HttpStatusCode.Created);
        var compiled = await DefinitionAsync("wf.empty");

        Assert.Equal(["start", "approved", "rejected"], compiled["nodes"]!.AsArray().Select(n => (string)n!["id"]!));
        Assert.Equal([("start", "approved", "done")], Connections(compiled));
    }

    [Fact]
    public async Task Definition_of_an_unknown_key_or_version_is_404()
    {
        (await _admin.PostJson("/v1/awe/policies", FourStages("wf.missing"))).Expect(HttpStatusCode.Created);
        EnvelopeAssert.Error(await fx.Viewer.GetJson("/v1/awe/policies/wf.missing/versions/2/workflow"), HttpStatusCode.NotFound, "AWE-001");
        EnvelopeAssert.Error(await fx.Viewer.GetJson("/v1/awe/policies/wf.nobody/versions/1/workflow"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task Instance_node_states_and_bookmarks_follow_the_request_to_approval()
    {
        await CreateActiveAsync(_admin, FourStages("wf.run"));
        var created = DateTime.UtcNow;
        var request = await RequestAsync(_admin, "wf.run", new JsonObject { ["skip_last"] = true });
        var id = (string)request["request_id"]!;

        var started = await InstanceAsync(id);
        Assert.Equal((id, "wf.run:v1", "wf.run", 1), ((string)started["request_id"]!, (string)started["definition_id"]!,
            (string)started["policy_key"]!, (int)started["policy_version"]!));
        Assert.Equal(("in_review", 1), ((string)started["status"]!, (int)started["current_stage_order"]!));
        Assert.Equal(new Dictionary<string, string>
        {
            ["start"] = "done", ["group-1"] = "done", ["stage-1"] = "active", ["join-1"] = "pending",
            ["group-2"] = "pending", ["stage-2"] = "pending", ["stage-3"] = "pending", ["join-2"] = "pending",
            ["group-4"] = "pending", ["stage-4"] = "pending", ["join-4"] = "pending", ["approved"] = "pending", ["rejected"] = "pending",
        }, NodeStates(started));
        Assert.Equal(["approval_stage"], started["nodes"]!.AsArray().Where(n => (string?)n!["id"] == "stage-1").Select(n => (string)n!["type"]!));
        Assert.Equal(1, (int?)started["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "stage-1")!["stage_order"]);
        Assert.Equal("wf.run:v1", (string?)started["definition"]!["definition_id"]); // the definition it runs travels with it

        var bookmarks = started["bookmarks"]!.AsArray();
        var taskId = (string)request["tasks"]![0]!["id"]!;
        var decision = Assert.Single(bookmarks, b => (string?)b!["kind"] == "task_decision")!;
        Assert.Equal(("stage-1", taskId, "u-a"), ((string)decision["node_id"]!, (string)decision["task_id"]!, (string)decision["assignee"]!));
        var deadline = Assert.Single(bookmarks, b => (string?)b!["kind"] == "sla_deadline")!;
        Assert.Equal("stage-1", (string?)deadline["node_id"]);
        Assert.InRange((DateTime)deadline["due_at"]!, created.AddHours(24).AddMinutes(-1), created.AddHours(24).AddMinutes(1));
        Assert.Equal(2, bookmarks.Count);

        await DecideAsync(request, "u-a", "approve");
        var parallel = await InstanceAsync(id);
        var states = NodeStates(parallel);
        Assert.Equal(("done", "done", "done", "active", "active", "pending"),
            (states["stage-1"], states["join-1"], states["group-2"], states["stage-2"], states["stage-3"], states["join-2"]));
        Assert.Equal(2, (int?)parallel["current_stage_order"]);
        // One bookmark per live task (the observer's too); no SLA on these stages, so no deadline bookmark.
        var live = parallel["bookmarks"]!.AsArray();
        Assert.All(live, b => Assert.Equal("task_decision", (string?)b!["kind"]));
        Assert.Equal([("stage-2", "u-b"), ("stage-3", "u-c"), ("stage-3", "u-o")],
            live.Select(b => ((string)b!["node_id"]!, (string)b["assignee"]!)).Order());

        await DecideAsync(request, "u-c", "approve");
        var halfway = await InstanceAsync(id);
        Assert.Equal(("active", "done", "pending"), (NodeStates(halfway)["stage-2"], NodeStates(halfway)["stage-3"], NodeStates(halfway)["join-2"]));
        Assert.Equal([("stage-2", "u-b")], halfway["bookmarks"]!.AsArray().Select(b => ((string)b!["node_id"]!, (string)b["assignee"]!)));

        await DecideAsync(request, "u-b", "approve");
        var finished = await InstanceAsync(id);
        Assert.Equal("approved", (string?)finished["status"]);
        Assert.Equal(new Dictionary<string, string>
        {
            ["start"] = "done", ["group-1"] = "done", ["stage-1"] = "done", ["join-1"] = "done",
            ["group-2"] = "done", ["stage-2"] = "done", ["stage-3"] = "done", ["join-2"] = "done",
            ["group-4"] = "done", ["stage-4"] = "skipped", ["join-4"] = "done", ["approved"] = "done", ["rejected"] = "pending",
        }, NodeStates(finished));
        Assert.Empty(finished["bookmarks"]!.AsArray());
    }

    [Fact]
    public async Task A_rejection_in_a_parallel_group_marks_the_stage_rejected_and_skips_its_sibling()
    {
        await CreateActiveAsync(_admin, FourStages("wf.reject"));
        var request = await RequestAsync(_admin, "wf.reject");
        var id = (string)request["request_id"]!;

        await DecideAsync(request, "u-a", "approve");
        await DecideAsync(request, "u-b", "reject");

        var rejected = await InstanceAsync(id);
        Assert.Equal("rejected", (string?)rejected["status"]);
        var states = NodeStates(rejected);
        Assert.Equal(("done", "rejected", "skipped", "pending", "pending", "done", "pending"),
            (states["stage-1"], states["stage-2"], states["stage-3"], states["join-2"], states["stage-4"], states["rejected"], states["approved"]));
        Assert.Empty(rejected["bookmarks"]!.AsArray());
    }

    [Fact]
    public async Task A_cancelled_request_has_no_bookmarks_left()
    {
        await CreateActiveAsync(_admin, FourStages("wf.cancel"));
        var request = await RequestAsync(_admin, "wf.cancel");

        (await _admin.PostJson($"/v1/awe/requests/{request["request_id"]}/cancel", new JsonObject { ["reason"] = "withdrawn" })).Expect(HttpStatusCode.OK);

        var cancelled = await InstanceAsync((string)request["request_id"]!);
        Assert.Equal("cancelled", (string?)cancelled["status"]);
        Assert.Empty(cancelled["bookmarks"]!.AsArray());
        Assert.DoesNotContain(NodeStates(cancelled).Values, s => s == "active");
    }

    [Fact]
    public async Task Instance_of_an_unknown_request_is_404_AWE_003()
    {
        var message = EnvelopeAssert.ErrorMessage(await fx.Viewer.GetJson("/v1/awe/requests/no-such-request/workflow"), HttpStatusCode.NotFound, "AWE-003");
        Assert.Contains("no-such-request", message);
    }
}
