using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Requests;

/// <summary>Idempotency-Key on POST /requests: replays, conflicts, and concurrent duplicates on PostgreSQL.</summary>
public sealed class IdempotencyTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private static Dictionary<string, string> Key(string key) => new() { ["Idempotency-Key"] = key };

    private Task<long> RequestRows(string artifactId) =>
        f.CountAsync("SELECT count(*) FROM approval_request WHERE artifact_id = @a", ("a", artifactId));

    [Fact]
    public async Task Same_key_and_body_replays_the_first_response_and_creates_one_request()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var body = Flow.RequestBody(key);
        var idem = Flow.Unique("idem");

        var first = (await f.Admin.PostJson("/v1/awe/requests", body, Key(idem))).Expect(HttpStatusCode.Created);
        var second = (await f.Admin.PostJson("/v1/awe/requests", body, Key(idem))).Expect(HttpStatusCode.Created);

        Assert.True(JsonNode.DeepEquals(first.Json, second.Json), $"replay differs:\n{first.Raw}\n{second.Raw}");
        Assert.Equal(1, await RequestRows(body.Str("artifact_id")));
    }

    [Theory]
    // Bodies equal as JSON but written differently; {0} is the policy key, {1} the artifact id.
    [InlineData("""{"artifact_id":"{1}","policy_key":"{0}","context":{"b":2,"a":{"y":1,"x":[1,2]}},"artifact_type":"test.artifact"}""")]
    [InlineData("""
        {
            "policy_key" : "{0}",
            "artifact_type" : "test.artifact",
            "artifact_id" : "{1}",
            "context" : { "a" : { "x" : [ 1, 2 ], "y" : 1 }, "b" : 2 }
        }
        """)]
    public async Task Key_order_and_whitespace_do_not_make_a_different_body(string variant)
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var artifact = Flow.Unique("art");
        var original = """{"policy_key":"{0}","artifact_type":"test.artifact","artifact_id":"{1}","context":{"a":{"x":[1,2],"y":1},"b":2}}"""
            .Replace("{0}", key).Replace("{1}", artifact);
        var idem = Flow.Unique("idem");

        var first = (await f.Admin.PostJson("/v1/awe/requests", original, Key(idem))).Expect(HttpStatusCode.Created);
        var again = (await f.Admin.PostJson("/v1/awe/requests", variant.Replace("{0}", key).Replace("{1}", artifact), Key(idem)))
            .Expect(HttpStatusCode.Created);

        Assert.Equal(first.Json.RequestId(), again.Json.RequestId());
        Assert.True(JsonNode.DeepEquals(first.Json, again.Json));
        Assert.Equal(1, await RequestRows(artifact));
    }

    [Theory]
    [InlineData("artifact_id", "\"another-artifact\"")]
    [InlineData("context", """{"amount": 2}""")]
    [InlineData("requester", "\"someone-else\"")]
    public async Task Same_key_with_a_different_body_is_409_AWE_009(string field, string json)
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var body = Flow.RequestBody(key, context: new JsonObject { ["amount"] = 1 });
        var idem = Flow.Unique("idem");
        (await f.Admin.PostJson("/v1/awe/requests", body, Key(idem))).Expect(HttpStatusCode.Created);

        var changed = (JsonObject)body.DeepClone();
        changed[field] = Flow.J(json);
        var reply = await f.Admin.PostJson("/v1/awe/requests", changed, Key(idem));

        reply.ExpectError(HttpStatusCode.Conflict, "AWE-009");
        Assert.Equal(1, await f.CountAsync("SELECT count(*) FROM approval_request WHERE policy_key = @k", ("k", key)));
    }

    [Fact]
    public async Task The_replay_is_the_first_response_even_after_the_request_moved_on()
    {
        var alice = Flow.Unique("alice");
        var key = await Flow.OneStageAsync(f.Admin, "all", null, alice);
        var body = Flow.RequestBody(key);
        var idem = Flow.Unique("idem");
        var first = (await f.Admin.PostJson("/v1/awe/requests", body, Key(idem))).Expect(HttpStatusCode.Created).Json;
        (await f.DecideAsync(first.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);

        var replay = (await f.Admin.PostJson("/v1/awe/requests", body, Key(idem))).Expect(HttpStatusCode.Created).Json;

        Assert.True(JsonNode.DeepEquals(first, replay));
        Assert.Equal("in_review", replay.Str("status"));
        Assert.Equal("approved", await f.StatusOf(first.RequestId()));
    }

    [Fact]
    public async Task Different_keys_create_different_requests()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var body = Flow.RequestBody(key);

        var a = (await f.Admin.PostJson("/v1/awe/requests", body, Key(Flow.Unique("idem")))).Expect(HttpStatusCode.Created).Json;
        var b = (await f.Admin.PostJson("/v1/awe/requests", body, Key(Flow.Unique("idem")))).Expect(HttpStatusCode.Created).Json;

        Assert.NotEqual(a.RequestId(), b.RequestId());
        Assert.Equal(2, await RequestRows(body.Str("artifact_id")));
    }

    [Fact]
    public async Task A_refused_create_stores_no_answer_so_the_key_works_once_the_cause_is_fixed()
    {
        var policy = Infrastructure.Policies.Policy(Flow.Unique("pol"),
            Infrastructure.Policies.Stage(1, "all", null, Infrastructure.Policies.User(Flow.Unique("u"))));
        var key = policy.Str("policy_key");
        (await f.Admin.PostJson("/v1/awe/policies", policy)).Expect(HttpStatusCode.Created);
        var body = Flow.RequestBody(key);
        var idem = Flow.Unique("idem");

        (await f.Admin.PostJson("/v1/awe/requests", body, Key(idem))).ExpectError(HttpStatusCode.NotFound, "AWE-001");
        (await f.Admin.PostJson($"/v1/awe/policies/{key}/versions/1/activate")).Expect(HttpStatusCode.OK);
        var created = (await f.Admin.PostJson("/v1/awe/requests", body, Key(idem))).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("in_review", created.Str("status"));
        Assert.Equal(1, await RequestRows(body.Str("artifact_id")));
    }

    [Fact]
    public async Task Another_caller_cannot_replay_someone_else_s_key()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var body = Flow.RequestBody(key);
        var idem = Flow.Unique("idem");
        (await f.App.ClientFor(Tokens.Service("svc-one")).PostJson("/v1/awe/requests", body, Key(idem))).Expect(HttpStatusCode.Created);

        var reply = await f.App.ClientFor(Tokens.Service("svc-two")).PostJson("/v1/awe/requests", body, Key(idem));

        reply.ExpectError(HttpStatusCode.Conflict, "AWE-009");
        // The body is the same: the message must say what happened (before: "with a different request body").
        Assert.Contains("in use by another caller", reply.ErrorMessage());
        Assert.DoesNotContain("different request body", reply.ErrorMessage());
        Assert.Equal(1, await RequestRows(body.Str("artifact_id")));
    }

    [Theory]
    [InlineData("   ")]
    [InlineData(null)] // 256 characters, one more than the key column holds
    public async Task A_blank_or_overlong_key_is_422(string? idem)
    {
        idem ??= new string('k', 256);
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var body = Flow.RequestBody(key);

        var reply = await f.Admin.PostJson("/v1/awe/requests", body, Key(idem));

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal(0, await RequestRows(body.Str("artifact_id")));
    }

    [Fact]
    public async Task Ten_concurrent_posts_with_one_key_all_get_201_with_one_request_id_and_one_request_exists()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var body = Flow.RequestBody(key);
        var idem = Flow.Unique("idem");
        var clients = Enumerable.Range(0, 10).Select(_ => f.Admin).ToList();
        using var start = new SemaphoreSlim(0);

        var posts = clients.Select(async c =>
        {
            await start.WaitAsync();
            return await c.PostJson("/v1/awe/requests", body, Key(idem));
        }).ToList();
        start.Release(posts.Count);
        var replies = await Task.WhenAll(posts);

        Assert.All(replies, r => r.Expect(HttpStatusCode.Created));
        Assert.Single(replies.Select(r => r.Json.RequestId()).Distinct());
        var artifact = body.Str("artifact_id");
        Assert.Equal(1, await RequestRows(artifact));
        Assert.Equal(1, await f.CountAsync(
            "SELECT count(*) FROM approval_task t JOIN approval_request r ON r.id = t.request_id WHERE r.artifact_id = @a", ("a", artifact)));
        Assert.Equal(1, await f.CountAsync("SELECT count(*) FROM idempotency_key WHERE key = @k", ("k", idem)));
    }
}
