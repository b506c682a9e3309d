using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;
using static Awe.Activities.Tests.Runtime.Build;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Tests.Runtime;

// Who gets a task when a stage starts: rule union and dedupe, required slots, observers, segregation of duties,
// delegation, expression rules, and what happens when resolution fails.
public class ApprovalRunnerPlanningTests
{
    private static (string User, string Reason)[] Excluded(ApprovalEvent started) =>
        started.Payload["excluded"]!.AsArray().Select(x => ((string)x!["user_id"]!, (string)x["reason"]!)).ToArray();

    private static string[] Approvers(ApprovalEvent started) => Show.Strings(started.Payload["approvers"]);

    // ---- rule union, dedupe, required ----

    [Fact]
    public async Task Rules_union_in_order_and_a_user_reached_twice_gets_one_task_with_the_required_flag()
    {
        var e = new Engine();
        e.Resolver.Directory["role:finance"] = ["u-b", "u-a", "u-c"];
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), Role("finance"), User("u-c", required: true))));

        Assert.Equal(["1:u-a:approver:open", "1:u-b:approver:open", "1:u-c:approver:open"], Show.Tasks(i));
        Assert.Equal([null, null, "u-c"], i.Request.Tasks.Select(t => t.RequiredSlot));
        var started = Show.Single(i.NewEvents, EventType.StageStarted);
        Assert.Equal(["u-a", "u-b", "u-c"], Approvers(started));
        Assert.Equal(["u-c"], Show.Strings(started.Payload["required_approvers"]));
    }

    [Fact]
    public async Task Required_flag_wins_whichever_rule_comes_first()
    {
        var e = new Engine();
        e.Resolver.Directory["role:finance"] = ["u-a", "u-b"];
        var first = await e.StartAsync(Policy(Stage(1, User("u-a", required: true), Role("finance"))));
        var later = await e.StartAsync(Policy(Stage(1, Role("finance"), User("u-a", required: true))));

        foreach (var i in new[] { first, later })
        {
            Assert.Equal(["u-a", "u-b"], i.Request.Tasks.Select(t => t.Assignee));
            Assert.Equal(["u-a", null], i.Request.Tasks.Select(t => t.RequiredSlot));
        }
    }

    [Fact]
    public async Task Resolved_ids_are_trimmed_and_blank_ones_dropped()
    {
        var e = new Engine();
        e.Resolver.Directory["role:finance"] = [" u-a ", "", "   ", "u-a", "u-b"];
        var i = await e.StartAsync(Policy(Stage(1, Role("finance"))));
        Assert.Equal(["u-a", "u-b"], i.Request.Tasks.Select(t => t.Assignee));
    }

    [Fact]
    public async Task Required_user_gates_the_stage_even_when_quorum_is_met()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-boss", required: true)).Mode("any-n", 1)));
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        Assert.Equal(["task_decided"], Show.Types(j.NewEvents));
        Assert.Equal(RequestStatus.InReview, j.Request.Status);

        var k = await e.DecideAsync(j, "u-boss", DecisionAction.Approve);
        Assert.Equal(["task_decided", "stage_completed", "request_approved"], Show.Types(k.NewEvents));
    }

    // ---- observers ----

    [Fact]
    public async Task Observers_get_tasks_without_deadline_and_their_decisions_never_move_the_stage()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), Observer("u-o")).Sla(24)));
        var observerTask = Engine.LiveTask(i, "u-o");
        Assert.Equal((TaskKind.Observer, null, (string?)null), (observerTask.Kind, observerTask.DueAt, observerTask.RequiredSlot));
        var started = Show.Single(i.NewEvents, EventType.StageStarted);
        Assert.Equal(["u-a"], Approvers(started));
        Assert.Equal(["u-o"], Show.Strings(started.Payload["observers"]));

        // An observer's reject is recorded but vetoes nothing.
        var j = await e.DecideAsync(i, "u-o", DecisionAction.Reject);
        Assert.Equal(["task_decided"], Show.Types(j.NewEvents));
        Assert.Equal("observer", (string?)j.NewEvents[0].Payload["kind"]);
        Assert.Equal(TaskStatus.Completed, observerTask.Status);
        Assert.Single(j.NewDecisions);
        Assert.Equal(RequestStatus.InReview, j.Request.Status);
        Assert.Equal("start=done group-1=done stage-1=active", Show.Nodes(j));
        Assert.Equal(["u-a"], j.State.Bookmarks.Where(b => b.Kind == BookmarkKind.TaskDecision).Select(b => b.Assignee));

        var k = await e.DecideAsync(j, "u-a", DecisionAction.Approve);
        Assert.Equal(RequestStatus.Approved, k.Request.Status);
    }

    [Fact]
    public async Task An_observer_who_is_also_an_approver_gets_only_the_approver_task()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, Observer("u-a"), User("u-a"), Observer("u-o"), Observer("u-o"))));
        Assert.Equal(["1:u-a:approver:open", "1:u-o:observer:open"], Show.Tasks(i));
        Assert.Equal(["u-o"], Show.Strings(Show.Single(i.NewEvents, EventType.StageStarted).Payload["observers"]));
    }

    [Fact]
    public async Task A_stage_with_only_observers_left_follows_on_empty()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, Observer("u-o"), Role("nobody"))));
        Assert.Equal(["request_created", "request_rejected"], Show.Types(i.NewEvents));
        Assert.Equal("no_approvers_resolved", (string?)i.NewEvents[1].Payload["reason"]);
        Assert.Empty(i.Request.Tasks);
    }

    // ---- segregation of duties ----

    [Fact]
    public async Task Forbid_self_approval_removes_the_requester_but_not_from_observers()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-req"), User("u-b"), Observer("u-req"))).ForbidSelf(), requester: "u-req");

        // Segregation of duties applies to approver rules only: the requester may still watch.
        Assert.Equal(["1:u-b:approver:open", "1:u-req:observer:open"], Show.Tasks(i));
        var started = Show.Single(i.NewEvents, EventType.StageStarted);
        Assert.Equal([("u-req", "forbid_self_approval")], Excluded(started));
        Assert.Equal(["u-b"], Approvers(started));
        Assert.Equal(["u-req"], Show.Strings(started.Payload["observers"]));
    }

    [Fact]
    public async Task Requester_as_plain_observer_keeps_the_observer_task()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-b"), Observer("u-req"))).ForbidSelf(), requester: "u-req");
        Assert.Equal(["1:u-b:approver:open", "1:u-req:observer:open"], Show.Tasks(i));
    }

    [Fact]
    public async Task Without_the_flag_the_requester_may_approve()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-req"), User("u-b"))), requester: "u-req");
        Assert.Equal(["u-req", "u-b"], i.Request.Tasks.Select(t => t.Assignee));
        Assert.Empty(Excluded(Show.Single(i.NewEvents, EventType.StageStarted)));
    }

    [Fact]
    public async Task A_stage_emptied_by_segregation_of_duties_follows_on_empty()
    {
        var e = new Engine();
        var blocked = await e.StartAsync(Policy(Stage(1, User("u-req"))).ForbidSelf(), requester: "u-req");
        Assert.Equal(["request_created", "request_rejected"], Show.Types(blocked.NewEvents));
        Assert.Equal("stage 1 ('Stage 1') has no approvers left after u-req (forbid_self_approval)",
            (string?)blocked.NewEvents[1].Payload["detail"]);

        var skipped = await e.StartAsync(Policy(Stage(1, User("u-req")).OnEmpty("skip"), Stage(2, User("u-b"))).ForbidSelf(), requester: "u-req");
        Assert.Equal(["request_created", "stage_skipped", "stage_started"], Show.Types(skipped.NewEvents));
        Assert.Equal([("u-req", "forbid_self_approval")], Excluded(skipped.NewEvents[1]));
    }

    [Fact]
    public async Task Segregation_of_duties_can_make_the_quorum_unreachable_at_once()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-req"), User("u-b")).Mode("any-n", 2)).ForbidSelf(), requester: "u-req");
        Assert.Equal(["request_created", "stage_started", "stage_completed", "request_rejected"], Show.Types(i.NewEvents));
        Assert.Equal("quorum_unreachable", (string?)i.NewEvents[3].Payload["reason"]);
    }

    [Fact]
    public async Task Forbid_repeat_approvers_removes_earlier_approvers_only()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(
            Stage(1, User("u-a"), User("u-b"), User("u-x")).Mode("any-n", 1),
            Stage(2, User("u-a"), User("u-b"), User("u-x"), User("u-c"))).ForbidRepeat());
        var j = await e.DecideAsync(i, "u-b", DecisionAction.Abstain);
        var k = await e.DecideAsync(j, "u-a", DecisionAction.Approve);

        // u-a approved stage 1; u-b only abstained and u-x's task was skipped by the quorum: both stay eligible.
        Assert.Equal(["u-b", "u-x", "u-c"], k.NewTasks.Select(t => t.Assignee));
        Assert.Equal([("u-a", "forbid_repeat_approvers")], Excluded(Show.Single(k.NewEvents, EventType.StageStarted)));
    }

    [Fact]
    public async Task Forbid_repeat_approvers_counts_the_actor_of_an_approval_made_on_someone_elses_task()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")), Stage(2, User("u-a"), User("u-admin"), User("u-c"))).ForbidRepeat());
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve, actor: "u-admin");
        Assert.Equal(["u-c"], j.NewTasks.Select(t => t.Assignee));
        Assert.Equal([("u-a", "forbid_repeat_approvers"), ("u-admin", "forbid_repeat_approvers")],
            Excluded(Show.Single(j.NewEvents, EventType.StageStarted)));
    }

    [Fact]
    public async Task A_delegate_who_is_the_requester_is_excluded_too()
    {
        var e = new Engine();
        e.Delegations.Active["u-b"] = "u-req";
        var i = await e.StartAsync(Policy(Stage(1, User("u-b"), User("u-c"))).ForbidSelf(), requester: "u-req");

        Assert.Equal(["1:u-c:approver:open"], Show.Tasks(i));
        Assert.Equal([("u-req", "forbid_self_approval (delegate of u-b)")], Excluded(Show.Single(i.NewEvents, EventType.StageStarted)));
    }

    [Fact]
    public async Task A_delegate_who_approved_an_earlier_stage_is_excluded_under_forbid_repeat()
    {
        var e = new Engine();
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")), Stage(2, User("u-b"), User("u-c"))).ForbidRepeat());
        e.Delegations.Active["u-b"] = "u-a";
        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);

        Assert.Equal(["u-c"], j.NewTasks.Select(t => t.Assignee));
        Assert.Equal([("u-a", "forbid_repeat_approvers (delegate of u-b)")], Excluded(Show.Single(j.NewEvents, EventType.StageStarted)));
    }

    // ---- delegation ----

    [Fact]
    public async Task Delegation_redirects_the_task_and_records_delegated_from()
    {
        var e = new Engine();
        e.Delegations.Active["u-a"] = "u-d";
        e.Delegations.Active["u-zz"] = "u-unrelated";
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"))));

        Assert.Equal([("u-d", "u-a"), ("u-b", null)], i.Request.Tasks.Select(t => (t.Assignee, t.DelegatedFrom)));
        var started = Show.Single(i.NewEvents, EventType.StageStarted);
        Assert.Equal(["u-d", "u-b"], Approvers(started));
        Assert.Equal("""[{"from":"u-a","to":"u-d"}]""", started.Payload["delegations"]!.ToJsonString());
        Assert.Equal([e.Now], e.Delegations.QueriedAt); // looked up as of the activation instant
    }

    [Fact]
    public async Task Delegations_do_not_chain()
    {
        var e = new Engine();
        e.Delegations.Active["u-a"] = "u-d";
        e.Delegations.Active["u-d"] = "u-e";
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-d"))));

        // u-a's task goes to u-d (not on to u-e); u-d's own task goes to u-e.
        Assert.Equal([("u-d", "u-a"), ("u-e", "u-d")], i.Request.Tasks.Select(t => (t.Assignee, t.DelegatedFrom)));
    }

    [Fact]
    public async Task A_delegate_who_is_also_an_approver_gets_one_task()
    {
        var e = new Engine();
        e.Delegations.Active["u-a"] = "u-b";
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b"), User("u-c"))));
        Assert.Equal(["u-b", "u-c"], i.Request.Tasks.Select(t => t.Assignee));
    }

    [Fact]
    public async Task A_required_slot_follows_the_delegate()
    {
        var e = new Engine();
        e.Delegations.Active["u-boss"] = "u-deputy";
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-boss", required: true)).Mode("any-n", 1)));

        var deputy = Engine.LiveTask(i, "u-deputy");
        Assert.Equal(("u-boss", "u-boss"), (deputy.DelegatedFrom, deputy.RequiredSlot));
        Assert.Equal(["u-deputy"], Show.Strings(Show.Single(i.NewEvents, EventType.StageStarted).Payload["required_approvers"]));

        var j = await e.DecideAsync(i, "u-a", DecisionAction.Approve);
        Assert.Equal(RequestStatus.InReview, j.Request.Status); // still waiting for the boss's slot
        var k = await e.DecideAsync(j, "u-deputy", DecisionAction.Approve);
        Assert.Equal(RequestStatus.Approved, k.Request.Status);
    }

    [Fact]
    public async Task A_required_slot_taken_by_a_delegate_is_kept_when_the_slot_owner_is_also_reached_directly()
    {
        var e = new Engine();
        e.Delegations.Active["u-a"] = "u-b";
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), User("u-b", required: true))));
        var task = Assert.Single(i.Request.Tasks);
        Assert.Equal(("u-b", "u-b"), (task.Assignee, task.RequiredSlot));
    }

    [Fact]
    public async Task Observers_are_delegated_too()
    {
        var e = new Engine();
        e.Delegations.Active["u-o"] = "u-d";
        var i = await e.StartAsync(Policy(Stage(1, User("u-a"), Observer("u-o"))));
        Assert.Equal([("u-a", TaskKind.Approver, null), ("u-d", TaskKind.Observer, "u-o")],
            i.Request.Tasks.Select(t => (t.Assignee, t.Kind, t.DelegatedFrom)));
    }

    // ---- expression rules through the real resolver ----

    [Fact]
    public async Task Expression_rules_resolve_users_from_the_request_context()
    {
        var e = new Engine { ResolverOverride = new RuleResolver(new UnconfiguredDirectoryResolver()) };
        var context = JsonNode.Parse("""{"officer": "u-off", "reviewers": ["u-r1", "", null, "u-r2"], "amount": 5}""")!.AsObject();
        var i = await e.StartAsync(Policy(Stage(1,
            Expression("""{"var":"officer"}"""),
            Expression("""{"var":"reviewers"}"""),
            Expression("""{"var":"amount"}"""),
            User(" u-lit "))), context);

        // A number is an id written as text (directories with numeric user ids).
        Assert.Equal(["u-off", "u-r1", "u-r2", "5", "u-lit"], i.Request.Tasks.Select(t => t.Assignee));
    }

    [Fact]
    public async Task An_expression_that_fails_to_evaluate_is_a_resolution_failure()
    {
        var e = new Engine { ResolverOverride = new RuleResolver(new UnconfiguredDirectoryResolver()) };
        var error = await Assert.ThrowsAsync<ApproverResolutionException>(() =>
            e.StartAsync(Policy(Stage(1, Expression("""{"/":[1,{"var":"zero"}]}"""))), new JsonObject { ["zero"] = 0 }));
        Assert.StartsWith("expression rule failed:", error.Message);
    }

    [Fact]
    public async Task Role_rules_without_a_directory_fail_clearly()
    {
        var e = new Engine { ResolverOverride = new RuleResolver(new UnconfiguredDirectoryResolver()) };
        var error = await Assert.ThrowsAsync<ApproverResolutionException>(() => e.StartAsync(Policy(Stage(1, Role("finance")))));
        Assert.Contains("Keycloak", error.Message);
    }

    [Fact]
    public async Task One_cached_definition_serves_many_requests_unchanged()
    {
        // The host parses each definition once and shares it between requests, so running a request must never
        // change (or re-parent) the JSON in its stage specs, such as literal lists inside rules and skip_if.
        var e = new Engine { ResolverOverride = new RuleResolver(new UnconfiguredDirectoryResolver()) };
        var policy = Policy(
            Stage(1, Expression("""{"if":[{">":[{"var":"amount"},10]},["u-x","u-y"],"u-z"]}"""),
                Expression("""{"merge":[["u-m"],{"var":"more"}]}""")),
            Stage(2, User("u-b")).SkipIf("""{"in":[{"var":"kind"},["small","tiny"]]}"""));
        var shared = WorkflowDefinition.FromJson(WorkflowCompiler.Compile(policy, e.Now).ToJson());
        var json = shared.ToJson();

        foreach (var (amount, expected) in new[] { (50, "u-x u-y u-m u-n"), (5, "u-z u-m u-n"), (50, "u-x u-y u-m u-n") })
        {
            var request = e.NewInstance(policy, JsonNode.Parse($$"""{"amount": {{amount}}, "more": ["u-n"], "kind": "small"}""")!.AsObject()).Request;
            var instance = new ApprovalInstance(request, shared);
            await e.Runner.StartAsync(instance, "svc-loans", CancellationToken.None);
            Assert.Equal(expected, string.Join(" ", instance.Request.Tasks.Select(t => t.Assignee)));
            var next = new ApprovalInstance(request, shared);
            foreach (var task in request.Tasks.ToList())
                await e.Runner.DecideAsync(next, task.Id, DecisionAction.Approve, task.Assignee, null, null, CancellationToken.None);
            Assert.Equal(["stage_skipped", "request_approved"], Show.Types(next.NewEvents).TakeLast(2));
            Assert.Equal(json, shared.ToJson());
        }
    }

    // ---- resolution failures ----
    //
    // Contract (see ApprovalRunner): a call that throws may leave the in-memory instance partly changed (a decision
    // recorded, tasks closed, events queued). The caller must discard the instance and roll back its transaction —
    // never persist it — and retry from the stored request. The host does exactly that: it saves only after the
    // runner returns, and maps ApproverResolutionException to 503 "nothing was changed".

    [Fact]
    public async Task Resolution_failure_at_start_propagates_and_a_retry_starts_cleanly()
    {
        var e = new Engine();
        e.Resolver.Directory["role:finance"] = ["u-f1", "u-f2"];
        var policy = Policy(Stage(1, User("u-a")).Group(1), Stage(2, Role("finance")).Group(1));

        e.ResolverOverride = new FailingResolver(e.Resolver, "role:finance");
        var failed = e.NewInstance(policy);
        var error = await Assert.ThrowsAsync<ApproverResolutionException>(() => e.Runner.StartAsync(failed, "svc-loans", CancellationToken.None));
        Assert.Contains("role:finance", error.Message);

        // The caller drops the half-run instance; a new attempt (a new request) runs the whole workflow.
        e.ResolverOverride = null;
        var i = await e.StartAsync(policy);
        Assert.Equal(["request_created", "stage_started", "stage_started"], Show.Types(i.NewEvents));
        Assert.Equal(["u-a", "u-f1", "u-f2"], i.Request.Tasks.Select(t => t.Assignee));
        Show.AssertGapless(e.Journal, i.Request);
    }

    [Fact]
    public async Task Resolution_failure_on_the_next_stage_keeps_the_decision_and_the_stage_waits_for_a_retry()
    {
        var e = new Engine();
        e.Resolver.Directory["role:finance"] = ["u-f1"];
        var i = await e.StartAsync(Policy(Stage(1, User("u-a")), Stage(2, Role("finance"))));
        var definitionJson = i.Definition.ToJson();

        e.ResolverOverride = new FailingResolver(e.Resolver, "role:finance");
        var decided = await e.DecideAsync(i, "u-a", DecisionAction.Approve);

        Assert.Equal(definitionJson, decided.Definition.ToJson()); // nothing shared with other requests was touched
        Assert.Equal(["task_decided", "stage_completed", "stage_resolution_failed"], Show.Types(decided.NewEvents));
        Assert.Single(decided.Request.Decisions);
        Assert.Equal(["1:u-a:approver:completed"], Show.Tasks(decided));
        Assert.Equal(NodeStates.Active, decided.State.NodeState("stage-2"));
        Assert.NotNull(decided.Request.ResolutionRetryAt);
        Show.AssertGapless(e.Journal, decided.Request);
    }

    // ---- planning is also what simulate uses ----

    [Fact]
    public async Task Plan_stage_reports_approvers_observers_and_exclusions_without_changing_the_request()
    {
        var e = new Engine();
        e.Delegations.Active["u-b"] = "u-d";
        var policy = Policy(Stage(1, User("u-req"), User("u-b", required: true), Observer("u-o"))).ForbidSelf();
        var instance = e.NewInstance(policy, requester: "u-req");
        var before = Show.Snapshot(instance);

        var plan = await e.Runner.PlanStageAsync(instance.Definition.StageNode(1).Stage!, instance.Request, SegregationOfDuties.For(instance), CancellationToken.None);

        Assert.Equal([new ApprovalRunner.PlannedAssignee("u-d", "u-b", "u-b")], plan.Approvers);
        Assert.Equal([new ApprovalRunner.PlannedAssignee("u-o", null, null)], plan.Observers);
        Assert.Equal([new ApprovalRunner.ExcludedUser("u-req", "forbid_self_approval", "forbid_self_approval")], plan.Excluded);
        Assert.Equal(before, Show.Snapshot(instance));
    }
}
