using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Concurrency;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Tasks;

/// <summary>
/// Segregation of duties attacked as a hostile caller would: naming someone else as requester, other spellings of
/// one's own id, an admin deciding for someone, one person in two parallel stages, a required approver whom the
/// rules exclude. Each case failed before the rule was fixed.
/// </summary>
public sealed class SegregationOfDutiesTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private static void ForbidSelf(JsonObject p) => p["forbid_self_approval"] = true;

    private static void ForbidBoth(JsonObject p)
    {
        p["forbid_self_approval"] = true;
        p["forbid_repeat_approvers"] = true;
    }

    private Task<long> RequestCount(string policyKey) =>
        f.CountAsync("SELECT count(*) FROM approval_request WHERE policy_key = @k", ("k", policyKey));

    // ---- who the request is for ----

    [Fact]
    public async Task A_plain_user_cannot_name_someone_else_as_requester_and_nothing_is_created()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(alice)));

        var reply = await f.As(alice).PostJson("/v1/awe/requests", Flow.RequestBody(key, requester: bob));

        reply.ExpectError(HttpStatusCode.Forbidden, "AWE-008");
        Assert.Contains("only create requests for yourself", reply.ErrorMessage());
        Assert.Equal(0, await RequestCount(key));
    }

    [Theory]
    [InlineData(" {0}")]
    [InlineData("{0}  ")]
    [InlineData("UPPER")]
    public async Task Other_spellings_of_one_s_own_id_are_the_same_person_and_cannot_approve(string spelling)
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(alice), User(bob)));
        var requester = spelling == "UPPER" ? alice.ToUpperInvariant() : string.Format(spelling, alice);

        var created = await Flow.CreateAsync(f.As(alice), key, requester: requester);

        Assert.Equal(alice, (await f.RequestAsync(created.RequestId())).Str("requester"));
        Assert.Equal([bob], created["tasks"].Items().Select(t => t.Str("assignee")).ToArray());
    }

    [Theory]
    [InlineData("\u200b")]   // zero-width space
    [InlineData("\u202e")]   // right-to-left override
    [InlineData("\u0007")]   // bell
    [InlineData("\ufeff")]   // byte-order mark
    public async Task A_requester_with_invisible_characters_is_refused_with_422(string hidden)
    {
        var alice = Flow.Unique("alice");
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(alice)));

        var reply = await f.Admin.PostJson("/v1/awe/requests", Flow.RequestBody(key, requester: alice[..3] + hidden + alice[3..]));

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains("requester", reply.Raw);
        Assert.Contains("invisible", reply.ErrorMessage() + reply.Raw);
        Assert.Equal(0, await RequestCount(key));
    }

    [Fact]
    public async Task The_creator_is_excluded_like_the_requester()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(alice), User(bob)));

        var created = await Flow.CreateAsync(f.As(alice), key);

        Assert.Equal([bob], created["tasks"].Items().Select(t => t.Str("assignee")).ToArray());
        var excluded = (await f.EventAsync(created.RequestId(), "stage_started"))["excluded"].Items();
        Assert.Equal(alice, Assert.Single(excluded).Str("user_id"));
        Assert.Equal(alice, (await f.EventAsync(created.RequestId(), "request_created")).Str("created_by"));
    }

    [Fact]
    public async Task A_service_account_may_create_a_request_for_a_user_who_then_cannot_approve_it()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(alice), User(bob)));

        var created = await Flow.CreateAsync(f.App.ClientFor(Tokens.ServiceAccount("registry")), key, requester: alice);

        Assert.Equal([bob], created["tasks"].Items().Select(t => t.Str("assignee")).ToArray());
    }

    [Fact]
    public async Task A_token_without_client_id_is_not_a_service_account_whatever_its_user_name()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(alice)));

        var reply = await f.As("service-account-" + bob).PostJson("/v1/awe/requests", Flow.RequestBody(key, requester: alice));

        reply.ExpectError(HttpStatusCode.Forbidden, "AWE-008");
    }

    // ---- the person who decides ----

    [Fact]
    public async Task An_admin_who_created_a_request_cannot_approve_it_for_the_assignee()
    {
        var (bob, carol) = (Flow.Unique("bob"), Flow.Unique("carol"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(carol)));
        var created = await Flow.CreateAsync(f.Admin, key, requester: bob);
        var task = created.TaskOf(carol);

        var reply = await f.Admin.PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", Flow.Decision("approve"));

        reply.ExpectError(HttpStatusCode.Forbidden, "AWE-019");
        Assert.Contains("forbid_self_approval", reply.ErrorMessage());
        Assert.Equal("open", (await f.TaskStatusesAsync(created.RequestId()))[carol]);
        Assert.Equal("approved", (await f.DecideAsync(task, "approve")).Expect(HttpStatusCode.Created).Json.Str("request_status"));
    }

    [Fact]
    public async Task The_requester_acting_as_admin_cannot_approve_their_own_request()
    {
        var carol = Flow.Unique("carol");
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(carol)));
        var created = await Flow.CreateAsync(f.Admin, key, requester: "AWE-ADMIN");

        var reply = await f.Admin.PostJson($"/v1/awe/tasks/{created.TaskOf(carol).Str("id")}/decision", Flow.Decision("approve"));

        reply.ExpectError(HttpStatusCode.Forbidden, "AWE-019");
        // Rejecting one's own request is not self-approval.
        Assert.Equal("rejected", (await f.Admin.PostJson($"/v1/awe/tasks/{created.TaskOf(carol).Str("id")}/decision", Flow.Decision("reject")))
            .Expect(HttpStatusCode.Created).Json.Str("request_status"));
    }

    [Fact]
    public async Task An_admin_cannot_cast_a_second_approval_on_one_request()
    {
        var (carol, dave) = (Flow.Unique("carol"), Flow.Unique("dave"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidBoth, Stage(1, "all", null, User(carol)), Stage(2, "all", null, User(dave)));
        var created = await Flow.CreateAsync(f.App.ClientFor(Tokens.ServiceAccount("registry")), key);

        (await f.Admin.PostJson($"/v1/awe/tasks/{created.TaskOf(carol).Str("id")}/decision", Flow.Decision("approve"))).Expect(HttpStatusCode.Created);
        var daveTask = Assert.Single(await f.LiveTasksOf(created.RequestId(), dave));
        var second = await f.Admin.PostJson($"/v1/awe/tasks/{daveTask.Str("id")}/decision", Flow.Decision("approve"));

        second.ExpectError(HttpStatusCode.Forbidden, "AWE-019");
        Assert.Contains("forbid_repeat_approvers", second.ErrorMessage());
        Assert.Equal("in_review", await f.StatusOf(created.RequestId()));
    }

    // ---- one person in two parallel stages ----

    private async Task<(JsonNode Created, string P, string Q)> TwoParallelStagesAsync(bool requiredInFirst = false)
    {
        var (p, q) = (Flow.Unique("p"), Flow.Unique("q"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidBoth,
            Stage(1, "any-n", 1, User(p, required: requiredInFirst), User(q)).With("parallel_group", 1),
            Stage(2, "any-n", 1, User(p), User(q)).With("parallel_group", 1));
        return (await Flow.CreateAsync(f.App.ClientFor(Tokens.ServiceAccount("registry")), key), p, q);
    }

    [Fact]
    public async Task One_person_with_tasks_in_two_parallel_stages_approves_only_once()
    {
        var (created, p, q) = await TwoParallelStagesAsync();
        var id = created.RequestId();
        var pTasks = created["tasks"].Items().Where(t => t.Str("assignee") == p).ToArray();
        Assert.Equal(2, pTasks.Length);

        (await f.DecideAsync(pTasks[0], "approve")).Expect(HttpStatusCode.Created);
        var second = await f.DecideAsync(pTasks[1], "approve");

        second.ExpectError(HttpStatusCode.Conflict, "AWE-007");
        Assert.Equal("skipped", (await f.TaskStatusesAsync(id, (int)pTasks[1]["stage_order"]!))[p]);
        var withdrawn = await f.EventAsync(id, "tasks_withdrawn");
        Assert.Equal("forbid_repeat_approvers", withdrawn.Str("reason"));
        Assert.Equal("in_review", await f.StatusOf(id));

        var qTask = Assert.Single(await f.LiveTasksOf(id, q));
        Assert.Equal("approved", (await f.DecideAsync(qTask, "approve")).Expect(HttpStatusCode.Created).Json.Str("request_status"));
        Assert.Equal(1, await f.CountAsync("SELECT count(*) FROM approval_decision WHERE request_id = @r AND actor = @p AND action = 'approve'",
            ("r", id), ("p", p)));
    }

    [Fact]
    public async Task Racing_approvals_by_one_person_in_two_parallel_stages_record_one()
    {
        var (created, p, _) = await TwoParallelStagesAsync();
        var pTasks = created["tasks"].Items().Where(t => t.Str("assignee") == p).ToArray();

        var replies = await Race.RunAsync(pTasks.Select(t => (Func<Task<Reply>>)(() => f.DecideAsync(t, "approve"))).ToList());

        Assert.Single(replies, r => r.Status == HttpStatusCode.Created);
        Assert.Equal(1, await f.CountAsync("SELECT count(*) FROM approval_decision WHERE request_id = @r AND actor = @p AND action = 'approve'",
            ("r", created.RequestId()), ("p", p)));
    }

    [Fact]
    public async Task A_required_approver_whose_other_vote_is_spent_rejects_their_stage_at_once()
    {
        var (created, p, _) = await TwoParallelStagesAsync(requiredInFirst: true);
        var inSecond = created["tasks"].Items().Single(t => t.Str("assignee") == p && (int)t["stage_order"]! == 2);

        var decision = (await f.DecideAsync(inSecond, "approve")).Expect(HttpStatusCode.Created).Json;

        Assert.Equal("rejected", decision.Str("request_status"));
        Assert.Equal("required_approver_missing", (await f.EventAsync(created.RequestId(), "request_rejected")).Str("reason"));
    }

    // ---- required approvers and SoD at planning ----

    [Fact]
    public async Task A_required_approver_removed_by_segregation_of_duties_rejects_the_stage_with_the_reason()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(alice, required: true), User(bob)));

        var created = await Flow.CreateAsync(f.App.ClientFor(Tokens.ServiceAccount("registry")), key, requester: alice);

        Assert.Equal("rejected", created.Str("status"));
        var rejected = await f.EventAsync(created.RequestId(), "request_rejected");
        Assert.Equal("required_approver_excluded", rejected.Str("reason"));
        Assert.Contains(alice, rejected.Str("detail"));
        Assert.Contains("forbid_self_approval", rejected.Str("detail"));
    }

    // ---- one spelling everywhere ----

    [Fact]
    public async Task Policy_and_token_spellings_of_one_user_meet_in_one_canonical_id()
    {
        var carol = Flow.Unique("carol");
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "any-n", 1, User($"  {carol.ToUpperInvariant()} ")));
        var created = await Flow.CreateAsync(f.Admin, key);
        var task = created.TaskOf(carol);

        var decision = (await f.As(carol.ToUpperInvariant()).PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", Flow.Decision("approve")))
            .Expect(HttpStatusCode.Created).Json;

        Assert.Equal(carol, decision.Str("actor"));
        Assert.Equal("approved", decision.Str("request_status"));
    }

    [Fact]
    public async Task A_token_whose_user_name_hides_an_invisible_character_is_refused()
    {
        var carol = Flow.Unique("carol");

        var reply = await f.As(carol + "\u200b").GetJson("/v1/awe/tasks");

        reply.ExpectError(HttpStatusCode.Unauthorized, "AWE-013");
        Assert.Contains("invisible", reply.ErrorMessage());
    }

    [Fact]
    public async Task A_policy_naming_a_user_with_an_invisible_character_is_refused()
    {
        var reply = await f.Admin.PostJson("/v1/awe/policies", Policy(Flow.Unique("pol"), Stage(1, "all", null, User("u-\u200dalice"))));

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Contains("user_id", reply.Raw);
    }

    [Fact]
    public async Task Reassigning_to_another_spelling_of_the_requester_is_refused()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(bob)));
        var created = await Flow.CreateAsync(f.App.ClientFor(Tokens.ServiceAccount("registry")), key, requester: alice);

        var reply = await f.Admin.PostJson($"/v1/awe/tasks/{created.TaskOf(bob).Str("id")}/reassign",
            new JsonObject { ["new_assignee"] = " " + alice.ToUpperInvariant() });

        reply.ExpectError(HttpStatusCode.Conflict, "AWE-007");
        Assert.Contains("forbid_self_approval", reply.ErrorMessage());
    }

    [Fact]
    public async Task A_delegation_to_another_spelling_of_the_requester_does_not_open_a_door()
    {
        var (alice, bob) = (Flow.Unique("alice"), Flow.Unique("bob"));
        var now = DateTime.UtcNow;
        (await f.Admin.PostJson("/v1/awe/delegations", new JsonObject
        {
            ["user_id"] = bob.ToUpperInvariant(), ["delegate_to"] = $" {alice.ToUpperInvariant()}",
            ["starts_at"] = now.AddHours(-1).ToString("O"), ["ends_at"] = now.AddHours(1).ToString("O"),
        })).Expect(HttpStatusCode.Created);
        var key = await Flow.PolicyAsync(f.Admin, ForbidSelf, Stage(1, "any-n", 1, User(bob)).With("on_empty", "block"));

        var created = await Flow.CreateAsync(f.App.ClientFor(Tokens.ServiceAccount("registry")), key, requester: alice);

        Assert.Equal("rejected", created.Str("status"));
        Assert.Empty(created["tasks"].Items());
    }
}
