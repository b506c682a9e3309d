using System.Net;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Requests;

/// <summary>GET /requests (filters, order, limit), GET /requests/{id} and GET /requests/{id}/events.</summary>
public sealed class RequestQueryTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    /// <summary>
    /// Three requests: r1 (policy A, artifact X1, in_review), r2 (policy A, artifact X2, rejected) and r3 (policy B of
    /// its own artifact type, artifact X1, approved at once), created in that order.
    /// </summary>
    private sealed record World(string A, string B, string TypeB, string X1, string X2, Dictionary<string, string> Ids)
    {
        public string Fill(string query) => query.Replace("{A}", A).Replace("{B}", B).Replace("{TB}", TypeB).Replace("{X1}", X1).Replace("{X2}", X2);
        public string Label(string id) => Ids.Single(p => p.Value == id).Key;
    }

    private async Task<World> BuildWorldAsync()
    {
        var alice = Flow.Unique("alice");
        var a = await Flow.OneStageAsync(f.Admin, "all", null, alice);
        var typeB = Flow.Unique("type");
        var b = await Flow.PolicyAsync(f.Admin, p => p.With("artifact_type", typeB));
        var (x1, x2) = (Flow.Unique("x1"), Flow.Unique("x2"));

        var r1 = await Flow.CreateAsync(f.Admin, a, artifactId: x1);
        var r2 = await Flow.CreateAsync(f.Admin, a, artifactId: x2);
        (await f.DecideAsync(r2.TaskOf(alice), "reject")).Expect(HttpStatusCode.Created);
        var r3 = await Flow.CreateAsync(f.Admin, b, artifactId: x1, artifactType: typeB);
        Assert.Equal("approved", r3.Str("status"));
        return new World(a, b, typeB, x1, x2, new() { ["r1"] = r1.RequestId(), ["r2"] = r2.RequestId(), ["r3"] = r3.RequestId() });
    }

    [Theory]
    //          query                                     expected, newest first
    [InlineData("policy_key={A}",                         "r2,r1")]
    [InlineData("policy_key={B}",                         "r3")]
    [InlineData("artifact_type={TB}",                     "r3")]
    [InlineData("artifact_id={X1}",                       "r3,r1")]
    [InlineData("artifact_id={X2}",                       "r2")]
    [InlineData("artifact_id={X1}&policy_key={A}",        "r1")]
    [InlineData("artifact_id={X1}&artifact_type={TB}",    "r3")]
    [InlineData("policy_key={A}&status=in_review",        "r1")]
    [InlineData("policy_key={A}&status=rejected",         "r2")]
    [InlineData("policy_key={A}&status=approved",         "")]
    [InlineData("artifact_id={X1}&status=approved",       "r3")]
    [InlineData("artifact_id={X1}&limit=1",               "r3")]
    [InlineData("policy_key={A}&artifact_type={TB}",      "")]
    public async Task List_filters_combine_and_order_newest_first(string query, string expected)
    {
        var world = await BuildWorldAsync();

        var rows = (await f.Viewer.GetJson($"/v1/awe/requests?{world.Fill(query)}")).Expect(HttpStatusCode.OK).Json.Items();

        Assert.Equal(expected, string.Join(",", rows.Select(r => world.Label(r.Str("id")))));
    }

    [Fact]
    public async Task List_items_carry_the_request_fields()
    {
        var world = await BuildWorldAsync();

        var row = Assert.Single((await f.Admin.GetJson($"/v1/awe/requests?artifact_id={world.X2}")).Expect(HttpStatusCode.OK).Json.Items());

        Assert.Equal(world.Ids["r2"], row.Str("id"));
        Assert.Equal(world.A, row.Str("policy_key"));
        Assert.Equal(1, (int)row["policy_version"]!);
        Assert.Equal("rejected", row.Str("status"));
        Assert.Equal(Flow.ArtifactType, row.Str("artifact_type"));
        Assert.NotNull(row["completed_at"]);
        Assert.NotNull(row["policy_id"]);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=-5")]
    [InlineData("status=done")]
    public async Task List_refuses_out_of_range_parameters_with_422(string query)
    {
        var reply = await f.Admin.GetJson($"/v1/awe/requests?{query}");

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal(query.Split('=')[0], (string?)reply.Json["errors"]![0]!["path"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public async Task List_accepts_the_limit_bounds(int limit)
    {
        var key = await Flow.PolicyAsync(f.Admin);
        for (var i = 0; i < 2; i++) await Flow.CreateAsync(f.Admin, key);

        var rows = (await f.Admin.GetJson($"/v1/awe/requests?policy_key={key}&limit={limit}")).Expect(HttpStatusCode.OK).Json.Items();

        Assert.Equal(Math.Min(limit, 2), rows.Length);
    }

    [Fact]
    public async Task Get_returns_the_request_and_404_AWE_003_for_an_unknown_id()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var created = await Flow.CreateAsync(App.ClientFor(Tokens.Service("svc-get")), key, context: Flow.J("""{"district": "north"}""").AsObject());

        var request = (await f.Viewer.GetJson($"/v1/awe/requests/{created.RequestId()}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(created.RequestId(), request.Str("id"));
        Assert.Equal("in_review", request.Str("status"));
        Assert.Equal("north", (string?)request["context"]!["district"]);
        Assert.Null(request["completed_at"]);
        Assert.Null(request["callback_secret_id"]);

        (await f.Admin.GetJson($"/v1/awe/requests/{Guid.NewGuid()}")).ExpectError(HttpStatusCode.NotFound, "AWE-003");
    }

    [Fact]
    public async Task Events_are_in_sequence_with_the_request_fields_merged_into_each_payload()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, User(alice)), Stage(2, "all", null, User(bob)));
        var created = await Flow.CreateAsync(f.Admin, key, artifactId: "inv-9");
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);
        var bobTask = Assert.Single(await f.LiveTasksOf(created.RequestId(), bob));
        (await f.DecideAsync(bobTask, "reject", "numbers do not add up")).Expect(HttpStatusCode.Created);

        var events = (await f.Viewer.GetJson($"/v1/awe/requests/{created.RequestId()}/events")).Expect(HttpStatusCode.OK).Json.Items();

        // event type, status at emission, stage_order
        var expected = new (string Type, string Status, int Stage)[]
        {
            ("request_created", "pending", 1),
            ("stage_started", "in_review", 1),
            ("task_decided", "in_review", 1),
            ("stage_completed", "in_review", 1),
            ("stage_started", "in_review", 2),
            ("task_decided", "in_review", 2),
            ("stage_completed", "rejected", 2),
            ("request_rejected", "rejected", 2),
        };
        Assert.Equal(expected, events.Select(e => (e.Str("event_type"), e["payload"]!.Str("status"), (int)e["payload"]!["stage_order"]!)));
        Assert.Equal(Enumerable.Range(1, expected.Length), events.Select(e => (int)e["seq"]!));
        Assert.All(events, e =>
        {
            Assert.Equal(created.RequestId(), e.Str("request_id"));
            Assert.Equal(created.RequestId(), e["payload"]!.Str("request_id"));
            Assert.Equal(Flow.ArtifactType, e["payload"]!.Str("artifact_type"));
            Assert.Equal("inv-9", e["payload"]!.Str("artifact_id"));
        });
        Assert.Equal(key, events[0]["payload"]!.Str("policy_key"));
        Assert.Equal([alice], events[1]["payload"]!["approvers"].Items().Select(a => (string)a!));
        Assert.Equal("approved", events[3]["payload"]!.Str("outcome"));
        Assert.Equal("numbers do not add up", events[5]["payload"]!.Str("comment"));
        Assert.Equal("rejected", events[6]["payload"]!.Str("outcome"));
        Assert.Equal(bob, events[7]["payload"]!.Str("actor"));
    }

    [Fact]
    public async Task Events_of_an_unknown_request_are_404_AWE_003()
    {
        (await f.Admin.GetJson($"/v1/awe/requests/{Guid.NewGuid()}/events")).ExpectError(HttpStatusCode.NotFound, "AWE-003");
    }

    private AweApp App => f.App;
}
