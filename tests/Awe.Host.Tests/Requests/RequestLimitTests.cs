using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Requests;

/// <summary>A host with small awe.limits.* so that each limit can be reached in a test.</summary>
public sealed class SmallLimitsFixture : PostgresAppFixture
{
    public const int Approvers = 4, Tasks = 6, ContextBytes = 600;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["awe:limits:max_approvers_per_stage"] = $"{Approvers}",
        ["awe:limits:max_tasks_per_request"] = $"{Tasks}",
        ["awe:limits:max_context_bytes"] = $"{ContextBytes}",
    };
}

/// <summary>
/// What one request may make the engine do is bounded (before: an expression fed 40,000 ids opened 40,000 tasks).
/// Going past a limit is a 422 naming its key, and nothing is created.
/// </summary>
public sealed class RequestLimitTests(SmallLimitsFixture f) : IClassFixture<SmallLimitsFixture>
{
    private static JsonObject Expression(string variable, string kind = "approver") => new()
    {
        ["rule_type"] = "expression", ["rule_value"] = new JsonObject { ["logic"] = new JsonObject { ["var"] = variable } }, ["kind"] = kind,
    };

    private static JsonArray Ids(string prefix, int count) => new(Enumerable.Range(0, count).Select(i => (JsonNode)$"{prefix}-{i}").ToArray());

    private async Task<int> RequestRowsAsync(string key) =>
        (await f.Admin.GetJson($"/v1/awe/requests?policy_key={key}")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

    [Fact]
    public async Task A_stage_resolving_more_people_than_the_limit_is_422_naming_it()
    {
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "any-n", 1, Expression("approvers"), Expression("watchers", "observer")));

        // At the limit: approvers and observers together.
        (await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, new JsonObject
        {
            ["approvers"] = Ids(Flow.Unique("a"), 3), ["watchers"] = Ids(Flow.Unique("w"), 1),
        }))).Expect(HttpStatusCode.Created);
        var over = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, new JsonObject
        {
            ["approvers"] = Ids(Flow.Unique("a"), 3), ["watchers"] = Ids(Flow.Unique("w"), 2),
        }));

        var message = EnvelopeAssert.ErrorMessage(over, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains("awe.limits.max_approvers_per_stage", message);
        Assert.Contains("stage 1", message);
        Assert.Contains("5 approvers and observers", message);
        Assert.Equal(1, await RequestRowsAsync(key));
    }

    [Fact]
    public async Task Stages_together_opening_more_tasks_than_the_request_limit_is_422_naming_it()
    {
        // Two parallel stages of four each: each within the stage limit, eight together over the request's six.
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 1, Expression("first")).With("parallel_group", 1),
            Stage(2, "any-n", 1, Expression("second")).With("parallel_group", 1));

        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, new JsonObject
        {
            ["first"] = Ids(Flow.Unique("f"), 4), ["second"] = Ids(Flow.Unique("s"), 4),
        }));

        var message = EnvelopeAssert.ErrorMessage(reply, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains("awe.limits.max_tasks_per_request", message);
        Assert.Contains("8 tasks", message);
        Assert.Equal(0, await RequestRowsAsync(key));
    }

    [Fact]
    public async Task A_later_stage_over_the_limit_waits_and_the_decision_that_started_it_commits()
    {
        var first = Flow.Unique("first");
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, User(first)), Stage(2, "any-n", 1, Expression("crowd")));
        var created = await Flow.CreateAsync(f.Admin, key, new JsonObject { ["crowd"] = Ids(Flow.Unique("c"), 5) });

        var decision = (await f.DecideAsync(created.TaskOf(first), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("in_review", decision.Str("request_status"));
        var events = (await f.Admin.GetJson($"/v1/awe/requests/{created.RequestId()}/events")).Expect(HttpStatusCode.OK).Json.Items();
        var failed = Assert.Single(events, e => e.Str("event_type") == "stage_resolution_failed");
        Assert.Contains("awe.limits.max_approvers_per_stage", failed["payload"]!.Str("reason"));
    }

    [Fact]
    public async Task A_context_over_the_size_limit_is_422_naming_it()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));

        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, new JsonObject { ["notes"] = new string('n', SmallLimitsFixture.ContextBytes) }));

        var errors = EnvelopeAssert.Error(reply, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("context", (string?)errors[0]!["path"]);
        Assert.Contains("awe.limits.max_context_bytes", (string?)errors[0]!["message"]);
        Assert.Equal(0, await RequestRowsAsync(key));
        (await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, new JsonObject { ["notes"] = "short" }))).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Simulate_holds_its_context_to_the_same_limit()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));

        var reply = await f.Admin.PostJson($"/v1/awe/policies/{key}/versions/1/simulate",
            new JsonObject { ["context"] = new JsonObject { ["notes"] = new string('n', SmallLimitsFixture.ContextBytes) } });

        var errors = EnvelopeAssert.Error(reply, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("context", (string?)errors[0]!["path"]);
        Assert.Contains("awe.limits.max_context_bytes", (string?)errors[0]!["message"]);
    }
}
