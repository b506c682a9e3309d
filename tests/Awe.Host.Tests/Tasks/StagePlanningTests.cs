using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Tasks;

/// <summary>
/// Who gets a task when a stage starts, and which stages start: parallel groups, skip_if, on_empty,
/// segregation of duties (forbid_self_approval, forbid_repeat_approvers) and expression rules.
/// </summary>
public sealed class StagePlanningTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private static JsonObject Expression(string logic, string kind = "approver") => new()
    {
        ["rule_type"] = "expression", ["rule_value"] = new JsonObject { ["logic"] = Flow.J(logic) }, ["kind"] = kind,
    };

    private static string[] Assignees(JsonNode created) => created["tasks"].Items().Select(t => t.Str("assignee")).Order().ToArray();

    private static int[] StageOrders(JsonNode created) => created["tasks"].Items().Select(t => (int)t["stage_order"]!).Distinct().Order().ToArray();

    // ---- parallel groups ----

    private async Task<(JsonNode Created, string A, string B, string C)> ParallelAsync()
    {
        var (a, b, c) = (Flow.Unique("a"), Flow.Unique("b"), Flow.Unique("c"));
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(a)).With("parallel_group", 1),
            Stage(2, "all", null, User(b)).With("parallel_group", 1),
            Stage(3, "all", null, User(c)));
        return (await Flow.CreateAsync(f.Admin, key), a, b, c);
    }

    [Fact]
    public async Task Stages_of_one_parallel_group_start_together_and_the_next_waits_for_both()
    {
        var (created, a, b, c) = await ParallelAsync();
        var id = created.RequestId();

        Assert.Equal([1, 2], StageOrders(created));
        Assert.Equal(1, (int)created["current_stage_order"]!);
        Assert.Equal(2, (await f.EventsAsync(id)).Count(e => e.Str("event_type") == "stage_started"));

        var afterB = (await f.DecideAsync(created.TaskOf(b), "approve")).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("in_review", afterB.Str("request_status"));
        Assert.Equal(1, (int)afterB["current_stage_order"]!);
        Assert.Empty(await f.LiveTasksOf(id, c));

        var afterA = (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created).Json;
        Assert.Equal(3, (int)afterA["current_stage_order"]!);
        var cTask = Assert.Single(await f.LiveTasksOf(id, c));

        Assert.Equal("approved", (await f.DecideAsync(cTask, "approve")).Expect(HttpStatusCode.Created).Json.Str("request_status"));
    }

    [Fact]
    public async Task When_the_lower_stage_of_a_group_finishes_first_the_current_stage_is_the_one_still_open()
    {
        var (created, a, _, c) = await ParallelAsync();

        var afterA = (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal(2, (int)afterA["current_stage_order"]!);
        Assert.Empty(await f.LiveTasksOf(created.RequestId(), c));
    }

    [Fact]
    public async Task A_reject_in_one_parallel_stage_rejects_the_request_and_skips_the_other_stage_s_tasks()
    {
        var (created, a, b, c) = await ParallelAsync();
        var id = created.RequestId();

        var decision = (await f.DecideAsync(created.TaskOf(b), "reject")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("rejected", decision.Str("request_status"));
        Assert.Equal(new Dictionary<string, string> { [a] = "skipped", [b] = "completed" }, await f.TaskStatusesAsync(id));
        Assert.Empty(await f.LiveTasksOf(id, c));
        Assert.Equal(2, (int)(await f.EventAsync(id, "request_rejected"))["stage_order"]!);
        (await f.DecideAsync(created.TaskOf(a), "approve")).ExpectError(HttpStatusCode.Conflict, "AWE-007");
    }

    [Fact]
    public async Task A_skipped_stage_in_a_parallel_group_does_not_hold_up_the_group()
    {
        var (a, b, c) = (Flow.Unique("a"), Flow.Unique("b"), Flow.Unique("c"));
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(a)).With("parallel_group", 7),
            Stage(2, "all", null, User(b)).With("parallel_group", 7).With("skip_if", Flow.J("""{"==": [{"var": "fast"}, true]}""")),
            Stage(3, "all", null, User(c)));
        var created = await Flow.CreateAsync(f.Admin, key, Flow.J("""{"fast": true}""").AsObject());

        Assert.Equal([a], Assignees(created));
        var afterA = (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal(3, (int)afterA["current_stage_order"]!);
        Assert.Single(await f.LiveTasksOf(created.RequestId(), c));
    }

    // ---- skip_if ----

    [Theory]
    //          amount  stage 1 (skip_if amount < 100)  first tasks on stage
    [InlineData(50,     "skipped",                      2)]
    [InlineData(99,     "skipped",                      2)]
    [InlineData(100,    "runs",                         1)]
    [InlineData(5000,   "runs",                         1)]
    public async Task Skip_if_is_evaluated_against_the_request_context(int amount, string stage1, int firstStage)
    {
        var (a, b) = (Flow.Unique("a"), Flow.Unique("b"));
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(a)).With("skip_if", Flow.J("""{"<": [{"var": "amount"}, 100]}""")),
            Stage(2, "all", null, User(b)));

        var created = await Flow.CreateAsync(f.Admin, key, new JsonObject { ["amount"] = amount });

        Assert.Equal([firstStage], StageOrders(created));
        Assert.Equal(firstStage, (int)created["current_stage_order"]!);
        var skipped = (await f.EventsAsync(created.RequestId())).Where(e => e.Str("event_type") == "stage_skipped").ToList();
        if (stage1 == "skipped")
        {
            var payload = Assert.Single(skipped)["payload"]!;
            Assert.Equal("skip_if", payload.Str("reason"));
            Assert.Equal(1, (int)payload["stage_order"]!);
        }
        else Assert.Empty(skipped);
    }

    [Theory]
    //          amount (raw JSON)   stage 1 (skip_if amount < 100)
    [InlineData("1e400",            "runs")]    // Infinity
    [InlineData("-1e400",           "skipped")]
    [InlineData("1e-400",           "skipped")]
    [InlineData("99.999999999999999999999", "runs")] // a double, so exactly 100 (as in JavaScript)
    [InlineData("123456789012345678901234567890", "runs")]
    [InlineData("\"50\"",         "skipped")]
    [InlineData("\"abc\"",        "runs")]
    [InlineData("null",             "skipped")]
    [InlineData("[]",               "skipped")]
    [InlineData("{}",               "runs")]
    public async Task Skip_if_copes_with_extreme_and_odd_context_values(string amount, string stage1)
    {
        var (a, b) = (Flow.Unique("a"), Flow.Unique("b"));
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(a)).With("skip_if", Flow.J("""{"<": [{"var": "amount"}, 100]}""")),
            Stage(2, "all", null, User(b)));

        var reply = await f.Admin.PostJson("/v1/awe/requests", $$$"""{"policy_key": "{{{key}}}", "artifact_type": "test.artifact", "artifact_id": "odd", "context": {"amount": {{{amount}}}}}""");

        var created = reply.Expect(HttpStatusCode.Created).Json;
        Assert.Equal(stage1 == "skipped" ? 2 : 1, (int)created["current_stage_order"]!);
    }

    [Fact]
    public async Task When_skip_if_skips_every_stage_the_request_is_approved_with_reason_all_stages_skipped()
    {
        var rule = """{"<": [{"var": "amount"}, 100]}""";
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(Flow.Unique("a"))).With("skip_if", Flow.J(rule)),
            Stage(2, "all", null, User(Flow.Unique("b"))).With("skip_if", Flow.J(rule)));

        var created = await Flow.CreateAsync(f.Admin, key, new JsonObject { ["amount"] = 10 });

        Assert.Equal("approved", created.Str("status"));
        var approved = await f.EventAsync(created.RequestId(), "request_approved");
        Assert.Equal("all_stages_skipped", approved.Str("reason"));
        Assert.Equal(["request_created", "stage_skipped", "stage_skipped", "request_approved"], await f.EventTypesAsync(created.RequestId()));
    }

    // ---- on_empty ----

    [Theory]
    //          on_empty  status after create  first tasks on stage   request_rejected reason
    [InlineData("skip",   "in_review",         2,                     null)]
    [InlineData("block",  "rejected",          0,                     "no_approvers_resolved")]
    public async Task A_stage_that_resolves_nobody_follows_on_empty(string onEmpty, string status, int firstStage, string? reason)
    {
        var b = Flow.Unique("b");
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, Expression("""{"var": "approvers"}""")).With("on_empty", onEmpty),
            Stage(2, "all", null, User(b)));

        var created = await Flow.CreateAsync(f.Admin, key, Flow.Users());

        Assert.Equal(status, created.Str("status"));
        Assert.Equal(firstStage == 0 ? Array.Empty<int>() : new[] { firstStage }, StageOrders(created));
        var id = created.RequestId();
        if (onEmpty == "skip")
            Assert.Equal("no_approvers", (await f.EventAsync(id, "stage_skipped")).Str("reason"));
        else
            Assert.Equal(reason, (await f.EventAsync(id, "request_rejected")).Str("reason"));
    }

    // ---- segregation of duties ----

    [Theory]
    //          forbid_self_approval  requester   assignees of stage 1
    [InlineData(true,                 "maker",    "checker")]
    [InlineData(true,                 "outsider", "checker,maker")]
    [InlineData(true,                 null,       "checker,maker")]
    [InlineData(false,                "maker",    "checker,maker")]
    public async Task Forbid_self_approval_removes_the_requester_from_the_approvers(bool forbid, string? requester, string expected)
    {
        var users = new[] { "maker", "checker", "outsider" }.ToDictionary(n => n, Flow.Unique);
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_self_approval", forbid),
            Stage(1, "any-n", 1, User(users["maker"]), User(users["checker"])));

        var created = await Flow.CreateAsync(f.Admin, key, requester: requester is null ? null : users[requester]);

        var names = users.ToDictionary(p => p.Value, p => p.Key);
        Assert.Equal(expected, string.Join(",", Assignees(created).Select(a => names[a]).Order()));
        var excluded = (await f.EventAsync(created.RequestId(), "stage_started"))["excluded"].Items();
        if (expected == "checker")
        {
            var e = Assert.Single(excluded);
            Assert.Equal(users["maker"], e.Str("user_id"));
            Assert.Equal("forbid_self_approval", e.Str("reason"));
        }
        else Assert.Empty(excluded);
    }

    [Fact]
    public async Task Forbid_self_approval_does_not_remove_the_requester_as_observer()
    {
        var (maker, checker) = (Flow.Unique("maker"), Flow.Unique("checker"));
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_self_approval", true),
            Stage(1, "all", null, User(checker), User(maker, kind: "observer")));

        var created = await Flow.CreateAsync(f.Admin, key, requester: maker);

        Assert.Equal("observer", created.TaskOf(maker).Str("kind"));
        Assert.Equal("approver", created.TaskOf(checker).Str("kind"));
    }

    [Theory]
    //          forbid   stage 1 decisions (any-n 1)     who decides   stage 2 assignees (alice, bob, carol on the rules)
    [InlineData(true,    "alice+",                       "self",       "bob,carol")]
    [InlineData(true,    "alice=,bob+",                  "self",       "alice,carol")]
    [InlineData(true,    "alice+",                       "admin",      "bob,carol")]
    [InlineData(false,   "alice+",                       "self",       "alice,bob,carol")]
    public async Task Forbid_repeat_approvers_keeps_earlier_approvers_off_later_stages(bool forbid, string decisions, string decider, string expected)
    {
        var users = new[] { "alice", "bob", "carol" }.ToDictionary(n => n, Flow.Unique);
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_repeat_approvers", forbid),
            Stage(1, "any-n", 1, User(users["alice"]), User(users["bob"])),
            Stage(2, "all", null, User(users["alice"]), User(users["bob"]), User(users["carol"])));
        var created = await Flow.CreateAsync(f.Admin, key);
        var id = created.RequestId();

        foreach (var step in decisions.Split(','))
        {
            var task = created.TaskOf(users[step[..^1]]);
            var action = step[^1] == '+' ? "approve" : "abstain";
            var client = decider == "admin" ? f.Admin : f.As(task.Str("assignee"));
            (await client.PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", Flow.Decision(action))).Expect(HttpStatusCode.Created);
        }

        var names = users.ToDictionary(p => p.Value, p => p.Key);
        var stage2 = (await f.TaskStatusesAsync(id, stageOrder: 2)).Keys.Select(a => names[a]).Order();
        Assert.Equal(expected, string.Join(",", stage2));
        Assert.Equal("in_review", await f.StatusOf(id));
    }

    [Fact]
    public async Task A_later_stage_emptied_by_forbid_repeat_approvers_rejects_when_blocking()
    {
        var alice = Flow.Unique("alice");
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_repeat_approvers", true),
            Stage(1, "all", null, User(alice)), Stage(2, "all", null, User(alice)));
        var created = await Flow.CreateAsync(f.Admin, key);

        var decision = (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("rejected", decision.Str("request_status"));
        var rejected = await f.EventAsync(created.RequestId(), "request_rejected");
        Assert.Equal("no_approvers_resolved", rejected.Str("reason"));
        Assert.Equal(2, (int)rejected["stage_order"]!);
    }

    // ---- expression rules ----

    [Theory]
    //          context                                            assignees
    [InlineData("""{"approvers": ["{u1}", "{u2}"]}""",             "{u1},{u2}")]
    [InlineData("""{"approvers": ["{u1}", "", null, "{u1}"]}""",   "{u1}")]
    [InlineData("""{"approvers": "{u2}"}""",                       "{u2}")]
    public async Task An_expression_rule_assigns_the_users_its_logic_yields_from_the_context(string context, string expected)
    {
        var (u1, u2) = (Flow.Unique("u1"), Flow.Unique("u2"));
        string Fill(string s) => s.Replace("{u1}", u1).Replace("{u2}", u2);
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, Expression("""{"var": "approvers"}""")));

        var created = await Flow.CreateAsync(f.Admin, key, Flow.J(Fill(context)).AsObject());

        Assert.Equal(Fill(expected).Split(',').Order(), Assignees(created));
        Assert.All(created["tasks"].Items(), t => Assert.Equal("approver", t.Str("kind")));
    }

    [Fact]
    public async Task An_expression_yielding_an_overlong_user_id_is_a_422_naming_the_rule_not_a_503()
    {
        // Before: 503 AWE-011 "retry when the directory is reachable", for an answer no retry can change.
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, User(Flow.Unique("lit")), Expression("""{"var": "approvers"}""")));

        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, Flow.Users(Flow.Unique("ok"), new string('x', 129))));

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains("at most 128", reply.ErrorMessage());
        Assert.Contains("stage 1 ('Stage 1'), rule 2 (expression)", reply.ErrorMessage());
        Assert.DoesNotContain("retry", reply.ErrorMessage());
        Assert.Equal(0, await f.CountAsync("SELECT count(*) FROM approval_request WHERE policy_key = @k", ("k", key)));
    }

    [Theory]
    [InlineData("""{"approvers": [["{u1}", "{u2}"]]}""", "[\"{u1}\",\"{u2}\"]")]
    [InlineData("""{"approvers": ["{u1}", {"id": "{u2}"}]}""", "{\"id\":\"{u2}\"}")]
    [InlineData("""{"approvers": {"id": "{u2}"}}""", "{\"id\":\"{u2}\"}")]
    [InlineData("""{"approvers": true}""", "true")]
    public async Task An_expression_yielding_a_list_or_object_as_an_id_is_a_422_naming_the_rule_and_the_value(string context, string value)
    {
        // Before: the list became the assignee '["u1","u2"]', a task nobody could ever decide.
        var (u1, u2) = (Flow.Unique("u1"), Flow.Unique("u2"));
        string Fill(string s) => s.Replace("{u1}", u1).Replace("{u2}", u2);
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, Expression("""{"var": "approvers"}""")));

        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, Flow.J(Fill(context)).AsObject()));

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains("stage 1 ('Stage 1'), rule 1 (expression)", reply.ErrorMessage());
        Assert.Contains(Fill(value), reply.ErrorMessage());
        Assert.Contains("only strings and numbers are user ids", reply.ErrorMessage());
        Assert.Equal(0, await f.CountAsync("SELECT count(*) FROM approval_request WHERE policy_key = @k", ("k", key)));
    }

    [Fact]
    public async Task An_overlong_user_id_in_a_stage_that_never_creates_tasks_is_harmless()
    {
        var b = Flow.Unique("b");
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, Expression("""{"var": "approvers"}""")).With("skip_if", Flow.J("""{"==": [1, 1]}""")),
            Stage(2, "all", null, User(b)));

        var created = await Flow.CreateAsync(f.Admin, key, Flow.Users(new string('x', 300)));

        Assert.Equal([b], Assignees(created));
    }

    [Fact]
    public async Task An_overlong_user_id_in_a_stage_started_by_a_decision_leaves_the_stage_waiting_not_a_500()
    {
        var a = Flow.Unique("a");
        var key = await Flow.PolicyAsync(f.Admin,
            Stage(1, "all", null, User(a)),
            Stage(2, "all", null, Expression("""{"var": "approvers"}""")));
        var created = await Flow.CreateAsync(f.Admin, key, Flow.Users(new string('x', 300)));

        var decision = (await f.DecideAsync(created.TaskOf(a), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("in_review", decision.Str("request_status"));
        Assert.Empty((await f.TasksAsync(created.RequestId())).Where(t => (int)t["stage_order"]! == 2));
    }

    [Fact]
    public async Task An_expression_user_id_of_128_characters_is_accepted()
    {
        var id = new string('y', 120) + Guid.NewGuid().ToString("N")[..8];
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, Expression("""{"var": "approvers"}""")));

        var created = await Flow.CreateAsync(f.Admin, key, Flow.Users(id));

        Assert.Equal(id, Assert.Single(created["tasks"].Items()).Str("assignee"));
    }

    [Fact]
    public async Task Expression_users_decide_like_any_approver()
    {
        var (u1, u2) = (Flow.Unique("u1"), Flow.Unique("u2"));
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, Expression("""{"var": "approvers"}""")));
        var created = await Flow.CreateAsync(f.Admin, key, Flow.Users(u1, u2));

        (await f.DecideAsync(created.TaskOf(u1), "approve")).Expect(HttpStatusCode.Created);
        var last = (await f.DecideAsync(created.TaskOf(u2), "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("approved", last.Str("request_status"));
    }

    [Fact]
    public async Task Expression_rules_can_choose_approvers_by_context_values()
    {
        var (clerk, director) = (Flow.Unique("clerk"), Flow.Unique("director"));
        var logic = $$"""{"if": [{">=": [{"var": "amount"}, 1000]}, "{{director}}", "{{clerk}}"]}""";
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, Expression(logic)));

        var small = await Flow.CreateAsync(f.Admin, key, new JsonObject { ["amount"] = 10 });
        var large = await Flow.CreateAsync(f.Admin, key, new JsonObject { ["amount"] = 5000 });

        Assert.Equal([clerk], Assignees(small));
        Assert.Equal([director], Assignees(large));
    }

    [Fact]
    public async Task Expression_observers_and_segregation_of_duties_combine()
    {
        var (maker, u1, watcher) = (Flow.Unique("maker"), Flow.Unique("u1"), Flow.Unique("watcher"));
        var key = await Flow.PolicyAsync(f.Admin, p => p.With("forbid_self_approval", true),
            Stage(1, "all", null, Expression("""{"var": "approvers"}"""), Expression("""{"var": "watchers"}""", kind: "observer")));
        var context = Flow.Users(maker, u1).With("watchers", new JsonArray(watcher));

        var created = await Flow.CreateAsync(f.Admin, key, context, requester: maker);

        Assert.Equal(new[] { u1, watcher }.Order(), Assignees(created));
        Assert.Equal("observer", created.TaskOf(watcher).Str("kind"));
    }
}
