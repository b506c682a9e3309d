using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Npgsql;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Webhooks;

/// <summary>
/// The outbox side: one delivery per committed event, in journal order per request, and none for a change that
/// rolled back.
/// </summary>
public sealed class WebhookOutboxTests(WebhookFixture fx) : IClassFixture<WebhookFixture>
{
    [Fact]
    public async Task Each_request_receives_its_events_in_journal_order_even_when_every_first_attempt_fails()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.FailFirst(1));
        var key = await PolicyAsync(fx.Admin, "order");
        var caller = fx.App.ClientFor(Tokens.Service(NewService("order")));
        var alice = fx.As(Approver);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            // The decision's three events are journaled while the request's first deliveries are still failing.
            var created = await RequestAsync(caller, key, receiver.Url($"/r{i}"));
            await ApproveAsync(alice, created);
            ids.Add(Id(created));
        }
        foreach (var id in ids) await WaitForDeliveriesAsync(fx.Admin, id, 5, d => Is(d, "delivered"), "all five delivered", seconds: 60);

        var received = receiver.Received;
        foreach (var id in ids)
        {
            var mine = received.Where(r => r.RequestId == id).ToList();
            var successes = mine.Where(r => r.Succeeded).ToList();
            Assert.Equal([1, 2, 3, 4, 5], successes.Select(r => r.Seq)); // each once, in order
            Assert.Equal([1, 1, 2, 2, 3, 3, 4, 4, 5, 5], mine.Select(r => r.Seq)); // a failure, then its retry, before the next event
            foreach (var later in mine.Where(r => r.Seq > 1))
            {
                var predecessor = successes.Single(s => s.Seq == later.Seq - 1);
                Assert.True(later.ArrivedTicks > predecessor.FinishedTicks,
                    $"seq {later.Seq} was sent before seq {predecessor.Seq} had been answered 2xx");
            }
        }
    }

    [Fact]
    public async Task A_create_rolled_back_by_an_idempotency_race_leaves_no_delivery_and_sends_nothing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(fx.Admin, "rollback");
        var service = NewService("rollback");
        var caller = fx.App.ClientFor(Tokens.Service(service));
        var idempotencyKey = $"race-{Guid.NewGuid():N}";
        var artifact = $"art-rolled-back-{Guid.NewGuid():N}";

        // Another replica's transaction has inserted the same Idempotency-Key and not committed yet. Our POST passes
        // its replay check, writes request, events and deliveries, and then blocks on the key's unique index.
        await using var other = new NpgsqlConnection(fx.Database.ConnectionString);
        await other.OpenAsync();
        await using var tx = await other.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
                         "INSERT INTO idempotency_key (key, caller_service, request_hash, status_code, response_payload, created_at) " +
                         "VALUES (@k, 'svc-someone-else', 'x', 201, '{}'::jsonb, now())", other, tx))
        {
            insert.Parameters.AddWithValue("k", idempotencyKey);
            await insert.ExecuteNonQueryAsync();
        }
        var post = caller.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = artifact, ["context"] = new JsonObject(),
            ["callback_url"] = receiver.Url("/rolled-back"),
        }, new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey });
        await Wait.UntilAsync(
            () => CountAsync(fx.Database.ConnectionString,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"),
            n => n > 0 || post.IsCompleted, "the create to wait on the uncommitted key");
        Assert.False(post.IsCompleted, "the create should be blocked by the other transaction");
        await tx.CommitAsync(); // the other one wins: our transaction fails on the key and rolls back

        var reply = await post;
        Assert.Equal(HttpStatusCode.Conflict, reply.Status);
        Assert.Equal("AWE-009", reply.ErrorCode);
        Assert.Equal(0, await CountAsync(fx.Database.ConnectionString, "SELECT count(*) FROM approval_request WHERE artifact_id = @a", ("a", artifact)));
        Assert.Equal(0, await CountAsync(fx.Database.ConnectionString, "SELECT count(*) FROM webhook_delivery WHERE url = @u",
            ("u", receiver.Url("/rolled-back"))));

        // A committed request afterwards is delivered; the rolled-back one never is.
        var committed = Id(await RequestAsync(caller, key, receiver.Url("/committed")));
        await WaitForDeliveriesAsync(fx.Admin, committed, 2, d => Is(d, "delivered"), "the committed request delivered");
        Assert.All(receiver.Received, r => Assert.Equal("/committed", r.Path));
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task A_decision_whose_next_stage_cannot_be_resolved_commits_and_delivers_its_events_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // Stage 2 has a role rule, which this server cannot resolve: the decision still commits (the stage waits
        // for a retry), and the caller hears about the decision and the failure, in journal order.
        var key = await TestPolicies.CreateActiveAsync(fx.Admin, TestPolicies.Policy($"wh.fail503.{Guid.NewGuid().ToString("N")[..8]}",
            TestPolicies.Stage(1, "any-n", 1, TestPolicies.User(Approver)),
            TestPolicies.Stage(2, "any-n", 1, new JsonObject { ["rule_type"] = "role", ["rule_value"] = new JsonObject { ["role"] = "FINANCE" } })));
        var created = await RequestAsync(fx.App.ClientFor(Tokens.Service(NewService("fail503"))), key, receiver.Url());
        var id = Id(created);
        var task = created["tasks"]!.AsArray().Single()!;
        var decision = await fx.As(Approver).PostJson($"/v1/awe/tasks/{task["id"]}/decision", new JsonObject { ["action"] = "approve" });
        Assert.Equal(HttpStatusCode.Created, decision.Status);

        string[] expected = ["request_created", "stage_started", "task_decided", "stage_completed", "stage_resolution_failed"];
        // Later retries of the resolution add further stage_resolution_failed events; the first five are what matter.
        var deliveries = await Wait.UntilAsync(() => DeliveriesAsync(fx.Admin, id),
            list => list.Count >= expected.Length && list.OrderBy(d => (int)d["seq"]!).Take(expected.Length).All(d => Is(d, "delivered")),
            "the committed events delivered", describe: list => string.Join("\n", list.Select(d => d.ToJsonString())));
        Assert.Equal(expected, deliveries.OrderBy(d => (int)d["seq"]!).Select(d => (string)d["event_type"]!).Take(expected.Length));
        Assert.Equal(expected, receiver.Received.Select(r => r.EventType).Take(expected.Length));
    }

    [Fact]
    public async Task Every_journaled_event_of_every_mutation_gets_exactly_one_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(fx.Admin, "paths");
        var caller = fx.App.ClientFor(Tokens.Service(NewService("paths")));
        var created = await RequestAsync(caller, key, receiver.Url());
        var id = Id(created);
        var task = created["tasks"]!.AsArray().Single()!;
        (await fx.Admin.PostJson($"/v1/awe/tasks/{task["id"]}/reassign", new JsonObject { ["new_assignee"] = "u-bob", ["reason"] = "leave" }))
            .Expect(HttpStatusCode.OK);
        (await caller.PostJson($"/v1/awe/requests/{id}/cancel", new JsonObject { ["reason"] = "withdrawn" })).Expect(HttpStatusCode.OK);
        // A request without a callback_url gets none.
        var silent = Id(await TestPolicies.RequestAsync(caller, key, artifactId: $"a-{Guid.NewGuid():N}"));

        var events = await EventsAsync(fx.Admin, id);
        Assert.Contains(events, e => (string)e["event_type"]! == "task_reassigned");
        Assert.Contains(events, e => (string)e["event_type"]! == "request_cancelled");
        var deliveries = await WaitForDeliveriesAsync(fx.Admin, id, events.Count, d => Is(d, "delivered"), "every event delivered");
        Assert.Equal(events.Select(e => ((string)e["id"]!, (int)e["seq"]!, (string)e["event_type"]!)),
            deliveries.Select(d => ((string)d["event_id"]!, (int)d["seq"]!, (string)d["event_type"]!)));
        Assert.Equal(events.Select(e => (string)e["id"]!), receiver.Received.Select(r => r.EventId));
        var reassigned = receiver.Received.Single(r => r.EventType == "task_reassigned").Json["data"]!;
        Assert.Equal("leave", (string)reassigned["reason"]!);
        Assert.Equal("withdrawn", (string)receiver.Received.Single(r => r.EventType == "request_cancelled").Json["data"]!["reason"]!);
        Assert.Empty(await DeliveriesAsync(fx.Admin, silent));
    }
}
