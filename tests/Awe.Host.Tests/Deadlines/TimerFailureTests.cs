using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Deadlines.DeadlineKit;
using static Awe.Host.Tests.Requests.Flow;

namespace Awe.Host.Tests.Deadlines;

/// <summary>A scheduler that gives up on a failing timer after three attempts, a second apart; HTTP resolvers may be on loopback.</summary>
public sealed class FailingTimerFixture : PostgresAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(FastScheduler)
    {
        ["awe:outbound:allow_private_networks"] = "true",
        ["awe:sla:fire_max_attempts"] = "3",
        // The default lists four waits; each is replaced.
        ["awe:sla:fire_backoff_seconds:0"] = "1", ["awe:sla:fire_backoff_seconds:1"] = "1",
        ["awe:sla:fire_backoff_seconds:2"] = "1", ["awe:sla:fire_backoff_seconds:3"] = "1",
    };
}

/// <summary>
/// A timer whose firing keeps throwing — here an escalation whose HTTP resolver answers 500, a real path through the
/// scheduler, the runner and the resolver — is tried again after a backoff, a bounded number of times, then marked
/// failed: journaled, counted, shown on the request, and retried by the runbook's statement once the cause is fixed.
/// </summary>
public sealed class TimerFailureTests(FailingTimerFixture f) : IClassFixture<FailingTimerFixture>, IAsyncLifetime
{
    private FakeHttpEndpoint resolver = null!;

    public async Task InitializeAsync() => resolver = await FakeHttpEndpoint.StartAsync();

    public async Task DisposeAsync() => await resolver.DisposeAsync();

    [Fact]
    public async Task A_timer_that_keeps_failing_backs_off_is_marked_failed_and_fires_when_an_operator_retries_it()
    {
        var calls = new ConcurrentQueue<DateTime>();
        var boss = Unique("boss");
        var failing = true;
        resolver.Respond = async ctx =>
        {
            calls.Enqueue(DateTime.UtcNow);
            ctx.Response.StatusCode = failing ? 500 : 200;
            await ctx.Response.WriteAsync(failing ? "resolver down" : $$"""{"user_ids": ["{{boss}}"]}""");
        };
        var alice = Unique("alice");
        var stage = SlaStage(1, "any-n", 1, "PT1S", "escalate", alice);
        stage["escalation_rules"] = new System.Text.Json.Nodes.JsonArray(Identity.IdentityRules.HttpRule($"{resolver.BaseUrl}/escalate"));
        var key = await PolicyAsync(f.Admin, stage);
        var id = (await CreateAsync(f.Admin, key)).RequestId();

        var timer = await Wait.UntilAsync(async () => (await f.Admin.GetJson($"/v1/awe/requests/{id}")).Json["pending_timers"]!.AsArray(),
            t => t.Count == 1 && t[0]!.Str("state") == "failed", "the deadline is given up on", seconds: 60, t => t.ToJsonString());
        var failed = timer[0]!;
        Assert.Equal("sla_breach", failed.Str("kind"));
        Assert.Equal(3, (int?)failed["attempts"]);
        Assert.Contains("500", failed.Str("last_error"));

        // Three attempts, each after its backoff: no hot loop, and no fourth.
        var attempts = calls.ToArray();
        Assert.Equal(3, attempts.Length);
        for (var i = 1; i < attempts.Length; i++)
            Assert.True(attempts[i] - attempts[i - 1] >= TimeSpan.FromMilliseconds(900), $"attempt {i + 1} came {(attempts[i] - attempts[i - 1]).TotalMilliseconds:F0} ms after the one before");

        // The request waits, unchanged, with the failure in its journal and in the metrics.
        var request = await f.RequestAsync(id);
        Assert.Equal("in_review", request.Str("status"));
        Assert.Single(await f.LiveTasksOf(id, alice));
        var journaled = Assert.Single(await f.EventsOfTypeAsync(id, "timer_failed"))["payload"]!;
        Assert.Equal(failed.Str("id"), journaled.Str("timer_id"));
        Assert.Equal(3, (int?)journaled["attempts"]);
        Assert.Empty(await f.EventsOfTypeAsync(id, "sla_breached"));
        Assert.Matches("awe_timer_fire_failures_total\\{kind=\"sla_breach\",outcome=\"failed\"\\} [1-9]", await f.App.CreateClient().GetStringAsync("/metrics"));

        // The runbook's retry, once the resolver is back: the deadline acts.
        failing = false;
        var retried = await f.CountAsync("""
            WITH retried AS (
                UPDATE approval_timer SET state = 'pending', attempts = 0, lease_until = NULL, updated_at = now()
                WHERE id = @timer AND state = 'failed' RETURNING 1)
            SELECT count(*) FROM retried
            """, ("timer", failed.Str("id")));
        Assert.Equal(1, retried);
        var escalated = await Wait.UntilAsync(() => f.EventsOfTypeAsync(id, "stage_escalated"), e => e.Length > 0, "the retried deadline escalates");
        Assert.Equal([boss], Assert.Single(escalated)["payload"]!["added_approvers"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(1, await f.TimersAsync(id, "fired"));
        Assert.Equal(0, await f.TimersAsync(id, "failed"));
    }
}
