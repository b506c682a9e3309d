using Awe.Activities.Model;
using Awe.Activities.Runtime;
using static Awe.Activities.Tests.Runtime.Build;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Tests.Runtime;

// Reassignment, and the changes the runner must refuse (HTTP 409) without touching anything.
public class ApprovalRunnerChangeTests
{
    [Fact]
    public async Task Reassign_replaces_the_task_and_carries_its_required_slot_and_deadline()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a", required: true), User("u-b")).Mode("any-n", 1).Sla(8)));
        var old = Engine.LiveTask(i, "u-a");
        e.Clock.Advance(TimeSpan.FromHours(1));

        var j = await e.ReassignAsync(i, "u-a", "u-c");

        var replacement = Assert.Single(j.NewTasks);
        Assert.Equal((TaskStatus.Reassigned, e.Now), (old.Status, old.CompletedAt));
        Assert.Equal(("u-c", "u-a", "u-a", TaskStatus.Open, TaskKind.Approver),
            (replacement.Assignee, replacement.ReassignedFrom, replacement.RequiredSlot, replacement.Status, replacement.Kind));
        Assert.Equal((old.StageId, old.StageOrder, old.DueAt), (replacement.StageId, replacement.StageOrder, replacement.DueAt));
        Assert.Equal(Engine.T0.UtcDateTime.AddHours(8), replacement.DueAt);
        Assert.Null(replacement.DelegatedFrom);

        Assert.Equal(["task_reassigned"], Show.Types(j.NewEvents));
        var payload = j.NewEvents[0].Payload;
        Assert.Equal((old.Id, replacement.Id, "u-a", "u-c", "u-admin", "out sick", 1),
            ((string?)payload["task_id"], (string?)payload["new_task_id"], (string?)payload["from"], (string?)payload["to"],
             (string?)payload["actor"], (string?)payload["reason"], (int?)payload["stage_order"]));
        Assert.Equal(["u-b", "u-c"], j.State.Bookmarks.Where(b => b.Kind == BookmarkKind.TaskDecision).Select(b => b.Assignee));
        Assert.Equal(e.Now, j.Request.UpdatedAt);

        // Quorum (any-n 1) is met by u-b, but the required slot now held by u-c still gates the stage.
        var k = await e.DecideAsync(j, "u-b", DecisionAction.Approve);
        Assert.Equal(["task_decided"], Show.Types(k.NewEvents));
        var l = await e.DecideAsync(k, "u-c", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "request_approved"], Show.Types(l.NewEvents));
        Show.AssertGapless(e.Journal, l.Request);
    }

    [Fact]
    public async Task A_reassigned_required_slot_whose_holder_abstains_rejects_the_stage()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a", required: true), User("u-b")).Mode("any-n", 1)));
        var j = await e.ReassignAsync(i, "u-a", "u-c");
        var k = await e.DecideAsync(j, "u-c", DecisionAction.Abstain);
        Assert.Equal(["task_decided", "stage_completed", "request_rejected"], Show.Types(k.NewEvents));
        Assert.Equal("required_approver_missing", (string?)k.NewEvents[2].Payload["reason"]);
    }

    [Fact]
    public async Task A_reassigned_task_never_stalls_an_all_stage()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"))));
        var j = await e.ReassignAsync(i, "u-a", "u-c");
        var k = await e.DecideAsync(j, "u-b", DecisionAction.Approve);
        Assert.Equal(RequestStatus.InReview, k.Request.Status);
        var l = await e.DecideAsync(k, "u-c", DecisionAction.Approve);
        Assert.Equal(RequestStatus.Approved, l.Request.Status);
    }

    [Fact]
    public async Task Reassigning_an_observer_task_keeps_it_an_observer_task()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), Observer("u-o"))));
        var j = await e.ReassignAsync(i, "u-o", "u-p");
        Assert.Equal((TaskKind.Observer, (DateTime?)null), (j.NewTasks[0].Kind, j.NewTasks[0].DueAt));
    }

    [Fact]
    public async Task Reassign_trims_the_new_assignee()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"))));
        var j = Engine.Reload(i);
        var replacement = await e.Runner.ReassignAsync(j, Engine.LiveTask(j, "u-a").Id, "  u-c ", "u-admin", null, CancellationToken.None);
        Assert.Equal("u-c", replacement.Assignee);
    }

    [Fact]
    public async Task Reassign_to_someone_with_a_live_task_on_another_stage_is_allowed()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")).Group(1), Stage(2, User("u-b")).Group(1)));
        var j = await e.ReassignAsync(i, "u-a", "u-b", stageOrder: 1);
        Assert.Equal(["1:u-a:approver:reassigned", "2:u-b:approver:open", "1:u-b:approver:open"], Show.Tasks(j));
    }

    // ---- refused changes: a WorkflowStateException and nothing changed ----

    public static TheoryData<string> RefusedReassignments() =>
        new("to the same user", "to someone with a live approver task on the stage", "to someone with a live observer task on the stage",
            "to someone who already approved on the stage", "to someone who already abstained on the stage",
            "a completed task", "a skipped task", "a task already reassigned", "on a cancelled request");

    [Theory]
    [MemberData(nameof(RefusedReassignments))]
    public async Task Reassignments_that_do_not_fit_are_refused_without_changes(string name)
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(
            Stage(1, User("u-a"), User("u-b"), User("u-c"), User("u-d"), Observer("u-o")).Mode("any-n", 3),
            Stage(2, User("u-z"))));
        var (instance, taskAssignee, target) = name switch
        {
            "to the same user" => (i, "u-a", "u-a"),
            "to someone with a live approver task on the stage" => (i, "u-a", "u-b"),
            "to someone with a live observer task on the stage" => (i, "u-a", "u-o"),
            "to someone who already approved on the stage" => (await e.DecideAsync(i, "u-b", DecisionAction.Approve), "u-a", "u-b"),
            "to someone who already abstained on the stage" => (await e.DecideAsync(i, "u-b", DecisionAction.Abstain), "u-a", "u-b"),
            "a completed task" => (await e.DecideAsync(i, "u-a", DecisionAction.Approve), "u-a", "u-x"),
            "a skipped task" => (await e.DecideAsync(await e.DecideAsync(await e.DecideAsync(i, "u-a", "approve"), "u-b", "approve"), "u-c", "approve"), "u-d", "u-x"),
            "a task already reassigned" => (await e.ReassignAsync(i, "u-a", "u-x"), "u-a", "u-y"),
            "on a cancelled request" => (await e.CancelAsync(i), "u-a", "u-x"),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var attempt = Engine.Reload(instance);
        var task = attempt.Request.Tasks.First(t => t.Assignee == taskAssignee && t.StageOrder == 1);
        var before = Show.Snapshot(attempt);

        await Assert.ThrowsAsync<WorkflowStateException>(() =>
            e.Runner.ReassignAsync(attempt, task.Id, target, "u-admin", null, CancellationToken.None));
        Assert.Equal(before, Show.Snapshot(attempt));
    }

    [Fact]
    public async Task Reassigning_to_an_earlier_decider_would_give_them_a_second_vote()
    {
        // any-n 2 must take two people. Without the guard, u-b approves, takes over u-a's task and approves again.
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"), User("u-c")).Mode("any-n", 2)));
        var j = await e.DecideAsync(i, "u-b", DecisionAction.Approve);
        await Assert.ThrowsAsync<WorkflowStateException>(() => e.ReassignAsync(j, "u-a", "u-b"));

        // Someone whose earlier task on the stage was reassigned away never voted, so they may take a task back.
        var k = await e.ReassignAsync(j, "u-a", "u-x");
        var l = await e.ReassignAsync(k, "u-x", "u-a");
        Assert.Equal("u-a", Assert.Single(l.NewTasks).Assignee);
    }

    public static TheoryData<string> RefusedDecisions() =>
        new("on an approved request", "on a rejected request", "on a cancelled request", "on a completed task",
            "on a task skipped by the quorum", "on a reassigned task");

    [Theory]
    [MemberData(nameof(RefusedDecisions))]
    public async Task Decisions_on_closed_requests_or_tasks_are_refused_without_changes(string name)
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"), User("u-c")).Mode("any-n", 2), Stage(2, User("u-z"))));
        var (instance, assignee) = name switch
        {
            "on an approved request" => (await e.DecideAsync(await e.DecideAsync(await e.DecideAsync(i, "u-a", "approve"), "u-b", "approve"), "u-z", "approve"), "u-a"),
            "on a rejected request" => (await e.DecideAsync(i, "u-a", "reject"), "u-b"),
            "on a cancelled request" => (await e.CancelAsync(i), "u-a"),
            "on a completed task" => (await e.DecideAsync(i, "u-a", "approve"), "u-a"),
            "on a task skipped by the quorum" => (await e.DecideAsync(await e.DecideAsync(i, "u-a", "approve"), "u-b", "approve"), "u-c"),
            "on a reassigned task" => (await e.ReassignAsync(i, "u-a", "u-x"), "u-a"),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var attempt = Engine.Reload(instance);
        var task = attempt.Request.Tasks.First(t => t.Assignee == assignee);
        var before = Show.Snapshot(attempt);

        await Assert.ThrowsAsync<WorkflowStateException>(() =>
            e.Runner.DecideAsync(attempt, task.Id, DecisionAction.Approve, assignee, null, null, CancellationToken.None));
        Assert.Equal(before, Show.Snapshot(attempt));
    }

    [Fact]
    public async Task Cancel_and_claim_on_a_terminal_request_are_refused_without_changes()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"))));
        var done = Engine.Reload(await e.DecideAsync(i, "u-a", DecisionAction.Approve));
        var before = Show.Snapshot(done);

        await Assert.ThrowsAsync<WorkflowStateException>(() => e.Runner.CancelAsync(done, "u-admin", null, CancellationToken.None));
        Assert.Throws<WorkflowStateException>(() => e.Runner.Claim(done, done.Request.Tasks[0].Id));
        Assert.Equal(before, Show.Snapshot(done));

        var cancelled = Engine.Reload(await e.CancelAsync(await e.StartAsync(Policy(Stage(1, User("u-a"))))));
        await Assert.ThrowsAsync<WorkflowStateException>(() => e.Runner.CancelAsync(cancelled, "u-admin", null, CancellationToken.None));
    }

    [Fact]
    public async Task An_unknown_action_is_refused_before_anything_changes()
    {
        var e = new Engine();
        var i = Engine.Reload(await e.StartAsync(Policy(Stage(1, User("u-a")))));
        var before = Show.Snapshot(i);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            e.Runner.DecideAsync(i, i.Request.Tasks[0].Id, "approved", "u-a", null, null, CancellationToken.None));
        Assert.Equal(before, Show.Snapshot(i));
    }

    [Fact]
    public async Task A_task_of_another_request_is_not_found()
    {
        var e = new Engine();
        var i = Engine.Reload(await e.StartAsync(Policy(Stage(1, User("u-a")))));
        var other = await e.StartAsync(Policy(Stage(1, User("u-a"))));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            e.Runner.DecideAsync(i, other.Request.Tasks[0].Id, DecisionAction.Approve, "u-a", null, null, CancellationToken.None));
    }
}

public class ReassignSegregationOfDutiesTests
{
    [Fact]
    public async Task Reassigning_to_the_requester_is_refused_when_the_policy_forbids_self_approval()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"))).ForbidSelf(), requester: "u-requester");
        var ex = await Assert.ThrowsAsync<WorkflowStateException>(() => e.ReassignAsync(i, "u-a", "u-requester"));
        Assert.Contains("forbid_self_approval", ex.Message);
    }

    [Fact]
    public async Task Reassigning_to_an_earlier_approver_is_refused_when_the_policy_forbids_repeat_approvers()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")), Stage(2, User("u-b"))).ForbidRepeat());
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        var ex = await Assert.ThrowsAsync<WorkflowStateException>(() => e.ReassignAsync(j, "u-b", "u-a"));
        Assert.Contains("forbid_repeat_approvers", ex.Message);
        // Without the flag the same reassignment is allowed.
        var f = new Engine();
        var k = await f.DecideAsync(await f.StartAsync(Policy(Stage(1, User("u-a")), Stage(2, User("u-b")))), "u-a", DecisionAction.Approve);
        var l = await f.ReassignAsync(k, "u-b", "u-a");
        Assert.Equal("u-a", Assert.Single(l.NewTasks).Assignee);
    }

    [Fact]
    public async Task Reassignment_is_refused_when_the_request_already_holds_its_most_tasks()
    {
        var e = new Engine { Settings = RunnerSettings.Default with { MaxTasksPerRequest = 2 } };
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"))));
        var attempt = Engine.Reload(i);
        var before = Show.Snapshot(attempt);

        var refused = await Assert.ThrowsAsync<WorkflowStateException>(() =>
            e.Runner.ReassignAsync(attempt, Engine.LiveTask(attempt, "u-a").Id, "u-c", "u-admin", null, CancellationToken.None));

        Assert.Contains("awe.limits.max_tasks_per_request", refused.Message);
        Assert.Equal(before, Show.Snapshot(attempt));
    }
}
