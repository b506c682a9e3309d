using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Requests;

/// <summary>POST /v1/awe/requests: the create response, immediate outcomes, caller mistakes and who is recorded as requester.</summary>
public sealed class RequestCreateTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    [Fact]
    public async Task Create_answers_201_in_review_with_the_first_stage_tasks_including_observers()
    {
        var (alice, bob, olga) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("olga"));
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(alice), User(bob), User(olga, kind: "observer")),
            Stage(2, "all", null, User(Flow.Unique("carol"))));

        var reply = await App.ClientFor(Tokens.Service("svc-registry")).PostJson("/v1/awe/requests", Flow.RequestBody(key, artifactId: "doc-7"));

        var created = reply.Expect(HttpStatusCode.Created).Json;
        Assert.Equal(["current_stage_order", "request_id", "status", "tasks", "tasks_total", "tasks_url"], created.AsObject().Select(p => p.Key).Order());
        Assert.Equal("in_review", created.Str("status"));
        Assert.Equal(1, (int)created["current_stage_order"]!);
        var tasks = created["tasks"].Items();
        Assert.Equal(3, tasks.Length);
        Assert.All(tasks, t =>
        {
            Assert.Equal(created.RequestId(), t.Str("request_id"));
            Assert.Equal(1, (int)t["stage_order"]!);
            Assert.Equal("open", t.Str("status"));
            Assert.Equal("doc-7", t.Str("artifact_id"));
            Assert.Equal(key, t.Str("policy_key"));
            // Not repeated on every task of the answer (thousands, for a large stage): the caller just sent the
            // context, and the search text is derived from it. GET /tasks carries both.
            Assert.Null(t["context"]);
            Assert.Null(t["search_text"]);
        });
        Assert.Equal("approver", created.TaskOf(alice).Str("kind"));
        Assert.Equal("approver", created.TaskOf(bob).Str("kind"));
        Assert.Equal("observer", created.TaskOf(olga).Str("kind"));

        var stored = await f.RequestAsync(created.RequestId());
        Assert.Equal("in_review", stored.Str("status"));
        Assert.Equal(key, stored.Str("policy_key"));
        Assert.Equal(1, (int)stored["policy_version"]!);
    }

    [Fact]
    public async Task A_policy_without_stages_is_approved_at_once_with_exactly_created_and_approved_events()
    {
        var key = await Flow.PolicyAsync(f.Admin);

        var created = await Flow.CreateAsync(f.Admin, key);

        Assert.Equal("approved", created.Str("status"));
        Assert.Empty(created["tasks"].Items());
        Assert.Equal(["request_created", "request_approved"], await f.EventTypesAsync(created.RequestId()));
        Assert.NotNull((await f.RequestAsync(created.RequestId()))["completed_at"]);
    }

    [Fact]
    public async Task A_policy_whose_stages_are_all_skipped_is_approved_at_once()
    {
        var skip = Flow.J("""{"==": [1, 1]}""");
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(Flow.Unique("u"))).With("skip_if", skip.DeepClone()),
            Stage(2, "all", null, User(Flow.Unique("u"))).With("skip_if", skip.DeepClone()));

        var created = await Flow.CreateAsync(f.Admin, key);

        Assert.Equal("approved", created.Str("status"));
        Assert.Empty(created["tasks"].Items());
        Assert.Equal(["request_created", "stage_skipped", "stage_skipped", "request_approved"], await f.EventTypesAsync(created.RequestId()));
        Assert.Equal("all_stages_skipped", (string?)(await f.EventAsync(created.RequestId(), "request_approved"))["reason"]);
    }

    [Fact]
    public async Task A_blocking_stage_emptied_by_segregation_of_duties_rejects_the_request_with_no_approvers_resolved()
    {
        var requester = Flow.Unique("maker");
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_self_approval", true),
            Stage(1, "all", null, User(requester)).With("on_empty", "block"));

        var created = await Flow.CreateAsync(f.Admin, key, requester: requester);

        Assert.Equal("rejected", created.Str("status"));
        Assert.Empty(created["tasks"].Items());
        Assert.Equal(["request_created", "request_rejected"], await f.EventTypesAsync(created.RequestId()));
        var rejected = await f.EventAsync(created.RequestId(), "request_rejected");
        Assert.Equal("no_approvers_resolved", (string?)rejected["reason"]);
        Assert.Equal(1, (int)rejected["stage_order"]!);
        Assert.Contains(requester, (string?)rejected["detail"]);
    }

    [Fact]
    public async Task Artifact_type_other_than_the_policy_s_is_refused_with_422()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));

        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, artifactType: "other.artifact"));

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("artifact_type", (string?)reply.Json["errors"]![0]!["path"]);
        Assert.Equal(0, await f.CountAsync("SELECT count(*) FROM approval_request WHERE policy_key = @k", ("k", key)));
    }

    [Fact]
    public async Task Unknown_policy_is_404_AWE_001()
    {
        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(Flow.Unique("no-such-policy")));

        reply.ExpectError(HttpStatusCode.NotFound, "AWE-001");
    }

    [Theory]
    [InlineData("draft")]
    [InlineData("deactivated")]
    public async Task A_policy_without_an_active_version_is_404_AWE_001(string state)
    {
        var policy = Policy(Flow.Unique("pol"), Stage(1, "all", null, User(Flow.Unique("u"))));
        var key = policy.Str("policy_key");
        (await f.Admin.PostJson("/v1/awe/policies", policy)).Expect(HttpStatusCode.Created);
        if (state == "deactivated")
        {
            (await f.Admin.PostJson($"/v1/awe/policies/{key}/versions/1/activate")).Expect(HttpStatusCode.OK);
            (await f.Admin.PostJson($"/v1/awe/policies/{key}/versions/1/deactivate")).Expect(HttpStatusCode.OK);
        }

        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key));

        reply.ExpectError(HttpStatusCode.NotFound, "AWE-001");
        Assert.Contains("no active version", reply.ErrorMessage());
    }

    [Theory]
    //          case                              field             JSON value (null: field left out)
    [InlineData("artifact_id missing",            "artifact_id",    null)]
    [InlineData("artifact_id blank",              "artifact_id",    "\"  \"")]
    [InlineData("policy_key missing",             "policy_key",     null)]
    [InlineData("artifact_type not a string",     "artifact_type",  "42")]
    [InlineData("context a list",                 "context",        "[1, 2]")]
    [InlineData("context a string",               "context",        "\"{}\"")]
    [InlineData("callback_url relative",          "callback_url",   "\"/hooks/awe\"")]
    [InlineData("callback_url ftp",               "callback_url",   "\"ftp://caller.example/hook\"")]
    [InlineData("callback_url not a URL",         "callback_url",   "\"caller hook\"")]
    [InlineData("requester not a string",         "requester",      "{}")]
    [InlineData("policy_version not accepted",    "policy_version", "2")]
    public async Task An_invalid_body_is_422_naming_the_field(string @case, string field, string? json)
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var body = Flow.RequestBody(key);
        if (json is null) body.Remove(field);
        else body[field] = Flow.J(json);

        var reply = await f.Admin.PostJson("/v1/awe/requests", body);

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        var paths = reply.Json["errors"].Items().Select(e => (string?)e["path"]).ToList();
        Assert.True(paths.Contains(field), $"{@case}: expected an error at '{field}', got [{string.Join(", ", paths)}]");
        Assert.Equal(0, await f.CountAsync("SELECT count(*) FROM approval_request WHERE policy_key = @k", ("k", key)));
    }

    [Fact]
    public async Task Every_problem_of_a_body_is_reported_at_once()
    {
        var reply = await f.Admin.PostJson("/v1/awe/requests", new JsonObject { ["context"] = 1, ["callback_url"] = "nope" });

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal(["artifact_id", "artifact_type", "callback_url", "context", "policy_key"],
            reply.Json["errors"].Items().Select(e => (string?)e["path"]).Order());
    }

    [Theory]
    [InlineData("http://caller.example/hooks/awe")]
    [InlineData("https://caller.example:8443/hooks/awe?x=1")]
    public async Task An_absolute_http_callback_url_is_accepted_and_stored(string url)
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));

        var created = (await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key).With("callback_url", url)))
            .Expect(HttpStatusCode.Created).Json;

        Assert.Equal(url, (await f.RequestAsync(created.RequestId())).Str("callback_url"));
    }

    [Theory]
    //          token claims                                   source_service  requester (the caller's assignee id)
    [InlineData("sub=svc-x",                                   "svc-x",        "svc-x")]
    [InlineData("sub=sub-dora,preferred_username=dora",        "sub-dora",     "dora")]
    [InlineData("sub=sub-dora,username=dora-u",                "sub-dora",     "dora-u")]
    public async Task Source_service_is_the_token_sub_and_requester_defaults_to_the_caller_s_assignee_id(
        string claims, string sourceService, string requester)
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var token = new JsonObject();
        foreach (var claim in claims.Split(',')) token[claim.Split('=')[0]] = claim.Split('=')[1];

        var created = await Flow.CreateAsync(App.ClientFor(Tokens.Encode(token)), key, context: Flow.J("""{"amount": 5}""").AsObject());

        var request = await f.RequestAsync(created.RequestId());
        Assert.Equal(sourceService, request.Str("source_service"));
        Assert.Equal(requester, request.Str("requester"));
        Assert.Equal(5, (int)request["context"]!["amount"]!);
    }

    [Fact]
    public async Task A_user_creating_a_request_for_themself_is_kept_off_it_under_forbid_self_approval()
    {
        var (maker, checker) = (Flow.Unique("maker"), Flow.Unique("checker"));
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_self_approval", true),
            Stage(1, "any-n", 1, User(maker), User(checker)));

        var created = await Flow.CreateAsync(f.As(maker), key);

        Assert.Equal(checker, Assert.Single(created["tasks"].Items()).Str("assignee"));
    }

    [Fact]
    public async Task An_explicit_requester_is_kept_while_source_service_stays_the_caller()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));

        var created = await Flow.CreateAsync(App.ClientFor(Tokens.ServiceAccount("svc-registry")), key, requester: "citizen-42");

        var request = await f.RequestAsync(created.RequestId());
        Assert.Equal("sa-svc-registry", request.Str("source_service"));
        Assert.Equal("citizen-42", request.Str("requester"));
    }

    [Fact]
    public async Task Without_a_token_create_is_401()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));

        var reply = await App.CreateClient().PostJson("/v1/awe/requests", Flow.RequestBody(key));

        reply.ExpectError(HttpStatusCode.Unauthorized, "AWE-013");
    }

    private AweApp App => f.App;
}
