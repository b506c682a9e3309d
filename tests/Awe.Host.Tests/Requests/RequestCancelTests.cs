using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Requests;

/// <summary>
/// POST /requests/{id}/cancel. Who may cancel: AWE_ADMIN, and the service that created the request (same token
/// sub, no role needed). Anyone else is refused with 403 AWE-008.
/// </summary>
public sealed class RequestCancelTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private const string Creator = "svc-creator";

    private static string TokenOf(string who) => who switch
    {
        "admin" => Tokens.Admin,
        "creator" => Tokens.Service(Creator),
        "creator with a user token" => Tokens.For(Creator, "someone", []),
        "other service" => Tokens.Service("svc-other"),
        "viewer" => Tokens.Viewer,
        "approver" => Tokens.User("cancel-approver"),
        _ => throw new ArgumentOutOfRangeException(nameof(who)),
    };

    [Theory]
    //          caller                        HTTP  error
    [InlineData("admin",                      200,  null)]
    [InlineData("creator",                    200,  null)]
    [InlineData("creator with a user token",  200,  null)]
    [InlineData("other service",              403,  "AWE-008")]
    [InlineData("viewer",                     403,  "AWE-008")]
    [InlineData("approver",                   403,  "AWE-008")]
    public async Task Who_may_cancel(string caller, int status, string? error)
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, "cancel-approver");
        var created = await Flow.CreateAsync(f.App.ClientFor(Tokens.Service(Creator)), key);

        var reply = await f.App.ClientFor(TokenOf(caller)).PostJson($"/v1/awe/requests/{created.RequestId()}/cancel", new JsonObject());

        Assert.Equal((HttpStatusCode)status, reply.Status);
        Assert.Equal(error, reply.ErrorCode);
        Assert.Equal(status == 200 ? "cancelled" : "in_review", await f.StatusOf(created.RequestId()));
    }

    [Fact]
    public async Task Cancel_skips_live_tasks_and_records_actor_and_reason()
    {
        var (alice, bob, olga) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("olga"));
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null,
            User(alice), User(bob), User(olga, kind: "observer")));
        var created = await Flow.CreateAsync(f.Admin, key);
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);
        (await f.As(bob).PostJson($"/v1/awe/tasks/{created.TaskOf(bob).Str("id")}/claim")).Expect(HttpStatusCode.OK);

        var reply = await f.Admin.PostJson($"/v1/awe/requests/{created.RequestId()}/cancel", new JsonObject { ["reason"] = "withdrawn by applicant" });

        var request = reply.Expect(HttpStatusCode.OK).Json;
        Assert.Equal("cancelled", request.Str("status"));
        Assert.NotNull(request["completed_at"]);
        Assert.Equal(new Dictionary<string, string> { [alice] = "completed", [bob] = "skipped", [olga] = "skipped" },
            await f.TaskStatusesAsync(created.RequestId()));
        var cancelled = await f.EventAsync(created.RequestId(), "request_cancelled");
        Assert.Equal("awe-admin", cancelled.Str("actor"));
        Assert.Equal("withdrawn by applicant", cancelled.Str("reason"));
        Assert.Equal("cancelled", cancelled.Str("status"));
        Assert.Equal("request_cancelled", (await f.EventTypesAsync(created.RequestId())).Last());
    }

    [Fact]
    public async Task The_creating_service_is_recorded_as_actor_and_the_body_may_be_empty()
    {
        var key = await Flow.OneStageAsync(f.Admin, "all", null, Flow.Unique("u"));
        var creator = f.App.ClientFor(Tokens.Service(Creator));
        var created = await Flow.CreateAsync(creator, key);

        (await creator.PostJson($"/v1/awe/requests/{created.RequestId()}/cancel")).Expect(HttpStatusCode.OK);

        var cancelled = await f.EventAsync(created.RequestId(), "request_cancelled");
        Assert.Equal(Creator, cancelled.Str("actor"));
        Assert.Null(cancelled["reason"]);
    }

    [Theory]
    [InlineData("approved")]
    [InlineData("rejected")]
    [InlineData("cancelled")]
    public async Task A_terminal_request_cannot_be_cancelled(string terminal)
    {
        var alice = Flow.Unique("alice");
        var key = await Flow.OneStageAsync(f.Admin, "all", null, alice);
        var created = await Flow.CreateAsync(f.Admin, key);
        var id = created.RequestId();
        switch (terminal)
        {
            case "approved": (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created); break;
            case "rejected": (await f.DecideAsync(created.TaskOf(alice), "reject")).Expect(HttpStatusCode.Created); break;
            default: (await f.Admin.PostJson($"/v1/awe/requests/{id}/cancel")).Expect(HttpStatusCode.OK); break;
        }
        var eventsBefore = (await f.EventsAsync(id)).Length;

        var reply = await f.Admin.PostJson($"/v1/awe/requests/{id}/cancel", new JsonObject { ["reason"] = "again" });

        reply.ExpectError(HttpStatusCode.Conflict, "AWE-007");
        Assert.Equal(terminal, await f.StatusOf(id));
        Assert.Equal(eventsBefore, (await f.EventsAsync(id)).Length);
    }

    [Fact]
    public async Task Cancelling_an_unknown_request_is_404_AWE_003()
    {
        (await f.Admin.PostJson($"/v1/awe/requests/{Guid.NewGuid()}/cancel")).ExpectError(HttpStatusCode.NotFound, "AWE-003");
    }

    [Fact]
    public async Task Decisions_after_a_cancel_are_refused()
    {
        var alice = Flow.Unique("alice");
        var key = await Flow.OneStageAsync(f.Admin, "all", null, alice);
        var created = await Flow.CreateAsync(f.Admin, key);
        (await f.Admin.PostJson($"/v1/awe/requests/{created.RequestId()}/cancel")).Expect(HttpStatusCode.OK);

        (await f.DecideAsync(created.TaskOf(alice), "approve")).ExpectError(HttpStatusCode.Conflict, "AWE-007");
    }
}
