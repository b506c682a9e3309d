using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Tasks;

/// <summary>
/// Out-of-office delegations (POST/DELETE /v1/awe/delegations) and their effect on tasks created while they are
/// active: the delegate gets the task with delegated_from set, windows are honoured, delegations never chain.
/// </summary>
public sealed class DelegationTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private static string At(double hoursFromNow) =>
        DateTime.UtcNow.AddHours(hoursFromNow).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Body(string user, string to, double fromHours = -1, double toHours = 1, string? reason = null)
    {
        var body = new JsonObject { ["user_id"] = user, ["delegate_to"] = to, ["starts_at"] = At(fromHours), ["ends_at"] = At(toHours) };
        if (reason is not null) body["reason"] = reason;
        return body;
    }

    private async Task<JsonNode> DelegateAsync(string user, string to, double fromHours = -1, double toHours = 1) =>
        (await f.Admin.PostJson("/v1/awe/delegations", Body(user, to, fromHours, toHours))).Expect(HttpStatusCode.Created).Json;

    private async Task<JsonNode> OneTaskRequestAsync(string approver) =>
        Assert.Single((await Flow.CreateAsync(f.Admin, await Flow.OneStageAsync(f.Admin, "all", null, approver)))["tasks"].Items());

    [Fact]
    public async Task Create_answers_201_with_the_delegation()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));

        var reply = await f.Admin.PostJson("/v1/awe/delegations", Body(alice, bob, -1, 48, "annual leave"));

        var d = reply.Expect(HttpStatusCode.Created).Json;
        Assert.Equal(alice, d.Str("user_id"));
        Assert.Equal(bob, d.Str("delegate_to"));
        Assert.Equal("annual leave", d.Str("reason"));
        Assert.Equal("admin-sub", d.Str("created_by"));
        Assert.True((bool)d["active"]!);
        var listed = (await f.Viewer.GetJson($"/v1/awe/delegations?user_id={alice}")).Expect(HttpStatusCode.OK).Json.Items();
        Assert.Equal(d.Str("id"), Assert.Single(listed).Str("id"));
    }

    [Theory]
    //          window start  window end   task goes to
    [InlineData(-1.0,         1.0,         "delegate")]
    [InlineData(-0.01,        0.5,         "delegate")]
    [InlineData(-48.0,        -1.0,        "original")] // ended
    [InlineData(1.0,          48.0,        "original")] // not started yet
    public async Task A_task_goes_to_the_delegate_only_inside_the_window(double from, double to, string expected)
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        await DelegateAsync(alice, bob, from, to);

        var task = await OneTaskRequestAsync(alice);

        if (expected == "delegate")
        {
            Assert.Equal(bob, task.Str("assignee"));
            Assert.Equal(alice, task.Str("delegated_from"));
            var started = await f.EventAsync(task.Str("request_id"), "stage_started");
            var d = Assert.Single(started["delegations"].Items());
            Assert.Equal((alice, bob), (d.Str("from"), d.Str("to")));
        }
        else
        {
            Assert.Equal(alice, task.Str("assignee"));
            Assert.Null(task["delegated_from"]);
        }
    }

    [Fact]
    public async Task The_delegate_decides_and_is_recorded_as_actor()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        await DelegateAsync(alice, bob);
        var task = await OneTaskRequestAsync(alice);

        (await f.As(alice).PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", Flow.Decision("approve"))).ExpectError(HttpStatusCode.Forbidden, "AWE-008");
        var decision = (await f.DecideAsync(task, "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal(bob, decision.Str("actor"));
        Assert.Equal("approved", decision.Str("request_status"));
    }

    [Fact]
    public async Task Delegations_do_not_chain()
    {
        var (a, b, c) = (Flow.Unique("a"), Flow.Unique("b"), Flow.Unique("c"));
        await DelegateAsync(a, b);
        await DelegateAsync(b, c);

        var task = await OneTaskRequestAsync(a);

        Assert.Equal(b, task.Str("assignee"));
        Assert.Equal(a, task.Str("delegated_from"));
    }

    [Fact]
    public async Task The_newest_of_overlapping_delegations_wins()
    {
        var (a, b, c) = (Flow.Unique("a"), Flow.Unique("b"), Flow.Unique("c"));
        await DelegateAsync(a, b, -2, 2);
        await DelegateAsync(a, c, -1, 1);

        Assert.Equal(c, (await OneTaskRequestAsync(a)).Str("assignee"));
    }

    [Fact]
    public async Task Tasks_that_already_exist_are_not_moved_by_a_new_delegation()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var before = await OneTaskRequestAsync(alice);

        await DelegateAsync(alice, bob);

        Assert.Single(await f.LiveTasksOf(before.Str("request_id"), alice));
        Assert.Equal(bob, (await OneTaskRequestAsync(alice)).Str("assignee"));
    }

    [Fact]
    public async Task A_delegate_who_is_already_an_approver_of_the_stage_gets_one_task()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        await DelegateAsync(alice, bob);

        var created = await Flow.CreateAsync(f.Admin, await Flow.OneStageAsync(f.Admin, "all", null, alice, bob));

        Assert.Equal(bob, Assert.Single(created["tasks"].Items()).Str("assignee"));
    }

    [Fact]
    public async Task A_required_approver_s_delegate_holds_the_required_seat()
    {
        var (boss, deputy, a) = (Flow.Unique("boss"), Flow.Unique("deputy"), Flow.Unique("a"));
        await DelegateAsync(boss, deputy);
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 1, User(boss, required: true), User(a))));
        Assert.True((bool)created.TaskOf(deputy)["required"]!);

        Assert.Equal("in_review", (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created).Json.Str("request_status"));
        Assert.Equal("approved", (await f.DecideAsync(created.TaskOf(deputy), "approve")).Expect(HttpStatusCode.Created).Json.Str("request_status"));
    }

    [Fact]
    public async Task A_delegate_who_is_the_requester_is_excluded_under_forbid_self_approval()
    {
        var (checker, maker, other) = (Flow.Unique("checker"), Flow.Unique("maker"), Flow.Unique("other"));
        await DelegateAsync(checker, maker);
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_self_approval", true),
            Stage(1, "any-n", 1, User(checker), User(other)));

        var created = await Flow.CreateAsync(f.Admin, key, requester: maker);

        Assert.Equal(other, Assert.Single(created["tasks"].Items()).Str("assignee"));
    }

    [Fact]
    public async Task Observer_tasks_follow_delegations_too()
    {
        var (alice, olga, oscar) = (Flow.Unique("alice"), Flow.Unique("olga"), Flow.Unique("oscar"));
        await DelegateAsync(olga, oscar);

        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(alice), User(olga, kind: "observer"))));

        var observer = created.TaskOf(oscar);
        Assert.Equal("observer", observer.Str("kind"));
        Assert.Equal(olga, observer.Str("delegated_from"));
    }

    [Fact]
    public async Task Delete_answers_204_then_404_and_new_tasks_go_back_to_the_user()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var id = (await DelegateAsync(alice, bob)).Str("id");
        Assert.Equal(bob, (await OneTaskRequestAsync(alice)).Str("assignee"));

        var deleted = await f.Admin.DeleteJson($"/v1/awe/delegations/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        (await f.Admin.DeleteJson($"/v1/awe/delegations/{id}")).ExpectError(HttpStatusCode.NotFound, "AWE-018");

        Assert.Equal(alice, (await OneTaskRequestAsync(alice)).Str("assignee"));
    }

    [Theory]
    //          case                        user_id   delegate_to  starts  ends   field
    [InlineData("ends before it starts",    "a",      "b",         1.0,    -1.0,  "ends_at")]
    [InlineData("ends when it starts",      "a",      "b",         0.0,    0.0,   "ends_at")]
    [InlineData("delegates to oneself",     "a",      "a",         -1.0,   1.0,   "delegate_to")]
    [InlineData("to oneself, padded",       "a",      " a ",       -1.0,   1.0,   "delegate_to")]
    [InlineData("no user",                  "",       "b",         -1.0,   1.0,   "user_id")]
    [InlineData("no delegate",              "a",      "",          -1.0,   1.0,   "delegate_to")]
    public async Task An_invalid_delegation_is_422(string @case, string user, string to, double from, double until, string field)
    {
        var body = Body(user, to, from, until);
        if (from == until) body["ends_at"] = body["starts_at"]!.DeepClone();

        var reply = await f.Admin.PostJson("/v1/awe/delegations", body);

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.True(reply.Json["errors"].Items().Any(e => (string?)e["path"] == field), $"{@case}: {reply.Raw}");
    }

    [Theory]
    [InlineData("starts_at", "next tuesday")]
    [InlineData("ends_at", "31/12/2030")]
    public async Task A_timestamp_that_is_not_ISO_8601_is_422(string field, string value)
    {
        var body = Body(Flow.Unique("a"), Flow.Unique("b"));
        body[field] = value;

        var reply = await f.Admin.PostJson("/v1/awe/delegations", body);

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal(field, (string?)reply.Json["errors"]![0]!["path"]);
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("user")]
    public async Task Only_an_admin_may_create_or_delete_delegations(string who)
    {
        var caller = who == "viewer" ? f.Viewer : f.As(Flow.Unique("user"));
        var id = (await DelegateAsync(Flow.Unique("a"), Flow.Unique("b"))).Str("id");

        (await caller.PostJson("/v1/awe/delegations", Body(Flow.Unique("a"), Flow.Unique("b")))).ExpectError(HttpStatusCode.Forbidden, "AWE-008");
        (await caller.DeleteJson($"/v1/awe/delegations/{id}")).ExpectError(HttpStatusCode.Forbidden, "AWE-008");
    }
}
