using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Runtime;
using static Awe.Activities.Tests.Runtime.Build;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Tests.Runtime;

// How requests move through their workflow: events, node states, bookmarks, tasks and request status after
// each change.
public class ApprovalRunnerFlowTests
{
    [Fact]
    public async Task Single_stage_waits_for_its_approver_then_approves_the_request()
    {
        var e = new Engine();
        var policy = Policy(Stage(1, User("u-alice")));
        var i = await e.StartAsync(policy);

        Assert.Equal(["request_created", "stage_started"], Show.Types(i.NewEvents));
        Assert.Equal(RequestStatus.InReview, i.Request.Status);
        Assert.Equal(1, i.Request.CurrentStageOrder);
        Assert.Null(i.Request.CompletedAt);
        Assert.Equal("start=done group-1=done stage-1=active", Show.Nodes(i));

        var task = Assert.Single(i.NewTasks);
        Assert.Same(task, Assert.Single(i.Request.Tasks));
        Assert.Equal(("u-alice", TaskKind.Approver, TaskStatus.Open), (task.Assignee, task.Kind, task.Status));
        Assert.Equal((i.Request.Id, policy.Stages[0].Id, 1), (task.RequestId, task.StageId, task.StageOrder));
        Assert.Null(task.DueAt);
        Assert.Null(task.DelegatedFrom);
        Assert.Null(task.RequiredSlot);
        Assert.Equal(e.Now, task.CreatedAt);
        Assert.Equal([new Bookmark("stage-1", BookmarkKind.TaskDecision, task.Id, "u-alice")], i.State.Bookmarks);

        var created = i.NewEvents[0].Payload;
        Assert.Equal("loan-approval", (string?)created["policy_key"]);
        Assert.Equal(3, (int?)created["policy_version"]);
        Assert.Equal("loan-approval:v3", (string?)created["definition_id"]);
        Assert.Equal(RequestStatus.Pending, (string?)created["status"]);
        Assert.Equal(i.Request.Id, (string?)created["request_id"]);
        Assert.Equal("loan", (string?)created["artifact_type"]);
        Assert.Equal("L-1001", (string?)created["artifact_id"]);
        Assert.Equal(1, (int?)created["stage_order"]);

        var started = i.NewEvents[1].Payload;
        Assert.Equal("Stage 1", (string?)started["name"]);
        Assert.Equal("all", (string?)started["mode"]);
        Assert.Null(started["mode_value"]);
        Assert.Equal(["u-alice"], Show.Strings(started["approvers"]));
        Assert.Empty(Show.Strings(started["observers"]));
        Assert.Empty(Show.Strings(started["required_approvers"]));
        Assert.Empty(started["delegations"]!.AsArray());
        Assert.Empty(started["excluded"]!.AsArray());
        Assert.Null(started["due_at"]);
        Assert.Equal(RequestStatus.InReview, (string?)started["status"]);

        e.Clock.Advance(TimeSpan.FromHours(3));
        var j = await e.DecideAsync(i, "u-alice", DecisionAction.Approve);

        Assert.Equal(["task_decided", "stage_completed", "request_approved"], Show.Types(j.NewEvents));
        Assert.Equal(RequestStatus.Approved, j.Request.Status);
        Assert.Equal(e.Now, j.Request.CompletedAt);
        Assert.Equal(e.Now, j.Request.UpdatedAt);
        Assert.Equal("start=done group-1=done stage-1=done join-1=done approved=done", Show.Nodes(j));
        Assert.Empty(j.State.Bookmarks);
        Assert.Empty(j.NewTasks);

        var decision = Assert.Single(j.NewDecisions);
        Assert.Equal((task.Id, 1, "u-alice", DecisionAction.Approve, "approve by u-alice"),
            (decision.TaskId, decision.StageOrder, decision.Actor, decision.Action, decision.Comment));
        Assert.Equal((TaskStatus.Completed, decision.Id, e.Now), (task.Status, task.DecisionId, task.CompletedAt));

        var decided = j.NewEvents[0].Payload;
        Assert.Equal(task.Id, (string?)decided["task_id"]);
        Assert.Equal(decision.Id, (string?)decided["decision_id"]);
        Assert.Equal("u-alice", (string?)decided["assignee"]);
        Assert.Equal("approver", (string?)decided["kind"]);
        Assert.Equal("approve", (string?)decided["action"]);
        Assert.Equal("u-alice", (string?)decided["actor"]);
        Assert.Equal("approved", (string?)j.NewEvents[1].Payload["outcome"]);
        Assert.Equal("u-alice", (string?)j.NewEvents[1].Payload["actor"]);
        var approved = j.NewEvents[2].Payload;
        Assert.Equal("u-alice", (string?)approved["actor"]);
        Assert.False(approved.AsObject().ContainsKey("reason"));
        Assert.Equal(RequestStatus.Approved, (string?)approved["status"]);

        Show.AssertGapless(e.Journal, j.Request);
        Assert.Equal(5, e.Journal.Count);
    }

    [Fact]
    public async Task Persisted_workflow_state_holds_the_nodes_and_bookmarks()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b")).Sla(24)));

        var persisted = InstanceState.FromJson(i.Request.WorkflowState);
        Assert.Equal("loan-approval:v3", persisted.DefinitionId);
        Assert.Equal(i.State.Nodes, persisted.Nodes);
        Assert.Equal(i.State.Bookmarks, persisted.Bookmarks);
        Assert.Contains("\"task_decision\"", i.Request.WorkflowState);
        Assert.Contains("\"due_at\"", i.Request.WorkflowState);
    }

    [Fact]
    public async Task Sequential_stages_run_one_after_another()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")), Stage(2, User("u-b"))));
        Assert.Equal(["1:u-a:approver:open"], Show.Tasks(i));
        Assert.Equal("start=done group-1=done stage-1=active", Show.Nodes(i));

        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "stage_started"], Show.Types(j.NewEvents));
        Assert.Equal([1, 1, 2], j.NewEvents.Select(x => (int)x.Payload["stage_order"]!));
        Assert.Equal(2, j.Request.CurrentStageOrder);
        Assert.Equal(RequestStatus.InReview, j.Request.Status);
        Assert.Equal("start=done group-1=done stage-1=done join-1=done group-2=done stage-2=active", Show.Nodes(j));
        Assert.Equal(["2:u-b:approver:open"], j.NewTasks.Select(t => $"{t.StageOrder}:{t.Assignee}:{t.Kind}:{t.Status}"));
        Assert.Equal("stage-2", Assert.Single(j.State.Bookmarks).NodeId);

        var k = await e.DecideAsync(j, "u-b", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "request_approved"], Show.Types(k.NewEvents));
        Assert.Equal(RequestStatus.Approved, k.Request.Status);
        Assert.Equal("start=done group-1=done stage-1=done join-1=done group-2=done stage-2=done join-2=done approved=done", Show.Nodes(k));
        Assert.Equal(
            ["request_created", "stage_started", "task_decided", "stage_completed", "stage_started", "task_decided", "stage_completed", "request_approved"],
            Show.Types(e.Journal));
        Show.AssertGapless(e.Journal, k.Request);
    }

    [Fact]
    public async Task A_single_reject_vetoes_the_stage_and_the_request()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"), User("u-c")), Stage(2, User("u-d"))));
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        Assert.Equal(["task_decided"], Show.Types(j.NewEvents));

        var k = await e.DecideAsync(j, "u-b", DecisionAction.Reject);
        Assert.Equal(["task_decided", "stage_completed", "request_rejected"], Show.Types(k.NewEvents));
        Assert.Equal(RequestStatus.Rejected, k.Request.Status);
        Assert.Equal(e.Now, k.Request.CompletedAt);
        Assert.Equal(["1:u-a:approver:completed", "1:u-b:approver:completed", "1:u-c:approver:skipped"], Show.Tasks(k));
        Assert.Equal("start=done group-1=done stage-1=rejected rejected=done", Show.Nodes(k));
        Assert.Empty(k.State.Bookmarks);

        var completed = k.NewEvents[1].Payload;
        Assert.Equal(("rejected", "vetoed", "u-b"), ((string?)completed["outcome"], (string?)completed["reason"], (string?)completed["actor"]));
        Assert.Equal("u-b rejected", (string?)completed["detail"]);
        var rejected = k.NewEvents[2].Payload;
        Assert.Equal(("vetoed", "u-b", 1), ((string?)rejected["reason"], (string?)rejected["actor"], (int?)rejected["stage_order"]));
        Assert.DoesNotContain("user:u-d", e.Resolver.Calls);
        Show.AssertGapless(e.Journal, k.Request);
    }

    [Fact]
    public async Task Reaching_quorum_skips_the_other_tasks_and_says_so()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"), User("u-c"), Observer("u-o")).Mode("any-n", 1)));
        string[] others = [Engine.LiveTask(i, "u-a").Id, Engine.LiveTask(i, "u-c").Id];
        var j = await e.DecideAsync(i, "u-b", DecisionAction.Approve);

        Assert.Equal(["task_decided", "stage_quorum_skipped", "stage_completed", "request_approved"], Show.Types(j.NewEvents));
        var skipped = j.NewEvents[1].Payload;
        Assert.Equal(["u-a", "u-c"], Show.Strings(skipped["skipped_assignees"]));
        Assert.Equal(others, Show.Strings(skipped["task_ids"]));
        Assert.Equal(
            ["1:u-a:approver:skipped", "1:u-b:approver:completed", "1:u-c:approver:skipped", "1:u-o:observer:skipped"],
            Show.Tasks(j));
    }

    [Fact]
    public async Task Observer_left_open_is_closed_without_a_quorum_skipped_event()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), Observer("u-o"))));
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "request_approved"], Show.Types(j.NewEvents));
        Assert.Equal(["1:u-a:approver:completed", "1:u-o:observer:skipped"], Show.Tasks(j));
    }

    [Fact]
    public async Task Abstentions_shrink_what_is_reachable_until_the_quorum_is_lost()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b")).Mode("any-n", 1)));
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Abstain);
        Assert.Equal(["task_decided"], Show.Types(j.NewEvents));
        Assert.Equal(RequestStatus.InReview, j.Request.Status);
        Assert.Equal("stage-1", Assert.Single(j.State.Bookmarks).NodeId);

        var k = await e.DecideAsync(j, "u-b", DecisionAction.Abstain);
        Assert.Equal(["task_decided", "stage_completed", "request_rejected"], Show.Types(k.NewEvents));
        Assert.Equal("quorum_unreachable", (string?)k.NewEvents[2].Payload["reason"]);
        Assert.Equal(RequestStatus.Rejected, k.Request.Status);
    }

    [Fact]
    public async Task All_mode_with_an_abstention_is_rejected_at_once_instead_of_stalling()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"))));
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Abstain);
        Assert.Equal(["task_decided", "stage_completed", "request_rejected"], Show.Types(j.NewEvents));
        Assert.Equal("quorum_unreachable", (string?)j.NewEvents[1].Payload["reason"]);
        Assert.Equal(["1:u-a:approver:completed", "1:u-b:approver:skipped"], Show.Tasks(j));
    }

    // ---- parallel groups ----

    private static ApprovalPolicy ParallelPolicy() => Policy(
        Stage(1, User("u-a")).Group(1),
        Stage(2, User("u-b")).Group(1),
        Stage(3, User("u-c")));

    [Fact]
    public async Task Parallel_stages_start_together_and_the_join_waits_for_both()
    {
        var e = new Engine();
        var i = await e.StartAsync(ParallelPolicy());
        Assert.Equal(["request_created", "stage_started", "stage_started"], Show.Types(i.NewEvents));
        Assert.Equal([1, 2], i.NewEvents.Skip(1).Select(x => (int)x.Payload["stage_order"]!));
        Assert.Equal("start=done group-1=done stage-1=active stage-2=active", Show.Nodes(i));
        Assert.Equal(["1:u-a:approver:open", "2:u-b:approver:open"], Show.Tasks(i));
        Assert.Equal(["stage-1", "stage-2"], i.State.Bookmarks.Select(b => b.NodeId));
        Assert.Equal(1, i.Request.CurrentStageOrder);

        // The later stage finishing first does not pass the join.
        var j = await e.DecideAsync(i, "u-b", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed"], Show.Types(j.NewEvents));
        Assert.Equal(2, (int)j.NewEvents[1].Payload["stage_order"]!);
        Assert.Equal("start=done group-1=done stage-1=active stage-2=done", Show.Nodes(j));
        Assert.Equal(1, j.Request.CurrentStageOrder);
        Assert.Equal(RequestStatus.InReview, j.Request.Status);
        Assert.Empty(j.NewTasks);
        Assert.DoesNotContain("user:u-c", e.Resolver.Calls);

        var k = await e.DecideAsync(j, "u-a", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "stage_started"], Show.Types(k.NewEvents));
        Assert.Equal("start=done group-1=done stage-1=done stage-2=done join-1=done group-3=done stage-3=active", Show.Nodes(k));
        Assert.Equal(3, k.Request.CurrentStageOrder);
        Assert.Equal(["3:u-c:approver:open"], k.NewTasks.Select(t => $"{t.StageOrder}:{t.Assignee}:{t.Kind}:{t.Status}"));
        Show.AssertGapless(e.Journal, k.Request);
    }

    [Fact]
    public async Task Current_stage_is_the_smallest_active_stage_of_the_group()
    {
        var e = new Engine();
        var i = await e.StartAsync(ParallelPolicy());
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        Assert.Equal("start=done group-1=done stage-1=done stage-2=active", Show.Nodes(j));
        Assert.Equal(2, j.Request.CurrentStageOrder);
    }

    [Fact]
    public async Task A_rejection_in_a_parallel_group_closes_the_sibling_stage()
    {
        var e = new Engine();
        var i = await e.StartAsync(ParallelPolicy());
        var j = await e.DecideAsync(i, "u-b", DecisionAction.Reject);

        Assert.Equal(["task_decided", "stage_completed", "request_rejected"], Show.Types(j.NewEvents));
        Assert.Equal(RequestStatus.Rejected, j.Request.Status);
        Assert.Equal(2, j.Request.CurrentStageOrder);
        Assert.Equal(["1:u-a:approver:skipped", "2:u-b:approver:completed"], Show.Tasks(j));
        Assert.Equal("start=done group-1=done stage-1=skipped stage-2=rejected rejected=done", Show.Nodes(j));
        Assert.Empty(j.State.Bookmarks);
    }

    [Fact]
    public async Task A_skipped_stage_in_a_group_counts_as_done_for_the_join()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(
            Stage(1, User("u-a")).Group(1).SkipIf("""{"==":[{"var":"kind"},"small"]}"""),
            Stage(2, User("u-b")).Group(1),
            Stage(3, User("u-c"))), new JsonObject { ["kind"] = "small" });
        Assert.Equal(["request_created", "stage_skipped", "stage_started"], Show.Types(i.NewEvents));
        Assert.Equal("start=done group-1=done stage-1=skipped stage-2=active", Show.Nodes(i));
        Assert.Equal(2, i.Request.CurrentStageOrder);

        var j = await e.DecideAsync(i, "u-b", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "stage_started"], Show.Types(j.NewEvents));
        Assert.Equal(3, j.Request.CurrentStageOrder);
    }

    // ---- skip_if ----

    [Theory]
    [InlineData("holds", """{"<":[{"var":"amount"},100]}""", true)]
    [InlineData("does not hold", """{"<":[{"var":"amount"},10]}""", false)]
    [InlineData("truthy non-boolean result", """{"var":"applicant"}""", true)]
    [InlineData("unknown operator (invalid) runs the stage", """{"no_such_op":[1]}""", false)]
    [InlineData("evaluation error runs the stage", """{"/":[1,{"var":"zero"}]}""", false)]
    [InlineData("rule object with two keys runs the stage", """{"==":[1,1],"!=":[1,2]}""", false)]
    public async Task Skip_if_skips_only_when_it_evaluates_truthy(string name, string skipIf, bool skipped)
    {
        _ = name;
        var e = new Engine();
        var context = new JsonObject { ["amount"] = 50, ["zero"] = 0, ["applicant"] = "Ada" };
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")).SkipIf(skipIf), Stage(2, User("u-b"))), context);

        if (skipped)
        {
            Assert.Equal(["request_created", "stage_skipped", "stage_started"], Show.Types(i.NewEvents));
            var payload = i.NewEvents[1].Payload;
            Assert.Equal(("skip_if", "Stage 1", 1), ((string?)payload["reason"], (string?)payload["name"], (int?)payload["stage_order"]));
            Assert.Equal("start=done group-1=done stage-1=skipped join-1=done group-2=done stage-2=active", Show.Nodes(i));
            Assert.Equal(["2:u-b:approver:open"], Show.Tasks(i));
            Assert.Equal(2, i.Request.CurrentStageOrder);
            Assert.DoesNotContain("user:u-a", e.Resolver.Calls); // a skipped stage is not even resolved
        }
        else
        {
            Assert.Equal(["request_created", "stage_started"], Show.Types(i.NewEvents));
            Assert.Equal("start=done group-1=done stage-1=active", Show.Nodes(i));
            Assert.Equal(["1:u-a:approver:open"], Show.Tasks(i));
        }
    }

    [Fact]
    public void Skip_if_holds_is_fail_closed()
    {
        var context = JsonNode.Parse("""{"amount": 5}""")!;
        Assert.True(ApprovalRunner.SkipIfHolds(JsonNode.Parse("""{">":[{"var":"amount"},1]}""")!, context));
        Assert.False(ApprovalRunner.SkipIfHolds(JsonNode.Parse("""{">":[{"var":"amount"},10]}""")!, context));
        Assert.False(ApprovalRunner.SkipIfHolds(JsonNode.Parse("""{"%":[1,0]}""")!, context));
        Assert.False(ApprovalRunner.SkipIfHolds(JsonNode.Parse("""{"bogus":[]}""")!, context));
    }

    // ---- on_empty, all skipped, no stages ----

    [Fact]
    public async Task Empty_stage_with_on_empty_skip_is_skipped_and_the_next_stage_starts()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, Role("nobody")).OnEmpty("skip"), Stage(2, User("u-b"))));
        Assert.Equal(["request_created", "stage_skipped", "stage_started"], Show.Types(i.NewEvents));
        var payload = i.NewEvents[1].Payload;
        Assert.Equal("no_approvers", (string?)payload["reason"]);
        Assert.Empty(payload["excluded"]!.AsArray());
        Assert.Equal("start=done group-1=done stage-1=skipped join-1=done group-2=done stage-2=active", Show.Nodes(i));
        Assert.Equal(2, i.Request.CurrentStageOrder);
    }

    [Fact]
    public async Task Empty_stage_with_on_empty_block_rejects_the_request()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, Role("nobody")), Stage(2, User("u-b"))));

        Assert.Equal(["request_created", "request_rejected"], Show.Types(i.NewEvents));
        var payload = i.NewEvents[1].Payload;
        Assert.Equal("no_approvers_resolved", (string?)payload["reason"]);
        Assert.Equal("stage 1 ('Stage 1') resolved no approvers", (string?)payload["detail"]);
        Assert.Equal(1, (int?)payload["stage_order"]);
        Assert.Null(payload["actor"]);
        Assert.Equal(RequestStatus.Rejected, i.Request.Status);
        Assert.Equal(e.Now, i.Request.CompletedAt);
        Assert.Equal("start=done group-1=done stage-1=rejected rejected=done", Show.Nodes(i));
        Assert.Empty(i.Request.Tasks);
        Assert.Empty(i.State.Bookmarks);
        Assert.DoesNotContain("user:u-b", e.Resolver.Calls);
    }

    [Fact]
    public async Task All_stages_skipped_approves_with_reason_all_stages_skipped()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(
            Stage(1, User("u-a")).SkipIf("true"),
            Stage(2, Role("nobody")).OnEmpty("skip")));

        Assert.Equal(["request_created", "stage_skipped", "stage_skipped", "request_approved"], Show.Types(i.NewEvents));
        Assert.Equal(["skip_if", "no_approvers"], i.NewEvents.Skip(1).Take(2).Select(x => (string)x.Payload["reason"]!));
        var approved = i.NewEvents[3].Payload;
        Assert.Equal("all_stages_skipped", (string?)approved["reason"]);
        Assert.Null(approved["actor"]);
        Assert.Equal(RequestStatus.Approved, i.Request.Status);
        Assert.Equal(e.Now, i.Request.CompletedAt);
        Assert.Empty(i.Request.Tasks);
        Assert.Equal("start=done group-1=done stage-1=skipped join-1=done group-2=done stage-2=skipped join-2=done approved=done", Show.Nodes(i));
        Show.AssertGapless(e.Journal, i.Request);
    }

    [Fact]
    public async Task A_request_where_some_stage_ran_approves_without_a_reason()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")), Stage(2, User("u-b")).SkipIf("true")));
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "stage_skipped", "request_approved"], Show.Types(j.NewEvents));
        Assert.False(j.NewEvents[3].Payload.AsObject().ContainsKey("reason"));
        Assert.Equal("u-a", (string?)j.NewEvents[3].Payload["actor"]);
    }

    [Fact]
    public async Task Zero_stages_approve_at_once_with_reason_no_stages()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy());
        Assert.Equal(["request_created", "request_approved"], Show.Types(i.NewEvents));
        Assert.Equal("no_stages", (string?)i.NewEvents[1].Payload["reason"]);
        Assert.Equal(RequestStatus.Approved, i.Request.Status);
        Assert.Equal(1, i.Request.CurrentStageOrder);
        Assert.Equal("start=done approved=done", Show.Nodes(i));
        Assert.Empty(i.State.Bookmarks);
        Assert.Empty(i.NewTasks);
        Show.AssertGapless(e.Journal, i.Request);
    }

    // ---- quorum out of reach when the stage starts ----

    [Fact]
    public async Task Any_n_three_with_two_approvers_is_rejected_when_the_stage_starts()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b")).Mode("any-n", 3), Stage(2, User("u-c"))));

        Assert.Equal(["request_created", "stage_started", "stage_completed", "request_rejected"], Show.Types(i.NewEvents));
        var completed = i.NewEvents[2].Payload;
        Assert.Equal(("rejected", "quorum_unreachable"), ((string?)completed["outcome"], (string?)completed["reason"]));
        Assert.Equal("3 approvals needed, at most 2 still possible", (string?)completed["detail"]);
        Assert.Equal("quorum_unreachable", (string?)i.NewEvents[3].Payload["reason"]);
        Assert.Equal(RequestStatus.Rejected, i.Request.Status);
        Assert.Equal(["1:u-a:approver:skipped", "1:u-b:approver:skipped"], Show.Tasks(i));
        Assert.Equal("start=done group-1=done stage-1=rejected rejected=done", Show.Nodes(i));
        Assert.Empty(i.State.Bookmarks);
    }

    [Fact]
    public async Task Unreachable_stage_in_a_parallel_group_rejects_and_closes_the_group()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(
            Stage(1, User("u-a")).Group(1),
            Stage(2, User("u-b"), User("u-c")).Group(1).Mode("quorum", 3)));
        Assert.Equal(["request_created", "stage_started", "stage_started", "stage_completed", "request_rejected"], Show.Types(i.NewEvents));
        Assert.Equal(2, i.Request.CurrentStageOrder);
        Assert.Equal(["1:u-a:approver:skipped", "2:u-b:approver:skipped", "2:u-c:approver:skipped"], Show.Tasks(i));
        Assert.Equal("start=done group-1=done stage-1=skipped stage-2=rejected rejected=done", Show.Nodes(i));
    }

    // ---- SLA bookmarks ----

    [Fact]
    public async Task Sla_deadline_bookmark_is_the_earliest_due_at_of_live_approver_tasks_per_stage()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(
            Stage(1, User("u-a"), User("u-b"), Observer("u-o")).Sla(24).Group(1),
            Stage(2, User("u-c")).Sla(4).Group(1),
            Stage(3, User("u-d"))));
        var t0 = e.Now;
        Assert.Equal(t0.AddHours(24), Engine.LiveTask(i, "u-a").DueAt);
        Assert.Null(Engine.LiveTask(i, "u-o").DueAt);
        Assert.Equal(t0.AddHours(24), (DateTime?)i.NewEvents[1].Payload["due_at"]);
        Assert.Equal(
            [
                new Bookmark("stage-1", BookmarkKind.TaskDecision, Engine.LiveTask(i, "u-a").Id, "u-a"),
                new Bookmark("stage-1", BookmarkKind.TaskDecision, Engine.LiveTask(i, "u-b").Id, "u-b"),
                new Bookmark("stage-1", BookmarkKind.TaskDecision, Engine.LiveTask(i, "u-o").Id, "u-o"),
                new Bookmark("stage-1", BookmarkKind.SlaDeadline, DueAt: t0.AddHours(24)),
                new Bookmark("stage-2", BookmarkKind.TaskDecision, Engine.LiveTask(i, "u-c").Id, "u-c"),
                new Bookmark("stage-2", BookmarkKind.SlaDeadline, DueAt: t0.AddHours(4)),
            ],
            i.State.Bookmarks);

        // One task's deadline moves earlier (as an SLA extension or escalation would set it): the bookmark follows
        // on the next change. Claiming keeps the task live, so it keeps its decision bookmark.
        Engine.LiveTask(i, "u-b").DueAt = t0.AddHours(2);
        var j = Engine.Reload(i);
        e.Runner.Claim(j, Engine.LiveTask(j, "u-a").Id);
        Assert.Equal(t0.AddHours(2), j.State.Bookmarks.Single(b => b.NodeId == "stage-1" && b.Kind == BookmarkKind.SlaDeadline).DueAt);
        Assert.Equal(4, j.State.Bookmarks.Count(b => b.NodeId == "stage-1"));

        // The stage with the earliest deadline finishing removes its bookmarks; a stage without SLA has none.
        var k = await e.DecideAsync(j, "u-b", DecisionAction.Approve);
        Assert.Equal(["task_decided"], Show.Types(k.NewEvents)); // `all` still waits for u-a
        Assert.Equal(t0.AddHours(24), k.State.Bookmarks.Single(b => b.NodeId == "stage-1" && b.Kind == BookmarkKind.SlaDeadline).DueAt);
        var l = await e.DecideAsync(k, "u-c", DecisionAction.Approve);
        var m = await e.DecideAsync(l, "u-a", DecisionAction.Approve);
        Assert.Equal(["stage-3"], m.State.Bookmarks.Select(b => b.NodeId).Distinct());
        Assert.DoesNotContain(m.State.Bookmarks, b => b.Kind == BookmarkKind.SlaDeadline);
    }

    // ---- claim and cancel ----

    [Fact]
    public async Task Claim_marks_an_open_task_and_only_an_open_one()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"))));
        e.Clock.Advance(TimeSpan.FromMinutes(5));
        var j = Engine.Reload(i);
        var task = Engine.LiveTask(j, "u-a");
        e.Runner.Claim(j, task.Id);

        Assert.Equal((TaskStatus.Claimed, e.Now, e.Now), (task.Status, task.ClaimedAt, task.UpdatedAt));
        Assert.Empty(j.NewEvents);
        Assert.Equal(task.Id, Assert.Single(j.State.Bookmarks).TaskId);
        Assert.Throws<WorkflowStateException>(() => e.Runner.Claim(j, task.Id));

        // A claimed task can be decided.
        var k = await e.DecideAsync(j, "u-a", DecisionAction.Approve);
        Assert.Equal(RequestStatus.Approved, k.Request.Status);
        Assert.Throws<WorkflowStateException>(() => e.Runner.Claim(Engine.Reload(k), task.Id));
    }

    [Fact]
    public async Task Cancel_closes_every_live_task_and_active_stage()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(
            Stage(1, User("u-a"), Observer("u-o")).Group(1),
            Stage(2, User("u-b"), User("u-c")).Group(1)));
        var j = await e.DecideAsync(i, "u-b", DecisionAction.Approve);
        e.Clock.Advance(TimeSpan.FromHours(1));
        var k = await e.CancelAsync(j);

        Assert.Equal(["request_cancelled"], Show.Types(k.NewEvents));
        var payload = k.NewEvents[0].Payload;
        Assert.Equal(("u-admin", "withdrawn", "cancelled"), ((string?)payload["actor"], (string?)payload["reason"], (string?)payload["status"]));
        Assert.Equal(RequestStatus.Cancelled, k.Request.Status);
        Assert.Equal(e.Now, k.Request.CompletedAt);
        Assert.Equal(
            ["1:u-a:approver:skipped", "1:u-o:observer:skipped", "2:u-b:approver:completed", "2:u-c:approver:skipped"],
            Show.Tasks(k));
        Assert.All(k.Request.Tasks.Where(t => t.Status == TaskStatus.Skipped), t => Assert.Equal(e.Now, t.CompletedAt));
        Assert.Equal("start=done group-1=done stage-1=skipped stage-2=skipped", Show.Nodes(k));
        Assert.Empty(k.State.Bookmarks);
        Assert.Empty(InstanceState.FromJson(k.Request.WorkflowState).Bookmarks);
        Show.AssertGapless(e.Journal, k.Request);
    }

    // ---- per-run output lists ----

    [Fact]
    public async Task Each_run_lists_only_what_it_created()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), Observer("u-o")), Stage(2, User("u-b"), User("u-c"))));
        Assert.Equal(["u-a", "u-o"], i.NewTasks.Select(t => t.Assignee));
        Assert.Empty(i.NewDecisions);
        Assert.Equal(2, i.NewEvents.Count);

        var j = await e.DecideAsync(i, "u-o", DecisionAction.Approve);
        Assert.Empty(j.NewTasks);
        Assert.Single(j.NewDecisions);
        Assert.Single(j.NewEvents);

        var k = await e.DecideAsync(j, "u-a", DecisionAction.Approve);
        Assert.Equal(["u-b", "u-c"], k.NewTasks.Select(t => t.Assignee));
        Assert.Equal("u-a", Assert.Single(k.NewDecisions).Actor);
        Assert.Equal([4, 5, 6], k.NewEvents.Select(x => x.Seq));
        Assert.All(k.NewEvents, x => Assert.Equal(e.Now, x.CreatedAt));
        Assert.Equal(2, k.Request.Decisions.Count);
        Assert.Equal(4, k.Request.Tasks.Count);
    }
}
