using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Deadlines;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Webhooks;
using Xunit.Abstractions;
using static Awe.Host.Tests.Webhooks.WebhookKit;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Faults;

/// <summary>
/// PostgreSQL stopped and started again under load, on a server of the test's own (never the shared one). While it is
/// down the API answers 503 AWE-006 and never a 500, readiness and GET /health say so, liveness stays up; once it is
/// back the same process serves again, and its background work (webhook dispatcher, timer scheduler) resumes by
/// itself: nobody restarts anything.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    private sealed record Outcome(string What, int Status, string? Code, string Raw, DateTime At);

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Log(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");

    [Fact]
    public async Task Api_answers_503_AWE_006_while_postgres_is_down_and_everything_resumes_when_it_is_back()
    {
        await using var pg = await OwnPostgres.StartAsync();
        var connection = await pg.CreateDatabaseAsync("awe_outage");
        // A send whose outcome could not be recorded while the database was down keeps its lease until it passes, then
        // goes out again: a short lease keeps that wait short.
        var settings = WebhookFixture.With(WebhookFixture.FastDispatcher, ("awe:sla:check_interval_seconds", "1"), ("awe:webhook:lease_seconds", "5"));
        Log("own PostgreSQL running");
        await using var host = await HostProcess.StartAsync(connection, settings);
        Log("host answering");
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Ok);
        using var admin = host.ClientFor(Tokens.Admin);
        using var alice = host.ClientFor(Tokens.User(Approver));
        using var anonymous = new HttpClient { BaseAddress = new Uri(host.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
        var key = await PolicyAsync(admin, "outage");
        // A deadline that falls due while the database is down: the scheduler must fire it once it is back.
        var slaKey = await TestPolicies.CreateActiveAsync(admin,
            TestPolicies.Policy($"outage.sla.{Guid.NewGuid():N}"[..24], DeadlineKit.SlaStage(1, "any-n", 1, "PT3S", "auto_approve", "u-nobody")));

        // Load: four callers creating requests (with a callback) and approving them, answers kept.
        var outcomes = new ConcurrentQueue<Outcome>();
        var committed = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        async Task CallerAsync(int n)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var create = await admin.PostJson("/v1/awe/requests", new JsonObject
                {
                    ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = $"load-{n}-{i}",
                    ["context"] = new JsonObject(), ["callback_url"] = receiver.Url($"/c{n}"),
                });
                outcomes.Enqueue(new Outcome("create", (int)create.Status, create.ErrorCode, create.Raw, DateTime.UtcNow));
                if (create.Status != HttpStatusCode.Created) continue;
                committed.Add(Id(create.Json));
                var task = create.Json["tasks"]![0]!["id"]!.GetValue<string>();
                var decide = await alice.PostJson($"/v1/awe/tasks/{task}/decision", new JsonObject { ["action"] = "approve" });
                outcomes.Enqueue(new Outcome("decision", (int)decide.Status, decide.ErrorCode, decide.Raw, DateTime.UtcNow));
            }
        }
        var load = Enumerable.Range(0, 4).Select(n => Task.Run(() => CallerAsync(n))).ToArray();
        int Count(Func<Outcome, bool> which) => outcomes.Count(which);

        await Wait.UntilAsync(() => Task.FromResult(Count(o => o.Status == 201)), n => n >= 20, "some load served before the outage");
        var deadline = await TestPolicies.RequestAsync(admin, slaKey);
        Log("load running");

        await pg.StopServerAsync();
        var downAt = DateTime.UtcNow;
        Log($"stopped PostgreSQL after {Count(_ => true)} answers");
        await Wait.UntilAsync(() => Task.FromResult(Count(o => o.At > downAt && o.Status == 503)), n => n >= 20,
            "503s while the database is down", describe: _ => string.Join("\n", outcomes.TakeLast(5)));
        Log("503s seen");
        var health = (await anonymous.GetJson("/v1/awe/health")).Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-006", health.ErrorCode);
        Assert.Equal("AWE-006", (await anonymous.GetJson("/v1/awe/health/ready")).Expect(HttpStatusCode.ServiceUnavailable).ErrorCode);
        (await anonymous.GetJson("/v1/awe/health/live")).Expect(HttpStatusCode.OK);
        var list = await admin.GetJson("/v1/awe/requests");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "AWE-006"), (list.Status, list.ErrorCode));
        Assert.Contains("retry", EnvelopeAssert.ErrorMessage(list, HttpStatusCode.ServiceUnavailable, "AWE-006"));

        await pg.StartServerAsync();
        var upAt = DateTime.UtcNow;
        Log($"started PostgreSQL again after {(upAt - downAt).TotalSeconds:F1} s down");
        await Wait.UntilAsync(() => anonymous.GetJson("/v1/awe/health"), r => r.Status == HttpStatusCode.OK, "GET /health healthy again",
            describe: r => r.Raw);
        // The load recovers on the same connections' pool: a steady run of successes, and no failure after them.
        await Wait.UntilAsync(() => Task.FromResult(Count(o => o.At > upAt && o.Status == 201)), n => n >= 20, "load served again",
            describe: _ => string.Join("\n", outcomes.TakeLast(5)));
        var recovered = DateTime.UtcNow;
        Log("load served again");
        await Wait.UntilAsync(() => Task.FromResult(Count(o => o.At > recovered && o.Status == 201)), n => n >= 10, "load keeps being served");
        await stop.CancelAsync();
        await Task.WhenAll(load);

        // Never anything but success or 503 AWE-006 (no 500, no other code), and no failure once recovered.
        var unexpected = outcomes.Where(o => !(o.Status is 200 or 201 || (o.Status == 503 && o.Code == "AWE-006"))).ToList();
        Assert.True(unexpected.Count == 0, "unexpected answers:\n" + string.Join("\n", unexpected.Take(10)) + "\n" + host.Output[^Math.Min(4000, host.Output.Length)..]);
        Assert.DoesNotContain(outcomes, o => o.At > recovered && o.Status != 201);
        Assert.DoesNotContain("Unhandled error", host.Output);
        Assert.False(host.HasExited);

        Log("load stopped");
        // The timer scheduler resumed: the deadline that fell due during the outage acted.
        var ended = await Wait.UntilAsync(() => admin.GetJson($"/v1/awe/requests/{Id(deadline)}"),
            r => (string?)r.Json["status"] == "approved", "the deadline that fell due while the database was down acts", describe: r => r.Raw);
        Assert.Equal("approved", (string?)ended.Json["status"]);
        // The dispatcher resumed: every event of every request created is delivered, none lost to the outage.
        await Wait.UntilAsync(() => CountAsync(connection, "SELECT count(*) FROM webhook_delivery WHERE status <> 'delivered'"), n => n == 0,
            "every delivery delivered after the outage", seconds: 60);
        Log("all delivered");
        var events = await CountAsync(connection, "SELECT count(*) FROM approval_event e JOIN approval_request r ON r.id = e.request_id WHERE r.callback_url IS NOT NULL");
        Assert.Equal(events, await CountAsync(connection, "SELECT count(*) FROM webhook_delivery"));
        Assert.Equal(events, receiver.Received.Where(r => r.Succeeded).Select(r => r.EventId).Distinct().Count());
    }
}
