using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Deadlines.DeadlineKit;
using static Awe.Host.Tests.Requests.Flow;

namespace Awe.Host.Tests.Deadlines;

/// <summary>
/// Stage deadlines acting through the real scheduler on PostgreSQL: every on_breach mode, including the two the
/// reference gets wrong (auto_approve never approving, notify leaving the request in review forever).
/// </summary>
public sealed class SlaBreachTests(DeadlineFixture f) : IClassFixture<DeadlineFixture>
{
    [Fact]
    public async Task Auto_reject_decides_the_open_tasks_as_sla_monitor_and_ends_the_request()
    {
        var (alice, bob) = (Unique("alice"), Unique("bob"));
        var key = await PolicyAsync(f.Admin, SlaStage(1, "all", null, "PT2S", "auto_reject", alice, bob));
        var created = await CreateAsync(f.Admin, key);
        var id = created.RequestId();
        var due = DateTime.Parse(created.TaskOf(alice).Str("due_at")).ToUniversalTime();
        Assert.InRange(due, DateTime.UtcNow.AddSeconds(-1), DateTime.UtcNow.AddSeconds(3));

        var ended = await f.EndedAsync(id);
        Assert.Equal("rejected", ended.Str("status"));
        var breach = Assert.Single(await f.EventsOfTypeAsync(id, "sla_breached"))["payload"]!;
        Assert.Equal("auto_reject", breach.Str("action"));
        var decided = await f.EventsOfTypeAsync(id, "task_decided");
        Assert.NotEmpty(decided);
        Assert.All(decided, e => Assert.Equal("sla-monitor", e["payload"]!.Str("actor")));
        Assert.All(decided, e => Assert.Contains("SLA breached", e["payload"]!.Str("comment")));
        Assert.Equal(0, await f.TimersAsync(id, "pending"));
        Assert.Equal(1, await f.TimersAsync(id, "fired"));
    }

    [Fact]
    public async Task Auto_approve_approves_what_is_still_open_and_the_request_moves_on()
    {
        var (alice, bob, carol) = (Unique("alice"), Unique("bob"), Unique("carol"));
        var key = await PolicyAsync(f.Admin,
            SlaStage(1, "all", null, "PT2S", "auto_approve", alice, bob),
            Infrastructure.Policies.Stage(2, "any-n", 1, Infrastructure.Policies.User(carol)));
        var created = await CreateAsync(f.Admin, key);
        var id = created.RequestId();
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);

        // Stage 1 approves itself at its deadline (bob's vote by sla-monitor); stage 2 starts and waits for carol.
        var carolTask = await Wait.UntilAsync(() => f.LiveTasksOf(id, carol), t => t.Length == 1, "stage 2 opens for carol");
        Assert.Equal("in_review", await f.StatusOf(id));
        var bobVote = Assert.Single(await f.EventsOfTypeAsync(id, "task_decided"), e => e["payload"]!.Str("assignee") == bob)["payload"]!;
        Assert.Equal(("approve", "sla-monitor"), (bobVote.Str("action"), bobVote.Str("actor")));
        (await f.DecideAsync(carolTask[0], "approve")).Expect(HttpStatusCode.Created);
        Assert.Equal("approved", await f.StatusOf(id));
    }

    [Fact]
    public async Task Notify_expires_overdue_tasks_and_rejects_a_stage_that_can_no_longer_reach_its_quorum()
    {
        var (alice, bob) = (Unique("alice"), Unique("bob"));
        var key = await PolicyAsync(f.Admin, SlaStage(1, "any-n", 1, "PT2S", "notify", alice, bob));
        var id = (await CreateAsync(f.Admin, key)).RequestId();

        var ended = await f.EndedAsync(id);
        Assert.Equal("rejected", ended.Str("status"));
        var expired = await f.EventsOfTypeAsync(id, "task_expired");
        Assert.Equal([alice, bob], expired.Select(e => e["payload"]!.Str("assignee")).Order());
        Assert.All(expired, e =>
        {
            Assert.Equal(1, (int?)e["payload"]!["stage_order"]);
            Assert.NotNull((string?)e["payload"]!["due_at"]);
            Assert.NotNull((string?)e["payload"]!["task_id"]);
        });
        Assert.Equal("sla_expired", (await f.EventAsync(id, "request_rejected")).Str("reason"));
        Assert.Equal(new Dictionary<string, string> { [alice] = "expired", [bob] = "expired" }, await f.TaskStatusesAsync(id));
    }

    [Fact]
    public async Task Notify_is_the_default_and_a_stage_that_still_has_its_quorum_goes_on()
    {
        var (alice, bob) = (Unique("alice"), Unique("bob"));
        // mode all: alice approved in time, bob's seat expires; the one remaining seat is approved, so the stage is.
        var key = await PolicyAsync(f.Admin, SlaStage(1, "all", null, "PT2S", null, alice, bob));
        var created = await CreateAsync(f.Admin, key);
        var id = created.RequestId();
        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);

        Assert.Equal("approved", (await f.EndedAsync(id)).Str("status"));
        Assert.Equal("notify", (await f.EventAsync(id, "sla_breached")).Str("action"));
        Assert.Equal(bob, (await f.EventAsync(id, "task_expired")).Str("assignee"));
    }

    [Fact]
    public async Task Escalate_adds_the_escalation_approvers_with_a_fresh_deadline_then_behaves_as_notify()
    {
        var (alice, boss) = (Unique("alice"), Unique("boss"));
        var stage = SlaStage(1, "any-n", 1, "PT2S", "escalate", alice);
        stage["escalation_rules"] = new JsonArray(Infrastructure.Policies.User(boss));
        var key = await PolicyAsync(f.Admin, stage);
        var id = (await CreateAsync(f.Admin, key)).RequestId();

        var bossTask = await Wait.UntilAsync(() => f.LiveTasksOf(id, boss), t => t.Length == 1, "the boss gets a task");
        var escalated = await f.EventAsync(id, "stage_escalated");
        Assert.Equal([boss], escalated["added_approvers"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(1, (int?)escalated["escalation"]);
        Assert.True(DateTime.Parse(bossTask[0].Str("due_at")).ToUniversalTime() > DateTime.UtcNow.AddMilliseconds(-500));
        // Alice's task stays open with the same fresh deadline; a second breach (max_escalations 1) expires both.
        Assert.Single(await f.LiveTasksOf(id, alice));

        var ended = await f.EndedAsync(id);
        Assert.Equal("rejected", ended.Str("status"));
        Assert.Equal("sla_expired", (await f.EventAsync(id, "request_rejected")).Str("reason"));
        var breaches = await f.EventsOfTypeAsync(id, "sla_breached");
        Assert.Equal(["escalate", "notify"], breaches.Select(b => b["payload"]!.Str("action")));
    }

    [Fact]
    public async Task A_decision_before_the_deadline_makes_the_timer_moot_in_its_own_transaction()
    {
        var alice = Unique("alice");
        var key = await PolicyAsync(f.Admin, SlaStage(1, "any-n", 1, "PT1H", "auto_reject", alice));
        var created = await CreateAsync(f.Admin, key);
        var id = created.RequestId();
        var before = await f.RequestAsync(id);
        var timer = Assert.Single(before["pending_timers"].Items());
        Assert.Equal(("sla_breach", 1), (timer.Str("kind"), (int?)timer["stage_order"]));

        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);
        Assert.Equal(0, await f.TimersAsync(id, "pending"));
        Assert.Equal(1, await f.TimersAsync(id, "cancelled"));
        Assert.Empty((await f.RequestAsync(id))["pending_timers"].Items());
    }

    [Fact]
    public async Task Reminders_go_to_open_assignees_until_they_decide()
    {
        var (alice, bob) = (Unique("alice"), Unique("bob"));
        var stage = Infrastructure.Policies.Stage(1, "all", null, Infrastructure.Policies.User(alice), Infrastructure.Policies.User(bob));
        stage["remind_every"] = "PT1S";
        var key = await PolicyAsync(f.Admin, stage);
        var created = await CreateAsync(f.Admin, key);
        var id = created.RequestId();

        var reminders = await Wait.UntilAsync(() => f.EventsOfTypeAsync(id, "task_reminder"),
            e => e.Count(r => r["payload"]!.Str("assignee") == alice) >= 2 && e.Any(r => r["payload"]!.Str("assignee") == bob), "repeated reminders");
        Assert.All(reminders, r => Assert.Equal(1, (int?)r["payload"]!["stage_order"]));
        Assert.Equal("reminder", Assert.Single((await f.RequestAsync(id))["pending_timers"].Items()).Str("kind"));

        (await f.DecideAsync(created.TaskOf(alice), "approve")).Expect(HttpStatusCode.Created);
        (await f.DecideAsync(created.TaskOf(bob), "approve")).Expect(HttpStatusCode.Created);
        Assert.Equal(0, await f.TimersAsync(id, "pending"));
    }
}
