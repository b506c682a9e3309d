using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Deadlines.DeadlineKit;
using static Awe.Host.Tests.Requests.Flow;

namespace Awe.Host.Tests.Deadlines;

public sealed class RequestExpiryTests(DeadlineFixture f) : IClassFixture<DeadlineFixture>
{
    [Fact]
    public async Task Expires_in_ends_the_request_as_expired_closes_its_tasks_and_later_actions_get_409()
    {
        var alice = Unique("alice");
        var key = await OneStageAsync(f.Admin, "any-n", 1, alice);
        var reply = await f.CreateRawAsync(RequestBody(key).With("expires_in", "PT2S"));
        reply.Created();
        var id = reply.Json.RequestId();
        var task = reply.Json.TaskOf(alice);
        var open = await f.RequestAsync(id);
        Assert.NotNull((string?)open["expires_at"]);
        Assert.Contains(open["pending_timers"].Items(), t => t.Str("kind") == "request_expiry");

        var ended = await f.EndedAsync(id);
        Assert.Equal("expired", ended.Str("status"));
        Assert.NotNull((string?)ended["completed_at"]);
        var expired = await f.EventAsync(id, "request_expired");
        Assert.Equal("sla-monitor", expired.Str("actor"));
        Assert.Equal([task.Str("id")], expired["closed_task_ids"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(new Dictionary<string, string> { [alice] = "skipped" }, await f.TaskStatusesAsync(id));

        (await f.DecideAsync(task, "approve")).ExpectError(HttpStatusCode.Conflict, "AWE-007");
        (await f.Admin.PostJson($"/v1/awe/requests/{id}/cancel", new JsonObject())).ExpectError(HttpStatusCode.Conflict, "AWE-007");
        var listed = (await f.Admin.GetJson($"/v1/awe/requests?status=expired&policy_key={key}")).Expect(HttpStatusCode.OK).Json.Items();
        Assert.Equal(id, Assert.Single(listed).Str("id"));
    }

    [Fact]
    public async Task The_policy_request_ttl_is_the_default_and_expires_at_overrides_it()
    {
        var alice = Unique("alice");
        var key = await PolicyAsync(f.Admin, p => p["request_ttl"] = "PT2S",
            Infrastructure.Policies.Stage(1, "any-n", 1, Infrastructure.Policies.User(alice)));
        var byPolicy = (await CreateAsync(f.Admin, key)).RequestId();
        var later = DateTime.UtcNow.AddDays(3);
        var own = (await f.CreateRawAsync(RequestBody(key).With("expires_at", later.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")))).Json.RequestId();

        Assert.Equal("expired", (await f.EndedAsync(byPolicy)).Str("status"));
        var ownRequest = await f.RequestAsync(own);
        Assert.Equal("in_review", ownRequest.Str("status"));
        Assert.Equal(later.ToString("yyyy-MM-dd'T'HH:mm:ss"), DateTime.Parse(ownRequest.Str("expires_at")).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss"));
    }

    [Fact]
    public async Task A_request_that_ends_first_never_expires()
    {
        var alice = Unique("alice");
        var key = await OneStageAsync(f.Admin, "any-n", 1, alice);
        var reply = await f.CreateRawAsync(RequestBody(key).With("expires_in", "PT1H"));
        var id = reply.Json.RequestId();
        (await f.DecideAsync(reply.Json.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);
        Assert.Equal(0, await f.TimersAsync(id, "pending"));
        Assert.Equal(1, await f.TimersAsync(id, "cancelled"));
    }

    [Theory]
    [InlineData("""{"expires_in": "P1M"}""", "expires_in", "years or months")]
    [InlineData("""{"expires_in": "soon"}""", "expires_in", "not an ISO-8601 duration")]
    [InlineData("""{"expires_in": "PT0S"}""", "expires_in", "shorter than one second")]
    [InlineData("""{"expires_at": "2020-01-01T00:00:00Z"}""", "expires_at", "not in the future")]
    [InlineData("""{"expires_at": "2030-01-01T00:00:00"}""", "expires_at", "with an offset")]
    [InlineData("""{"expires_at": "2030-01-01T00:00:00Z", "expires_in": "PT1H"}""", "expires_at", "send one of them")]
    [InlineData("""{"expires_in": 3600}""", "expires_in", "must be a string")]
    public async Task Bad_expiry_is_refused_with_422_and_creates_nothing(string extra, string path, string message)
    {
        var key = await OneStageAsync(f.Admin, "any-n", 1, Unique("alice"));
        var body = RequestBody(key);
        foreach (var (k, v) in JsonNode.Parse(extra)!.AsObject()) body[k] = v?.DeepClone();
        var reply = await f.CreateRawAsync(body);
        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal(path, (string?)reply.Json["errors"]![0]!["path"]);
        Assert.Contains(message, reply.ErrorMessage());
        Assert.Equal(0, await f.CountAsync("SELECT count(*) FROM approval_request WHERE policy_key = @k", ("k", key)));
    }

    [Theory]
    [InlineData("""{"sla": "PT5S", "sla_hours": 4}""", "stages[0].sla", "keep one of them")]
    [InlineData("""{"sla": "P1Y"}""", "stages[0].sla", "years or months")]
    [InlineData("""{"remind_every": "whenever"}""", "stages[0].remind_every", "not an ISO-8601 duration")]
    [InlineData("""{"calendar": "mars"}""", "stages[0].calendar", "not a configured calendar")]
    [InlineData("""{"on_breach": "auto_approve"}""", "stages[0].sla_hours", "give sla_hours or sla")]
    public async Task Bad_deadline_fields_in_a_policy_are_refused_with_422(string extra, string path, string message)
    {
        var stage = Infrastructure.Policies.Stage(1, "any-n", 1, Infrastructure.Policies.User("u-x"));
        foreach (var (k, v) in JsonNode.Parse(extra)!.AsObject()) stage[k] = v?.DeepClone();
        var reply = await f.Admin.PostJson("/v1/awe/policies", Infrastructure.Policies.Policy(Unique("pol"), stage));
        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        var error = Assert.Single(reply.Json["errors"]!.AsArray(), e => (string?)e!["path"] == path)!;
        Assert.Contains(message, (string)error["message"]!);
    }

    [Fact]
    public async Task Deadline_fields_round_trip_through_the_policy_api()
    {
        var stage = SlaStage(1, "any-n", 1, "pt30m", "notify", "u-x");
        stage["remind_every"] = "P1D";
        var key = Unique("pol");
        var policy = Infrastructure.Policies.Policy(key, stage);
        policy["request_ttl"] = "P14D";
        (await f.Admin.PostJson("/v1/awe/policies", policy)).Expect(HttpStatusCode.Created);
        var read = (await f.Admin.GetJson($"/v1/awe/policies/{key}/versions/1")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("P14D", read.Str("request_ttl"));
        var s = read["stages"]![0]!;
        Assert.Equal(("PT30M", "P1D"), (s.Str("sla"), s.Str("remind_every")));
        Assert.Null(s["sla_hours"]);
    }
}
