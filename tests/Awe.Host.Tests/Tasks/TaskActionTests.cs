using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Tasks;

/// <summary>Claim, decision and reassign on single tasks: who may act, in which states, and what is recorded.</summary>
public sealed class TaskActionTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private static string TaskUrl(JsonNode task, string action) => $"/v1/awe/tasks/{task.Str("id")}/{action}";

    /// <summary>A request on a one-stage policy ("all") with the given approvers; returns the create response.</summary>
    private async Task<JsonNode> RequestWith(params string[] approvers) =>
        await Flow.CreateAsync(f.Admin, await Flow.OneStageAsync(f.Admin, "all", null, approvers));

    private HttpClient Caller(string who, string assignee) => who switch
    {
        "assignee" => f.As(assignee),
        "admin" => f.Admin,
        "other user" => f.As(Flow.Unique("mallory")),
        "viewer" => f.Viewer,
        "same sub, other username" => f.App.ClientFor(Tokens.For($"sub-{assignee}", Flow.Unique("impostor"))),
        _ => throw new ArgumentOutOfRangeException(nameof(who)),
    };

    // ---- claim ----

    [Theory]
    //          caller                        HTTP  error
    [InlineData("assignee",                   200,  null)]
    [InlineData("admin",                      200,  null)]
    [InlineData("other user",                 403,  "AWE-008")]
    [InlineData("viewer",                     403,  "AWE-008")]
    [InlineData("same sub, other username",   403,  "AWE-008")]
    public async Task Who_may_claim(string who, int status, string? error)
    {
        var alice = Flow.Unique("alice");
        var task = (await RequestWith(alice)).TaskOf(alice);

        var reply = await Caller(who, alice).PostJson(TaskUrl(task, "claim"));

        Assert.Equal((HttpStatusCode)status, reply.Status);
        Assert.Equal(error, reply.ErrorCode);
        var stored = (await f.Admin.GetJson($"/v1/awe/tasks/{task.Str("id")}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(status == 200 ? "claimed" : "open", stored.Str("status"));
        if (status == 200)
        {
            Assert.Equal("claimed", reply.Json.Str("status"));
            Assert.NotNull(reply.Json["claimed_at"]);
            Assert.Equal(alice, reply.Json.Str("assignee"));
        }
    }

    [Fact]
    public async Task A_task_can_be_claimed_once()
    {
        var alice = Flow.Unique("alice");
        var task = (await RequestWith(alice)).TaskOf(alice);
        (await f.As(alice).PostJson(TaskUrl(task, "claim"))).Expect(HttpStatusCode.OK);

        (await f.As(alice).PostJson(TaskUrl(task, "claim"))).ExpectError(HttpStatusCode.Conflict, "AWE-007");
        (await f.Admin.PostJson(TaskUrl(task, "claim"))).ExpectError(HttpStatusCode.Conflict, "AWE-007");
    }

    [Fact]
    public async Task A_decided_task_cannot_be_claimed()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await RequestWith(alice, bob);
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);

        (await f.As(alice).PostJson(TaskUrl(created.TaskOf(alice), "claim"))).ExpectError(HttpStatusCode.Conflict, "AWE-007");
    }

    [Theory]
    [InlineData("claim")]
    [InlineData("decision")]
    [InlineData("reassign")]
    public async Task An_unknown_task_is_404_AWE_004(string action)
    {
        var body = action switch
        {
            "decision" => Flow.Decision("approve"),
            "reassign" => new JsonObject { ["new_assignee"] = "someone" },
            _ => null,
        };

        var reply = await f.Admin.PostJson($"/v1/awe/tasks/{Guid.NewGuid()}/{action}", body);

        reply.ExpectError(HttpStatusCode.NotFound, "AWE-004");
    }

    // ---- decision ----

    [Theory]
    //          action     request status after  task decision_action
    [InlineData("approve", "approved",           "approve")]
    [InlineData("reject",  "rejected",           "reject")]
    [InlineData("abstain", "rejected",           "abstain")] // the only approver abstained: "all" can no longer be met
    [InlineData("APPROVE", "approved",           "approve")] // actions are matched case-insensitively
    public async Task A_decision_answers_201_with_the_request_status_after_the_run(string action, string requestStatus, string recorded)
    {
        var alice = Flow.Unique("alice");
        var created = await RequestWith(alice);
        var task = created.TaskOf(alice);

        var reply = await f.As(alice).PostJson(TaskUrl(task, "decision"), new JsonObject
        {
            ["action"] = action, ["comment"] = "checked the ledger", ["attachments_ref"] = "s3://evidence/ledger.pdf",
        });

        var decision = reply.Expect(HttpStatusCode.Created).Json;
        Assert.Equal(recorded, decision.Str("action"));
        Assert.Equal(requestStatus, decision.Str("request_status"));
        Assert.Equal(created.RequestId(), decision.Str("request_id"));
        Assert.Equal(task.Str("id"), decision.Str("task_id"));
        Assert.Equal(1, (int)decision["stage_order"]!);
        Assert.Equal("checked the ledger", decision.Str("comment"));
        Assert.Equal("s3://evidence/ledger.pdf", decision.Str("attachments_ref"));
        Assert.Equal(requestStatus, await f.StatusOf(created.RequestId()));

        var stored = (await f.Admin.GetJson($"/v1/awe/tasks/{task.Str("id")}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("completed", stored.Str("status"));
        Assert.Equal(decision.Str("id"), stored.Str("decision_id"));
        Assert.Equal(recorded, stored.Str("decision_action"));
        Assert.Equal("checked the ledger", stored.Str("decision_comment"));
        Assert.NotNull(stored["completed_at"]);
    }

    [Fact]
    public async Task The_decision_response_reports_a_request_still_in_review_and_the_next_stage()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await Flow.CreateAsync(f.Admin,
            await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, User(alice)), Stage(2, "all", null, User(bob))));

        var decision = (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("in_review", decision.Str("request_status"));
        Assert.Equal(2, (int)decision["current_stage_order"]!);
    }

    [Fact]
    public async Task The_decision_actor_is_the_assignee_id_not_the_display_name_or_sub()
    {
        var alice = Flow.Unique("alice");
        var created = await RequestWith(alice);

        var decision = (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal(alice, decision.Str("actor"));
        Assert.Equal(alice, (await f.EventAsync(created.RequestId(), "task_decided")).Str("actor"));
        Assert.Equal(alice, (await f.EventAsync(created.RequestId(), "stage_completed")).Str("actor"));
        var task = (await f.Admin.GetJson($"/v1/awe/tasks/{created.TaskOf(alice).Str("id")}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal($"Name of {alice}", task.Str("assignee_name"));
    }

    [Theory]
    //          caller                        HTTP  error
    [InlineData("assignee",                   201,  null)]
    [InlineData("admin",                      201,  null)]
    [InlineData("other user",                 403,  "AWE-008")]
    [InlineData("viewer",                     403,  "AWE-008")]
    [InlineData("same sub, other username",   403,  "AWE-008")]
    public async Task Who_may_decide(string who, int status, string? error)
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await RequestWith(alice, bob);

        var reply = await Caller(who, alice).PostJson(TaskUrl(created.TaskOf(alice), "decision"), Flow.Decision("approve"));

        Assert.Equal((HttpStatusCode)status, reply.Status);
        Assert.Equal(error, reply.ErrorCode);
        Assert.Equal(status == 201 ? "completed,open" : "open,open",
            string.Join(",", (await f.TaskStatusesAsync(created.RequestId())).Values.Order()));
    }

    [Fact]
    public async Task An_admin_deciding_on_behalf_is_recorded_as_the_actor()
    {
        var alice = Flow.Unique("alice");
        var created = await RequestWith(alice);

        var decision = (await f.Admin.PostJson(TaskUrl(created.TaskOf(alice), "decision"), Flow.Decision("approve", "alice is on leave")))
            .Expect(HttpStatusCode.Created).Json;

        Assert.Equal("awe-admin", decision.Str("actor"));
        Assert.Equal("approved", decision.Str("request_status"));
        var decided = await f.EventAsync(created.RequestId(), "task_decided");
        Assert.Equal("awe-admin", decided.Str("actor"));
        Assert.Equal(alice, decided.Str("assignee"));
    }

    [Fact]
    public async Task A_claimed_task_can_still_be_decided()
    {
        var alice = Flow.Unique("alice");
        var task = (await RequestWith(alice)).TaskOf(alice);
        (await f.As(alice).PostJson(TaskUrl(task, "claim"))).Expect(HttpStatusCode.OK);

        (await f.DecideAsync(task, "approve")).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Deciding_a_completed_task_again_is_409_AWE_007()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await RequestWith(alice, bob);
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);

        (await f.DecideAsync(created.TaskOf(alice), "reject")).ExpectError(HttpStatusCode.Conflict, "AWE-007");
        (await f.Admin.PostJson(TaskUrl(created.TaskOf(alice), "decision"), Flow.Decision("reject"))).ExpectError(HttpStatusCode.Conflict, "AWE-007");

        Assert.Equal("in_review", await f.StatusOf(created.RequestId()));
        Assert.Equal(1, await f.CountAsync("SELECT count(*) FROM approval_decision WHERE request_id = @r", ("r", created.RequestId())));
    }

    [Fact]
    public async Task Deciding_a_task_skipped_by_a_met_quorum_is_409_while_the_request_goes_on()
    {
        var (alice, bob, carol) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("carol"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 1, User(alice), User(bob)), Stage(2, "all", null, User(carol))));
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);
        Assert.Equal("skipped", (await f.TaskStatusesAsync(created.RequestId()))[bob]);

        (await f.DecideAsync(created.TaskOf(bob), "reject")).ExpectError(HttpStatusCode.Conflict, "AWE-007");

        Assert.Equal("in_review", await f.StatusOf(created.RequestId()));
        Assert.Single(await f.LiveTasksOf(created.RequestId(), carol));
    }

    [Theory]
    [InlineData("approved")]
    [InlineData("rejected")]
    [InlineData("cancelled")]
    public async Task Deciding_on_a_terminal_request_is_409_AWE_007(string terminal)
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.OneStageAsync(f.Admin, "any-n", 1, alice, bob));
        switch (terminal)
        {
            case "approved": (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created); break;
            case "rejected": (await f.DecideAsync(created.TaskOf(alice), "reject")).Expect(HttpStatusCode.Created); break;
            default: (await f.Admin.PostJson($"/v1/awe/requests/{created.RequestId()}/cancel")).Expect(HttpStatusCode.OK); break;
        }

        (await f.DecideAsync(created.TaskOf(bob), "approve")).ExpectError(HttpStatusCode.Conflict, "AWE-007");
        Assert.Equal(terminal, await f.StatusOf(created.RequestId()));
    }

    [Theory]
    //          body                                         field
    [InlineData("""{"action": "maybe"}""",                   "action")]
    [InlineData("""{"action": "delegate"}""",                "action")]
    [InlineData("""{"action": 1}""",                         "action")]
    [InlineData("""{}""",                                    "action")]
    [InlineData("""{"decision": "approve"}""",               "decision")]
    [InlineData("""{"action": "approve", "comment": 5}""",   "comment")]
    [InlineData("""{"action": "approve", "attachments_ref": ["a"]}""", "attachments_ref")]
    public async Task An_invalid_decision_is_422_and_changes_nothing(string body, string field)
    {
        var alice = Flow.Unique("alice");
        var created = await RequestWith(alice);

        var reply = await f.As(alice).PostJson(TaskUrl(created.TaskOf(alice), "decision"), body);

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains(field, reply.Json["errors"].Items().Select(e => (string?)e["path"]));
        Assert.Equal("open", (await f.TaskStatusesAsync(created.RequestId()))[alice]);
    }

    // ---- reassign ----

    [Fact]
    public async Task Reassign_opens_a_new_task_and_marks_the_old_one_reassigned()
    {
        var (alice, bob, dave) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("dave"));
        var created = await RequestWith(alice, bob);
        var old = created.TaskOf(alice);

        var reply = await f.Admin.PostJson(TaskUrl(old, "reassign"), new JsonObject { ["new_assignee"] = dave, ["reason"] = "on leave" });

        var replacement = reply.Expect(HttpStatusCode.OK).Json;
        Assert.NotEqual(old.Str("id"), replacement.Str("id"));
        Assert.Equal(dave, replacement.Str("assignee"));
        Assert.Equal(alice, replacement.Str("reassigned_from"));
        Assert.Equal("open", replacement.Str("status"));
        Assert.Equal("approver", replacement.Str("kind"));
        Assert.Equal(1, (int)replacement["stage_order"]!);
        Assert.Equal(old.Str("stage_id"), replacement.Str("stage_id"));
        Assert.Equal(new Dictionary<string, string> { [alice] = "reassigned", [bob] = "open", [dave] = "open" },
            await f.TaskStatusesAsync(created.RequestId()));

        var moved = await f.EventAsync(created.RequestId(), "task_reassigned");
        Assert.Equal(old.Str("id"), moved.Str("task_id"));
        Assert.Equal(replacement.Str("id"), moved.Str("new_task_id"));
        Assert.Equal(alice, moved.Str("from"));
        Assert.Equal(dave, moved.Str("to"));
        Assert.Equal("awe-admin", moved.Str("actor"));
        Assert.Equal("on leave", moved.Str("reason"));
        Assert.Equal(1, (int)moved["stage_order"]!);

        // The new assignee decides; the old one no longer can.
        (await f.DecideAsync(old, "approve")).ExpectError(HttpStatusCode.Conflict, "AWE-007");
        (await f.DecideAsync(replacement, "approve")).Expect(HttpStatusCode.Created);
        (await f.DecideAsync(created.TaskOf(bob), "approve")).Expect(HttpStatusCode.Created);
        Assert.Equal("approved", await f.StatusOf(created.RequestId()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reassign_is_audited_with_the_task_s_state_before_and_after(bool claimedFirst)
    {
        var (alice, dave) = (Flow.Unique("alice"), Flow.Unique("dave"));
        var created = await RequestWith(alice);
        var old = created.TaskOf(alice);
        if (claimedFirst) (await f.As(alice).PostJson(TaskUrl(old, "claim"))).Expect(HttpStatusCode.OK);

        var replacement = (await f.Admin.PostJson(TaskUrl(old, "reassign"), new JsonObject { ["new_assignee"] = dave, ["reason"] = "on leave" }))
            .Expect(HttpStatusCode.OK).Json;

        var audit = Assert.Single((await f.Viewer.GetJson($"/v1/awe/admin/audit?action=task.reassign&resource_id={old.Str("id")}"))
            .Expect(HttpStatusCode.OK).Json.Items());
        Assert.Equal("admin-sub", audit.Str("actor"));
        Assert.Equal("task", audit.Str("resource_type"));
        Assert.Equal(alice, audit["before"]!.Str("assignee"));
        Assert.Equal(claimedFirst ? "claimed" : "open", audit["before"]!.Str("status"));
        Assert.Equal(dave, audit["after"]!.Str("assignee"));
        Assert.Equal(replacement.Str("id"), audit["after"]!.Str("new_task_id"));
        Assert.Equal("on leave", audit["metadata"]!.Str("reason"));
        Assert.Equal(created.RequestId(), audit["metadata"]!.Str("request_id"));
    }

    [Theory]
    //          caller        HTTP  error
    [InlineData("admin",      200,  null)]
    [InlineData("assignee",   403,  "AWE-008")]
    [InlineData("viewer",     403,  "AWE-008")]
    [InlineData("other user", 403,  "AWE-008")]
    public async Task Only_an_admin_may_reassign(string who, int status, string? error)
    {
        var alice = Flow.Unique("alice");
        var created = await RequestWith(alice);

        var reply = await Caller(who, alice).PostJson(TaskUrl(created.TaskOf(alice), "reassign"), new JsonObject { ["new_assignee"] = Flow.Unique("dave") });

        Assert.Equal((HttpStatusCode)status, reply.Status);
        Assert.Equal(error, reply.ErrorCode);
        Assert.Equal(status == 200 ? "reassigned" : "open", (await f.TaskStatusesAsync(created.RequestId()))[alice]);
    }

    [Theory]
    //          new assignee   why it is refused
    [InlineData("alice",       "the task's own assignee")]
    [InlineData(" alice ",     "the task's own assignee, padded")]
    [InlineData("bob",         "already holds a live task on the stage")]
    public async Task Reassigning_to_someone_who_already_has_the_stage_is_409(string target, string why)
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await RequestWith(alice, bob);
        var to = target.Replace("alice", alice).Replace("bob", bob);

        var reply = await f.Admin.PostJson(TaskUrl(created.TaskOf(alice), "reassign"), new JsonObject { ["new_assignee"] = to });

        reply.ExpectError(HttpStatusCode.Conflict, "AWE-007");
        Assert.True(await f.TaskStatusesAsync(created.RequestId()) is { Count: 2 } s && s[alice] == "open" && s[bob] == "open", why);
    }

    [Fact]
    public async Task Reassigning_to_someone_whose_task_on_the_stage_is_finished_is_allowed()
    {
        var (alice, bob, carol) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("carol"));
        var created = await RequestWith(alice, bob, carol);
        (await f.DecideAsync(created.TaskOf(bob), "approve")).Expect(HttpStatusCode.Created);
        (await f.Admin.PostJson(TaskUrl(created.TaskOf(carol), "reassign"), new JsonObject { ["new_assignee"] = Flow.Unique("dave") }))
            .Expect(HttpStatusCode.OK);

        // carol's task is reassigned (not live), so carol may be given alice's seat.
        (await f.Admin.PostJson(TaskUrl(created.TaskOf(alice), "reassign"), new JsonObject { ["new_assignee"] = carol })).Expect(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("completed")]
    [InlineData("reassigned")]
    public async Task A_task_that_is_no_longer_live_cannot_be_reassigned(string state)
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await RequestWith(alice, bob);
        var task = created.TaskOf(alice);
        if (state == "completed") (await f.DecideAsync(task, "approve")).Expect(HttpStatusCode.Created);
        else (await f.Admin.PostJson(TaskUrl(task, "reassign"), new JsonObject { ["new_assignee"] = Flow.Unique("dave") })).Expect(HttpStatusCode.OK);

        (await f.Admin.PostJson(TaskUrl(task, "reassign"), new JsonObject { ["new_assignee"] = Flow.Unique("erin") }))
            .ExpectError(HttpStatusCode.Conflict, "AWE-007");
    }

    [Fact]
    public async Task Reassign_on_a_terminal_request_is_409()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var created = await RequestWith(alice, bob);
        (await f.Admin.PostJson($"/v1/awe/requests/{created.RequestId()}/cancel")).Expect(HttpStatusCode.OK);

        (await f.Admin.PostJson(TaskUrl(created.TaskOf(alice), "reassign"), new JsonObject { ["new_assignee"] = Flow.Unique("dave") }))
            .ExpectError(HttpStatusCode.Conflict, "AWE-007");
    }

    [Theory]
    [InlineData("""{}""",                        "new_assignee")]
    [InlineData("""{"new_assignee": ""}""",      "new_assignee")]
    [InlineData("""{"new_assignee": 7}""",       "new_assignee")]
    [InlineData("""{"new_assignee": "x", "reason": 1}""", "reason")]
    public async Task An_invalid_reassign_body_is_422(string body, string field)
    {
        var alice = Flow.Unique("alice");
        var created = await RequestWith(alice);

        var reply = await f.Admin.PostJson(TaskUrl(created.TaskOf(alice), "reassign"), body);

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains(field, reply.Json["errors"].Items().Select(e => (string?)e["path"]));
    }
}
