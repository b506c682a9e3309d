using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Tasks;

/// <summary>
/// Quorum semantics end to end (reference §2.2, without its §10.3 bugs): modes, veto, abstain, unreachable quorums,
/// reassignment under "all", observers and required approvers, driven through decisions over HTTP.
/// </summary>
public sealed class QuorumTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    /// <summary>
    /// One stage with approvers a, b, c… Each script step "a+" / "b-" / "c=" is an approve / reject / abstain by that
    /// approver. The last step decides the expected status; a verdict must close every other task at once.
    /// </summary>
    [Theory]
    //          mode          value  approvers  decisions        status       rejection reason
    [InlineData("all",        null,  3,         "a+,b+",         "in_review", null)]
    [InlineData("all",        null,  3,         "a+,b+,c+",      "approved",  null)]
    [InlineData("all",        null,  3,         "a+,b-",         "rejected",  "vetoed")]
    [InlineData("all",        null,  3,         "a=",            "rejected",  "quorum_unreachable")]
    [InlineData("any-n",      1,     3,         "a+",            "approved",  null)]
    [InlineData("any-n",      1,     3,         "a=,b=",         "in_review", null)]
    [InlineData("any-n",      1,     3,         "a=,b=,c=",      "rejected",  "quorum_unreachable")]
    [InlineData("any-n",      1,     3,         "a-",            "rejected",  "vetoed")]
    [InlineData("any-n",      2,     3,         "a+",            "in_review", null)]
    [InlineData("any-n",      2,     3,         "a+,b+",         "approved",  null)]
    [InlineData("any-n",      2,     3,         "a=,b+",         "in_review", null)]
    [InlineData("any-n",      2,     3,         "a=,b+,c+",      "approved",  null)]
    [InlineData("any-n",      2,     3,         "a=,b=",         "rejected",  "quorum_unreachable")]
    [InlineData("any-n",      2,     3,         "a+,b-",         "rejected",  "vetoed")]
    [InlineData("any-n",      2,     2,         "a=",            "rejected",  "quorum_unreachable")]
    [InlineData("quorum",     2,     3,         "a+",            "in_review", null)]
    [InlineData("quorum",     2,     3,         "b+,c+",         "approved",  null)]
    [InlineData("quorum",     2,     3,         "c-",            "rejected",  "vetoed")]
    [InlineData("quorum",     3,     4,         "a=,b=",         "rejected",  "quorum_unreachable")]
    [InlineData("percentage", 50,    2,         "a+",            "approved",  null)]
    [InlineData("percentage", 50,    4,         "a+",            "in_review", null)]
    [InlineData("percentage", 50,    4,         "a+,b+",         "approved",  null)]
    [InlineData("percentage", 100,   2,         "a+",            "in_review", null)]
    [InlineData("percentage", 100,   2,         "a+,b+",         "approved",  null)]
    [InlineData("percentage", 100,   2,         "a=",            "rejected",  "quorum_unreachable")]
    [InlineData("percentage", 66,    3,         "a+,b+",         "approved",  null)]
    [InlineData("percentage", 67,    3,         "a+,b+",         "in_review", null)]
    [InlineData("percentage", 1,     3,         "a+",            "approved",  null)]
    public async Task Stage_verdicts(string mode, int? value, int approvers, string decisions, string status, string? reason)
    {
        var users = Enumerable.Range(0, approvers).ToDictionary(i => (char)('a' + i), i => Flow.Unique($"{(char)('a' + i)}"));
        var key = await Flow.OneStageAsync(f.Admin, mode, value, users.Values.ToArray());
        var created = await Flow.CreateAsync(f.Admin, key);
        var id = created.RequestId();

        var steps = decisions.Split(',');
        JsonNode? last = null;
        for (var i = 0; i < steps.Length; i++)
        {
            var action = steps[i][1] switch { '+' => "approve", '-' => "reject", _ => "abstain" };
            last = (await f.DecideAsync(created.TaskOf(users[steps[i][0]]), action)).Expect(HttpStatusCode.Created).Json;
            if (i < steps.Length - 1) Assert.Equal("in_review", last.Str("request_status"));
        }

        Assert.Equal(status, last!.Str("request_status"));
        Assert.Equal(status, await f.StatusOf(id));
        var decided = steps.Select(s => users[s[0]]).ToHashSet();
        var others = (await f.TaskStatusesAsync(id)).Where(p => !decided.Contains(p.Key)).Select(p => p.Value).Distinct().ToList();
        Assert.True(others.Count <= 1);
        if (others.Count == 1) Assert.Equal(status == "in_review" ? "open" : "skipped", others[0]);
        if (status == "rejected")
            Assert.Equal(reason, (await f.EventAsync(id, "request_rejected")).Str("reason"));
    }

    [Fact]
    public async Task A_veto_rejects_the_request_skips_open_tasks_and_journals_stage_completed_then_request_rejected()
    {
        var (alice, bob, carol, olga) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("carol"), Flow.Unique("olga"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 2, User(alice), User(bob), User(carol), User(olga, kind: "observer")),
            Stage(2, "all", null, User(Flow.Unique("dave")))));
        var id = created.RequestId();
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);

        var decision = (await f.DecideAsync(created.TaskOf(bob), "reject", "missing signature")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("rejected", decision.Str("request_status"));
        Assert.Equal(new Dictionary<string, string> { [alice] = "completed", [bob] = "completed", [carol] = "skipped", [olga] = "skipped" },
            await f.TaskStatusesAsync(id));
        var types = await f.EventTypesAsync(id);
        Assert.Equal(["stage_completed", "request_rejected"], types[^2..]);
        Assert.DoesNotContain("stage_started", types.SkipWhile(t => t != "stage_completed"));
        var stage = await f.EventAsync(id, "stage_completed");
        Assert.Equal("rejected", stage.Str("outcome"));
        Assert.Equal("vetoed", stage.Str("reason"));
        Assert.Equal(1, (int)stage["stage_order"]!);
        var rejected = await f.EventAsync(id, "request_rejected");
        Assert.Equal(bob, rejected.Str("actor"));
        Assert.Equal("vetoed", rejected.Str("reason"));
        Assert.Equal("rejected", rejected.Str("status"));
        var request = await f.RequestAsync(id);
        Assert.Equal(1, (int)request["current_stage_order"]!);
        Assert.NotNull(request["completed_at"]);
    }

    // ---- "all" counts live approvers only (reference bug §10.3) ----

    [Fact]
    public async Task All_mode_with_a_reassigned_task_is_approved_when_the_three_live_approvers_approve()
    {
        var (alice, bob, carol, dave) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("carol"), Flow.Unique("dave"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.OneStageAsync(f.Admin, "all", null, alice, bob, carol));
        var id = created.RequestId();
        var daveTask = (await f.Admin.PostJson($"/v1/awe/tasks/{created.TaskOf(alice).Str("id")}/reassign",
            new JsonObject { ["new_assignee"] = dave })).Expect(HttpStatusCode.OK).Json;

        (await f.DecideAsync(created.TaskOf(bob), "approve")).Expect(HttpStatusCode.Created);
        var second = (await f.DecideAsync(daveTask, "approve")).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("in_review", second.Str("request_status"));
        var third = (await f.DecideAsync(created.TaskOf(carol), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("approved", third.Str("request_status"));
        Assert.Equal(new Dictionary<string, string> { [alice] = "reassigned", [bob] = "completed", [carol] = "completed", [dave] = "completed" },
            await f.TaskStatusesAsync(id));
    }

    [Fact]
    public async Task All_mode_survives_a_chain_of_reassignments()
    {
        var (alice, bob, dave, erin) = (Flow.Unique("alice"), Flow.Unique("bob"), Flow.Unique("dave"), Flow.Unique("erin"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.OneStageAsync(f.Admin, "all", null, alice, bob));
        var daveTask = (await f.Admin.PostJson($"/v1/awe/tasks/{created.TaskOf(alice).Str("id")}/reassign",
            new JsonObject { ["new_assignee"] = dave })).Expect(HttpStatusCode.OK).Json;
        var erinTask = (await f.Admin.PostJson($"/v1/awe/tasks/{daveTask.Str("id")}/reassign",
            new JsonObject { ["new_assignee"] = erin })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(dave, erinTask.Str("reassigned_from"));

        (await f.DecideAsync(created.TaskOf(bob), "approve")).Expect(HttpStatusCode.Created);
        var last = (await f.DecideAsync(erinTask, "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("approved", last.Str("request_status"));
    }

    // ---- observers ----

    [Fact]
    public async Task Observers_get_tasks_of_kind_observer_without_a_deadline()
    {
        var (alice, olga) = (Flow.Unique("alice"), Flow.Unique("olga"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(alice), User(olga, kind: "observer")).With("sla_hours", 24)));

        Assert.Equal("observer", created.TaskOf(olga).Str("kind"));
        Assert.Null(created.TaskOf(olga)["due_at"]);
        Assert.NotNull(created.TaskOf(alice)["due_at"]);
        var started = await f.EventAsync(created.RequestId(), "stage_started");
        Assert.Equal([alice], started["approvers"].Items().Select(n => (string)n!));
        Assert.Equal([olga], started["observers"].Items().Select(n => (string)n!));
    }

    [Theory]
    //          observer action   approver then   final status
    [InlineData("approve",        null,           "in_review")]
    [InlineData("reject",         null,           "in_review")]
    [InlineData("abstain",        null,           "in_review")]
    [InlineData("reject",         "approve",      "approved")]
    [InlineData("approve",        "reject",       "rejected")]
    public async Task Observer_decisions_are_recorded_but_never_count_or_veto(string observerAction, string? approverAction, string status)
    {
        var (alice, olga) = (Flow.Unique("alice"), Flow.Unique("olga"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 1, User(alice), User(olga, kind: "observer"))));
        var id = created.RequestId();

        var observed = (await f.DecideAsync(created.TaskOf(olga), observerAction)).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("in_review", observed.Str("request_status"));
        Assert.Equal(observerAction, observed.Str("action"));
        Assert.Equal("completed", (await f.TaskStatusesAsync(id))[olga]);
        Assert.Equal("open", (await f.TaskStatusesAsync(id))[alice]);
        if (approverAction is not null)
            (await f.DecideAsync(created.TaskOf(alice), approverAction)).Expect(HttpStatusCode.Created);

        Assert.Equal(status, await f.StatusOf(id));
        if (status == "rejected") Assert.Equal(alice, (await f.EventAsync(id, "request_rejected")).Str("actor"));
    }

    [Fact]
    public async Task Open_observer_tasks_are_skipped_when_the_stage_completes()
    {
        var (alice, olga) = (Flow.Unique("alice"), Flow.Unique("olga"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(alice), User(olga, kind: "observer"))));

        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);

        Assert.Equal(new Dictionary<string, string> { [alice] = "completed", [olga] = "skipped" }, await f.TaskStatusesAsync(created.RequestId()));
        Assert.Equal("approved", await f.StatusOf(created.RequestId()));
    }

    // ---- required approvers ----

    [Fact]
    public async Task A_met_quorum_waits_for_the_required_approver_then_approves()
    {
        var (boss, a, b) = (Flow.Unique("boss"), Flow.Unique("a"), Flow.Unique("b"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 1, User(boss, required: true), User(a), User(b))));
        var id = created.RequestId();
        Assert.True((bool)created.TaskOf(boss)["required"]!);
        Assert.Equal([boss], (await f.EventAsync(id, "stage_started"))["required_approvers"].Items().Select(n => (string)n!));

        var first = (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("in_review", first.Str("request_status"));
        Assert.Equal("open", (await f.TaskStatusesAsync(id))[boss]);

        var second = (await f.DecideAsync(created.TaskOf(boss), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("approved", second.Str("request_status"));
        Assert.Equal("skipped", (await f.TaskStatusesAsync(id))[b]);
    }

    [Theory]
    //          required user's action   reason
    [InlineData("abstain",               "required_approver_missing")]
    [InlineData("reject",                "vetoed")]
    public async Task A_required_approver_who_does_not_approve_rejects_the_stage(string action, string reason)
    {
        var (boss, a, b) = (Flow.Unique("boss"), Flow.Unique("a"), Flow.Unique("b"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 1, User(boss, required: true), User(a), User(b))));
        (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created);

        var decision = (await f.DecideAsync(created.TaskOf(boss), action)).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("rejected", decision.Str("request_status"));
        Assert.Equal(reason, (await f.EventAsync(created.RequestId(), "request_rejected")).Str("reason"));
        Assert.Equal("skipped", (await f.TaskStatusesAsync(created.RequestId()))[b]);
    }

    [Fact]
    public async Task A_required_approver_s_replacement_after_reassign_holds_the_required_seat()
    {
        var (boss, deputy, a) = (Flow.Unique("boss"), Flow.Unique("deputy"), Flow.Unique("a"));
        var created = await Flow.CreateAsync(f.Admin, await Flow.PolicyAsync(f.Admin,
            Stage(1, "any-n", 1, User(boss, required: true), User(a))));
        var deputyTask = (await f.Admin.PostJson($"/v1/awe/tasks/{created.TaskOf(boss).Str("id")}/reassign",
            new JsonObject { ["new_assignee"] = deputy })).Expect(HttpStatusCode.OK).Json;
        Assert.True((bool)deputyTask["required"]!);

        Assert.Equal("in_review", (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created).Json.Str("request_status"));
        Assert.Equal("approved", (await f.DecideAsync(deputyTask, "approve")).Expect(HttpStatusCode.Created).Json.Str("request_status"));
    }
}
