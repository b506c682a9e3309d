using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Policies;

/// <summary>
/// Every admin mutation leaves an audit_action row with before/after, read back through GET /admin/audit and its
/// filters (reference 4.3). Reads, failed mutations and callers' requests leave none.
/// </summary>
public sealed class AuditTrailTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private readonly HttpClient _admin = fx.Admin;

    private async Task<JsonArray> AuditAsync(string query, HttpClient? client = null) =>
        (await (client ?? fx.Viewer).GetJson($"/v1/awe/admin/audit?{query}")).Expect(HttpStatusCode.OK).Json.AsArray();

    /// <summary>The single row for one action on one resource.</summary>
    private async Task<JsonNode> RowAsync(string action, string resourceId)
    {
        var rows = await AuditAsync($"action={action}&resource_id={Uri.EscapeDataString(resourceId)}");
        var row = Assert.Single(rows)!;
        Assert.Equal(action, (string?)row["action"]);
        Assert.Equal(resourceId, (string?)row["resource_id"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)row["id"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)row["summary"]));
        Assert.InRange((DateTime)row["occurred_at"]!, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        return row;
    }

    private static void AssertActor(JsonNode row, string sub = "admin-sub", string email = "awe-admin@example.org") =>
        Assert.Equal((sub, email), ((string)row["actor"]!, (string)row["actor_email"]!));

    [Fact]
    public async Task Policy_mutations_are_audited_with_before_and_after()
    {
        var created = (await _admin.PostJson("/v1/awe/policies", Policy("au.pol", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created).Json;
        var create = await RowAsync("policy.create", "au.pol:v1");
        AssertActor(create);
        Assert.Equal("policy", (string?)create["resource_type"]);
        Assert.Null(create["before"]);
        Assert.True(JsonNode.DeepEquals(created, create["after"]), $"after should be the full PolicyOut:\n{create["after"]}");

        var editedDocument = Policy("au.pol", Stage(1, "all", null, User("u-b")));
        editedDocument["name"] = "Edited";
        (await _admin.PatchJson("/v1/awe/policies/au.pol/versions/1", editedDocument)).Expect(HttpStatusCode.OK);
        var update = await RowAsync("policy.update", "au.pol:v1");
        Assert.Equal(("Policy au.pol", "Edited"), ((string)update["before"]!["name"]!, (string)update["after"]!["name"]!));
        Assert.Equal("u-a", (string?)update["before"]!["stages"]![0]!["rules"]![0]!["rule_value"]!["user_id"]);
        Assert.Equal("u-b", (string?)update["after"]!["stages"]![0]!["rules"]![0]!["rule_value"]!["user_id"]);

        (await _admin.PostJson("/v1/awe/policies/au.pol/versions/1/activate")).Expect(HttpStatusCode.OK);
        var firstActivation = await RowAsync("policy.activate", "au.pol:v1");
        Assert.Equal(("active", 1), ((string)firstActivation["after"]!["status"]!, (int)firstActivation["after"]!["version"]!));
        Assert.Empty(firstActivation["after"]!["archived"]!.AsArray());

        (await _admin.PutJson("/v1/awe/policies/au.pol", Policy("au.pol", Stage(1, "all", null, User("u-c"))))).Expect(HttpStatusCode.Created);
        var addVersion = await RowAsync("policy.add_version", "au.pol:v2");
        Assert.Equal((2, "draft"), ((int)addVersion["after"]!["version"]!, (string)addVersion["after"]!["status"]!));
        Assert.Null(addVersion["before"]);

        (await _admin.PostJson("/v1/awe/policies/au.pol/versions/2/activate")).Expect(HttpStatusCode.OK);
        var secondActivation = await RowAsync("policy.activate", "au.pol:v2");
        Assert.Equal([1], secondActivation["after"]!["archived"]!.AsArray().Select(v => (int)v!));
        var previous = Assert.Single(secondActivation["before"]!["previous"]!.AsArray())!;
        Assert.Equal((1, "active"), ((int)previous["version"]!, (string)previous["status"]!));

        // Re-activating the active version changes nothing, so records nothing.
        (await _admin.PostJson("/v1/awe/policies/au.pol/versions/2/activate")).Expect(HttpStatusCode.OK);
        await RowAsync("policy.activate", "au.pol:v2");

        (await _admin.PostJson("/v1/awe/policies/au.pol/versions/2/deactivate")).Expect(HttpStatusCode.OK);
        var deactivate = await RowAsync("policy.deactivate", "au.pol:v2");
        Assert.Equal(("active", "archived"), ((string)deactivate["before"]!["status"]!, (string)deactivate["after"]!["status"]!));

        var all = await AuditAsync("resource_type=policy&resource_id=au.pol:v1");
        Assert.Equal(["policy.activate", "policy.update", "policy.create"], all.Select(r => (string)r!["action"]!)); // newest first
    }

    [Fact]
    public async Task Cancel_and_reassign_are_audited_with_before_and_after()
    {
        await CreateActiveAsync(_admin, Policy("au.req", Stage(1, "all", null, User("u-a"), User("u-b"))));
        var request = await RequestAsync(fx.App.ClientFor(Tokens.Service("svc-registry")), "au.req");
        var requestId = (string)request["request_id"]!;
        Assert.Empty(await AuditAsync($"resource_id={requestId}")); // a caller's POST /requests is not an admin action

        var task = request["tasks"]!.AsArray().Single(t => (string?)t!["assignee"] == "u-a")!;
        var taskId = (string)task["id"]!;
        var replacement = (await _admin.PostJson($"/v1/awe/tasks/{taskId}/reassign", new JsonObject { ["new_assignee"] = "u-z", ["reason"] = "on leave" }))
            .Expect(HttpStatusCode.OK).Json;
        var reassign = await RowAsync("task.reassign", taskId);
        AssertActor(reassign);
        Assert.Equal("task", (string?)reassign["resource_type"]);
        Assert.Equal("u-a", (string?)reassign["before"]!["assignee"]);
        Assert.Equal(("u-z", (string)replacement["id"]!), ((string)reassign["after"]!["assignee"]!, (string)reassign["after"]!["new_task_id"]!));
        Assert.Equal(("on leave", requestId), ((string)reassign["metadata"]!["reason"]!, (string)reassign["metadata"]!["request_id"]!));

        (await _admin.PostJson($"/v1/awe/requests/{requestId}/cancel", new JsonObject { ["reason"] = "duplicate" })).Expect(HttpStatusCode.OK);
        var cancel = await RowAsync("request.cancel", requestId);
        Assert.Equal("request", (string?)cancel["resource_type"]);
        Assert.Equal(("in_review", "cancelled"), ((string)cancel["before"]!["status"]!, (string)cancel["after"]!["status"]!));
        Assert.Equal(("duplicate", "a-1"), ((string)cancel["metadata"]!["reason"]!, (string)cancel["metadata"]!["artifact_id"]!));
    }

    [Fact]
    public async Task Delegation_create_and_delete_are_audited()
    {
        var delegation = (await _admin.PostJson("/v1/awe/delegations", new JsonObject
        {
            ["user_id"] = "u-away", ["delegate_to"] = "u-here", ["starts_at"] = "2030-01-01T00:00:00Z", ["ends_at"] = "2030-01-15T00:00:00Z",
            ["reason"] = "holiday",
        })).Expect(HttpStatusCode.Created).Json;
        var id = (string)delegation["id"]!;

        var create = await RowAsync("delegation.create", id);
        Assert.Equal("delegation", (string?)create["resource_type"]);
        Assert.Null(create["before"]);
        Assert.Equal(("u-away", "u-here", "holiday"), ((string)create["after"]!["user_id"]!, (string)create["after"]!["delegate_to"]!, (string)create["after"]!["reason"]!));

        (await _admin.DeleteJson($"/v1/awe/delegations/{id}")).Expect(HttpStatusCode.NoContent);
        var delete = await RowAsync("delegation.delete", id);
        Assert.Equal("u-away", (string?)delete["before"]!["user_id"]);
        Assert.Null(delete["after"]);
    }

    [Fact]
    public async Task Reads_and_refused_mutations_leave_no_audit_row()
    {
        (await _admin.PostJson("/v1/awe/policies", Policy("au.quiet", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created);
        var before = (await AuditAsync("limit=1000")).Count;

        (await _admin.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK);
        (await _admin.GetJson("/v1/awe/policies/au.quiet/versions/1")).Expect(HttpStatusCode.OK);
        (await _admin.PostJson("/v1/awe/policies/au.quiet/versions/1/simulate", new JsonObject())).Expect(HttpStatusCode.OK);
        EnvelopeAssert.Error(await _admin.PostJson("/v1/awe/policies/au.quiet/versions/1/deactivate"), HttpStatusCode.Conflict, "AWE-007");
        EnvelopeAssert.Error(await _admin.PostJson("/v1/awe/policies", Policy("au.quiet", Stage(1, "all", null, User("u-a")))), HttpStatusCode.Conflict, "AWE-002");
        EnvelopeAssert.Error(await _admin.PutJson("/v1/awe/policies/au.quiet", Policy("au.other", Stage(1, "all", null, User("u-a")))), HttpStatusCode.BadRequest, "AWE-010");
        EnvelopeAssert.Error(await fx.Viewer.PostJson("/v1/awe/policies/au.quiet/versions/1/activate"), HttpStatusCode.Forbidden, "AWE-008");
        EnvelopeAssert.Error(await _admin.DeleteJson("/v1/awe/delegations/nope"), HttpStatusCode.NotFound, "AWE-018");

        Assert.Equal(before, (await AuditAsync("limit=1000")).Count);
        Assert.Equal("draft", (string?)(await _admin.GetJson("/v1/awe/policies/au.quiet/versions/1")).Json["status"]);
    }

    [Fact]
    public async Task Filters_select_by_actor_action_resource_and_time()
    {
        var other = fx.App.ClientFor(Tokens.For("sub-auditor", "auditor", "AWE_ADMIN"));
        (await _admin.PostJson("/v1/awe/policies", Policy("au.f1", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created);
        (await other.PostJson("/v1/awe/policies", Policy("au.f2", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created);
        (await other.PostJson("/v1/awe/policies/au.f2/versions/1/activate")).Expect(HttpStatusCode.OK);

        var byActor = await AuditAsync("actor=sub-auditor");
        Assert.Equal(["policy.activate", "policy.create"], byActor.Select(r => (string)r!["action"]!));
        Assert.All(byActor, r => AssertActor(r!, "sub-auditor", "auditor@example.org"));

        var byAction = await AuditAsync("action=policy.create&resource_type=policy");
        Assert.Contains(byAction, r => (string?)r!["resource_id"] == "au.f1:v1");
        Assert.Contains(byAction, r => (string?)r!["resource_id"] == "au.f2:v1");
        Assert.All(byAction, r => Assert.Equal("policy.create", (string?)r!["action"]));

        Assert.Empty(await AuditAsync("resource_type=delegation&resource_id=au.f1:v1"));
        Assert.Equal(["policy.activate", "policy.create"], (await AuditAsync("resource_type=policy&resource_id=au.f2:v1")).Select(r => (string)r!["action"]!));
        Assert.Empty(await AuditAsync("actor=nobody-at-all"));

        // since is inclusive and until exclusive, at the stored precision.
        var activation = Assert.Single(await AuditAsync("action=policy.activate&resource_id=au.f2:v1"))!;
        var at = Uri.EscapeDataString((string)activation["occurred_at"]!);
        Assert.Contains(await AuditAsync($"actor=sub-auditor&since={at}"), r => (string?)r!["id"] == (string?)activation["id"]);
        Assert.DoesNotContain(await AuditAsync($"actor=sub-auditor&until={at}"), r => (string?)r!["id"] == (string?)activation["id"]);
        Assert.Equal(["policy.create"], (await AuditAsync($"actor=sub-auditor&until={at}")).Select(r => (string)r!["action"]!));
        Assert.Empty(await AuditAsync($"since={Uri.EscapeDataString(DateTime.UtcNow.AddHours(1).ToString("O"))}"));
        Assert.Empty(await AuditAsync("until=2000-01-01T00:00:00Z"));
    }

    [Fact]
    public async Task Limit_caps_the_newest_rows_and_is_checked()
    {
        for (var i = 0; i < 3; i++)
            (await _admin.PostJson("/v1/awe/policies", Policy($"au.limit{i}", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created);

        var two = await AuditAsync("limit=2");
        Assert.Equal(2, two.Count);
        var times = (await AuditAsync("limit=1000")).Select(r => (DateTime)r!["occurred_at"]!).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Equal((string?)(await AuditAsync("limit=1000"))[0]!["id"], (string?)two[0]!["id"]);

        foreach (var bad in new[] { "0", "-1", "1001" })
        {
            var message = EnvelopeAssert.ErrorMessage(await fx.Viewer.GetJson($"/v1/awe/admin/audit?limit={bad}"), HttpStatusCode.UnprocessableEntity, "AWE-012");
            Assert.Contains("limit", message);
            Assert.Contains("1000", message);
        }
        EnvelopeAssert.Error(await fx.Viewer.GetJson("/v1/awe/admin/audit?limit=many"), HttpStatusCode.BadRequest, "AWE-015");
        var since = EnvelopeAssert.Error(await fx.Viewer.GetJson("/v1/awe/admin/audit?since=yesterday"), HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("since", (string?)since[0]!["path"]);
        var until = EnvelopeAssert.Error(await fx.Viewer.GetJson("/v1/awe/admin/audit?until=31/12/2025"), HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("until", (string?)until[0]!["path"]);
        (await fx.Viewer.GetJson("/v1/awe/admin/audit?limit=1000")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Before_and_after_page_through_the_log_and_a_page_stays_put_while_entries_arrive()
    {
        var pager = fx.App.ClientFor(Tokens.For("sub-pager", "pager", "AWE_ADMIN"));
        for (var i = 0; i < 5; i++)
            (await pager.PostJson("/v1/awe/policies", Policy($"au.page{i}", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created);
        static List<string> Ids(JsonArray rows) => rows.Select(r => (string)r!["id"]!).ToList();
        var all = Ids(await AuditAsync("actor=sub-pager"));
        Assert.Equal(5, all.Count);

        var first = Ids(await AuditAsync("actor=sub-pager&limit=2"));
        Assert.Equal(all[..2], first);
        // An entry written meanwhile lands on the newest page only, not in the middle of the walk.
        (await pager.PostJson("/v1/awe/policies", Policy("au.page-late", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created);
        var second = Ids(await AuditAsync($"actor=sub-pager&limit=2&before={first[^1]}"));
        Assert.Equal(all[2..4], second);
        var third = Ids(await AuditAsync($"actor=sub-pager&limit=2&before={second[^1]}"));
        Assert.Equal(all[4..], third);
        Assert.Empty(await AuditAsync($"actor=sub-pager&limit=2&before={third[^1]}"));

        // after walks back towards the newest, still listed newest first.
        Assert.Equal(all[..2], Ids(await AuditAsync($"actor=sub-pager&limit=2&after={second[0]}")));
        var newest = Assert.Single(await AuditAsync($"actor=sub-pager&limit=2&after={first[0]}"))!;
        Assert.Equal("au.page-late:v1", (string?)newest["resource_id"]);

        var both = EnvelopeAssert.Error(await fx.Viewer.GetJson($"/v1/awe/admin/audit?before={first[0]}&after={first[1]}"), HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("after", (string?)both[0]!["path"]);
        foreach (var name in new[] { "before", "after" })
        {
            var unknown = EnvelopeAssert.Error(await fx.Viewer.GetJson($"/v1/awe/admin/audit?{name}=no-such-entry"), HttpStatusCode.UnprocessableEntity, "AWE-012");
            Assert.Equal(name, (string?)unknown[0]!["path"]);
            Assert.Contains("no-such-entry", (string?)unknown[0]!["message"]);
        }
    }

    [Fact]
    public async Task The_audit_log_is_for_viewers_and_admins_only()
    {
        EnvelopeAssert.Error(await fx.As("u-plain").GetJson("/v1/awe/admin/audit"), HttpStatusCode.Forbidden, "AWE-008");
        EnvelopeAssert.Error(await fx.App.CreateClient().GetJson("/v1/awe/admin/audit"), HttpStatusCode.Unauthorized, "AWE-013");
        (await _admin.GetJson("/v1/awe/admin/audit")).Expect(HttpStatusCode.OK);
    }
}
