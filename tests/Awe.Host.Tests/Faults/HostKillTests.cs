using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Concurrency;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Webhooks;
using Npgsql;
using Xunit.Abstractions;
using static Awe.Host.Tests.Webhooks.WebhookKit;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Faults;

/// <summary>
/// The host process killed outright (SIGKILL: no shutdown code runs) in the middle of a burst of decisions while its
/// dispatcher is sending their events. After a restart on the same database: every decision that was answered 201 is
/// stored, no stage started or ended twice, and every event reaches its endpoint. Delivery is at least once: an event
/// the dead host had on the wire may arrive twice (same webhook-id, for the receiver to drop), but only such an
/// event, and each event has exactly one delivery row, marked delivered once.
/// </summary>
public sealed class HostKillTests(ITestOutputHelper output)
{
    private static readonly string[] FirstStage = ["k-ann", "k-bob", "k-cy"];
    private const string SecondStage = "k-dan";

    private sealed record Call(string RequestId, string TaskId, string Actor, HttpStatusCode? Status, string? DecisionId, string Raw);

    [Fact]
    public async Task Decisions_and_deliveries_survive_a_sigkill_mid_burst()
    {
        await using var db = await TestDatabase.CreateAsync();
        var settings = WebhookFixture.With(WebhookFixture.FastDispatcher, ("awe:webhook:timeout_seconds", "2"), ("awe:webhook:lease_seconds", "3"));
        await using var receiver = await WebhookReceiver.StartAsync(Respond.After(TimeSpan.FromMilliseconds(200)));
        await using var doomed = await HostProcess.StartAsync(db.ConnectionString, settings);
        using var admin = doomed.ClientFor(Tokens.Admin);
        var key = await TestPolicies.CreateActiveAsync(admin, TestPolicies.Policy("kill.burst",
            TestPolicies.Stage(1, "all", null, FirstStage.Select(u => TestPolicies.User(u)).ToArray()),
            TestPolicies.Stage(2, "any-n", 1, TestPolicies.User(SecondStage))));
        var requests = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => RequestAsync(admin, key, receiver.Url($"/r{i % 4}"), $"kill-{i}")));

        // The burst: every first-stage decision of every request, eight at a time; the host dies after a third answered.
        var clients = FirstStage.ToDictionary(u => u, u => doomed.ClientFor(Tokens.User(u)));
        var work = requests.SelectMany(r => r["tasks"]!.AsArray().Select(t => (Request: Id(r), Task: (string)t!["id"]!, Actor: (string)t["assignee"]!)))
            .OrderBy(w => w.Task, StringComparer.Ordinal).ToList();
        var calls = new ConcurrentBag<Call>();
        var answered = 0;
        var killNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gate = new SemaphoreSlim(8);
        var burst = work.Select(async w =>
        {
            await gate.WaitAsync();
            try
            {
                var reply = await clients[w.Actor].PostJson($"/v1/awe/tasks/{w.Task}/decision", new JsonObject { ["action"] = "approve" });
                calls.Add(new Call(w.Request, w.Task, w.Actor, reply.Status, reply.Status == HttpStatusCode.Created ? (string?)reply.Json["id"] : null, reply.Raw));
                if (Interlocked.Increment(ref answered) == work.Count / 3) killNow.TrySetResult();
            }
            catch (HttpRequestException e)
            {
                calls.Add(new Call(w.Request, w.Task, w.Actor, null, null, e.Message)); // in flight when the host died: outcome unknown
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await killNow.Task;
        await doomed.KillAsync();
        await Task.WhenAll(burst);
        var deadOwner = $"-{doomed.Id}-";
        var heldByTheDead = (await RowsAsJsonAsync(db.ConnectionString,
            $"SELECT event_id FROM webhook_delivery WHERE status = 'pending' AND lease_owner LIKE '%{deadOwner}%'")).ToHashSet();
        output.WriteLine($"killed after {answered} of {work.Count} decisions answered; {calls.Count(c => c.Status is null)} cut off; " +
                         $"{heldByTheDead.Count} deliveries were on the dead host's wire");
        Assert.True(calls.Count(c => c.Status == HttpStatusCode.Created) >= work.Count / 3);
        Assert.All(calls.Where(c => c.Status is not null), c => Assert.True(c.Status == HttpStatusCode.Created, c.Raw));

        await using var survivor = new AweApp(db.ConnectionString, settings);
        // Every decision answered 201 is there as answered; nothing half-done: each journal is whole.
        foreach (var request in requests.Select(Id))
        {
            var j = await JournalAsync(db, request);
            j.AssertConsistent();
            foreach (var c in calls.Where(c => c.RequestId == request && c.Status == HttpStatusCode.Created))
            {
                var row = Assert.Single(j.Decisions, d => d.Id == c.DecisionId);
                Assert.Equal((c.TaskId, c.Actor, "approve"), (row.TaskId, row.Actor, row.Action));
            }
        }

        // The survivor finishes the work: the decisions whose fate was unknown either are stored (409: already
        // completed) or are taken now; then the second stage.
        foreach (var c in calls.Where(c => c.Status is null))
        {
            var again = await survivor.ClientFor(Tokens.User(c.Actor)).PostJson($"/v1/awe/tasks/{c.TaskId}/decision", new JsonObject { ["action"] = "approve" });
            Assert.True(again.Status == HttpStatusCode.Created || (again.Status == HttpStatusCode.Conflict && again.Raw.Contains("completed")), again.Raw);
        }
        var dan = survivor.ClientFor(Tokens.User(SecondStage));
        foreach (var request in requests.Select(Id))
        {
            var open = Assert.Single((await JournalAsync(db, request)).Tasks, t => t.StageOrder == 2 && t.Status == "open");
            (await dan.PostJson($"/v1/awe/tasks/{open.Id}/decision", new JsonObject { ["action"] = "approve" })).Expect(HttpStatusCode.Created);
        }
        foreach (var request in requests.Select(Id))
        {
            var j = await JournalAsync(db, request);
            j.AssertConsistent();
            Assert.Equal("approved", j.Request.Status);
            Assert.Equal(4, j.Decisions.Count);
            Assert.Equal([1, 2], j.OfType("stage_started").Select(e => e.StageOrder!.Value));
            Assert.Equal([1, 2], j.OfType("stage_completed").Select(e => e.StageOrder!.Value));
        }

        // Every event delivered: one delivery row per event (one endpoint per request), each marked delivered once.
        await Wait.UntilAsync(() => CountAsync(db.ConnectionString, "SELECT count(*) FROM webhook_delivery WHERE status <> 'delivered'"),
            n => n == 0, "every delivery delivered by the survivor", seconds: 60);
        var events = (await RowsAsJsonAsync(db.ConnectionString, "SELECT id FROM approval_event")).Order().ToList();
        Assert.Equal(events, (await RowsAsJsonAsync(db.ConnectionString, "SELECT event_id FROM webhook_delivery")).Order());
        var succeeded = receiver.Received.Where(r => r.Succeeded).ToList();
        Assert.Equal(events, succeeded.Select(r => r.EventId).Distinct().Order());
        // A duplicate is only ever an event the dead host had on the wire (sent, answered, not yet recorded).
        var twice = succeeded.GroupBy(r => r.EventId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.All(twice, e => Assert.Contains(e, heldByTheDead));
        // Per request, first arrivals come in journal order.
        foreach (var perRequest in succeeded.GroupBy(r => r.RequestId))
        {
            var firsts = perRequest.GroupBy(r => r.EventId).Select(g => g.First()).OrderBy(r => r.Index).Select(r => r.Seq).ToList();
            Assert.Equal(firsts.Order(), firsts);
        }
        output.WriteLine($"{events.Count} events, {succeeded.Count} successful sends, {twice.Count} sent twice");
    }

    private static async Task<Journal> JournalAsync(TestDatabase db, string requestId)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        return await Journal.LoadAsync(connection, requestId);
    }
}
