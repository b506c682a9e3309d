using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Webhooks;

/// <summary>Several replicas on one database: claims never overlap, and a replica that dies loses nothing.</summary>
public sealed class WebhookReplicaTests(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Log(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");

    private const string HostHeader = "X-Test-Replica";

    [Fact]
    public async Task Two_hosts_on_one_database_deliver_every_event_exactly_once_and_never_the_same_one_concurrently()
    {
        await using var db = await TestDatabase.CreateAsync();
        var settings = WebhookFixture.With(WebhookFixture.FastDispatcher, ("awe:webhook:batch_size", "3"));
        await using var a = new AweApp(db.ConnectionString, settings, s => TagOutgoing(s, "A"));
        _ = a.Server;
        await using var b = new AweApp(db.ConnectionString, settings, s => TagOutgoing(s, "B"));
        _ = b.Server;
        await using var receiver = await WebhookReceiver.StartAsync(Respond.After(TimeSpan.FromMilliseconds(100)));

        var admin = a.ClientFor(Tokens.Admin);
        var service = NewService("replicas");
        var (_, secret) = await IssueSecretAsync(admin, service); // issued by A, used by both: one key ring in the database
        var key = await PolicyAsync(admin, "replicas");
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var host = i % 2 == 0 ? a : b;
            var created = await RequestAsync(host.ClientFor(Tokens.Service(service)), key, receiver.Url($"/r{i}"));
            await ApproveAsync(host.ClientFor(Tokens.User(Approver)), created);
            ids.Add(Id(created));
        }

        // Besides their own loops, tick both dispatchers from here, several at once, so claims collide as often as possible.
        var dispatchers = new[] { a, b }.Select(h => h.Services.GetRequiredService<WebhookDispatcher>()).ToArray();
        using var stop = new CancellationTokenSource();
        var hammer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.WhenAll(dispatchers.Concat(dispatchers).Select(d => d.TickAsync(CancellationToken.None)));
                await Task.Delay(20);
            }
        });
        try
        {
            foreach (var id in ids) await WaitForDeliveriesAsync(admin, id, 5, d => Is(d, "delivered"), "all delivered", seconds: 90);
        }
        finally
        {
            await stop.CancelAsync();
            await hammer;
        }

        var received = receiver.Received;
        // No event was ever in flight twice at the same time...
        foreach (var group in received.GroupBy(r => r.EventId))
        {
            var spans = group.OrderBy(r => r.ArrivedTicks).ToList();
            for (var i = 1; i < spans.Count; i++)
                Assert.True(spans[i].ArrivedTicks > spans[i - 1].FinishedTicks, $"event {group.Key} was sent twice at once");
        }
        // ...and in fact every event was sent exactly once, answered 200, and recorded with one attempt.
        var events = new List<string>();
        foreach (var id in ids) events.AddRange((await EventsAsync(admin, id)).Select(e => (string)e["id"]!));
        Assert.Equal(60, events.Count);
        Assert.Equal(events.Order(), received.Select(r => r.EventId).Order());
        Assert.All(received, r => Assert.Equal(200, r.StatusCode));
        foreach (var id in ids)
        {
            var deliveries = await DeliveriesAsync(admin, id);
            Assert.All(deliveries, d => Assert.Equal(1, (int)d["attempt"]!));
            Assert.Equal([1, 2, 3, 4, 5], received.Where(r => r.RequestId == id).Select(r => r.Seq)); // order per request
        }
        // Both replicas did part of the work, and both signed with the secret they decrypted from the shared key ring.
        Assert.Equal(["A", "B"], received.Select(r => r.Header(HostHeader)!).Distinct().Order());
        Assert.All(received, r => AssertSignedBy(r, secret));
        Assert.Equal(0, await CountAsync(db.ConnectionString, "SELECT count(*) FROM webhook_delivery WHERE lease_owner IS NOT NULL"));
    }

    [Fact]
    public async Task Deliveries_in_flight_on_a_killed_host_are_sent_by_another_host_once_their_lease_expires()
    {
        await using var db = await TestDatabase.CreateAsync();
        // A short lease (it must exceed the timeout) keeps the wait after the kill short.
        var settings = WebhookFixture.With(WebhookFixture.FastDispatcher,
            ("awe:webhook:timeout_seconds", "10"), ("awe:webhook:lease_seconds", "12"));
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Hang);

        Log("database ready");
        await using var doomed = await HostProcess.StartAsync(db.ConnectionString, settings);
        Log($"host process {doomed.Id} answering");
        var ids = new List<string>();
        var admin = doomed.ClientFor(Tokens.Admin);
        var service = NewService("killed");
        var (_, secret) = await IssueSecretAsync(admin, service);
        var key = await PolicyAsync(admin, "killed");
        var caller = doomed.ClientFor(Tokens.Service(service));
        ids.AddRange((await Task.WhenAll(Enumerable.Range(0, 4).Select(i => RequestAsync(caller, key, receiver.Url($"/r{i}"))))).Select(Id));
        // Each request's first delivery is on the wire, held by the receiver; the second waits behind it.
        await receiver.WaitForAsync(l => l.Count(r => r.InFlight) == 4, "four deliveries in flight on the doomed host", seconds: 30);
        Log("four deliveries in flight");
        var leases = await LeasesAsync(db.ConnectionString);
        Assert.Equal(4, leases.Count);
        Assert.Single(leases.Select(l => l.Owner).Distinct());
        Assert.Contains($"-{doomed.Id}-", leases[0].Owner);

        var killedAt = DateTimeOffset.UtcNow;
        await doomed.KillAsync(); // SIGKILL mid-batch: no attempt is recorded, no lease released
        receiver.Behavior = Respond.Ok;
        Log($"killed; leases run until {leases.Max(l => l.Until):HH:mm:ss.fff} (now {DateTime.UtcNow:HH:mm:ss.fff})");
        await receiver.WaitForAsync(l => l.All(r => !r.InFlight), "the killed host's connections dropped");
        Assert.All(receiver.Received, r => Assert.True(r.Aborted));
        Assert.Equal(4, (await LeasesAsync(db.ConnectionString)).Count); // still claimed by the dead host

        await using var survivor = new AweApp(db.ConnectionString, settings);
        var survivorAdmin = survivor.ClientFor(Tokens.Admin);
        Log("survivor started");
        foreach (var id in ids) await WaitForDeliveriesAsync(survivorAdmin, id, 2, d => Is(d, "delivered"), "delivered by the survivor", seconds: 60);
        Log("all delivered by the survivor");

        var resent = receiver.Received.Where(r => r.Succeeded).ToList();
        Assert.Equal(8, resent.Count);
        foreach (var id in ids)
        {
            Assert.Equal([1, 2], resent.Where(r => r.RequestId == id).Select(r => r.Seq));
            var events = (await EventsAsync(survivorAdmin, id)).Select(e => (string)e["id"]!);
            Assert.Equal(events, resent.Where(r => r.RequestId == id).Select(r => r.EventId)); // nothing lost
            var first = (await DeliveriesAsync(survivorAdmin, id))[0];
            var lease = leases.Single(l => l.DeliveryId == (string)first["id"]!);
            Assert.Equal(lease.Attempt + 1, (int)first["attempt"]!); // the killed attempt was never recorded; the survivor's was
        }
        foreach (var r in resent)
        {
            AssertSignedBy(r, secret); // the survivor decrypts the secret with the key ring the dead host left in the database
            // A claimed delivery is re-sent only after the dead host's lease on it ran out (1 s slack for clock rounding).
            if (leases.SingleOrDefault(l => l.EventId == r.EventId) is { } lease)
                Assert.True(r.ArrivedAt.UtcDateTime >= lease.Until.AddSeconds(-1), $"{r.EventId} re-sent at {r.ArrivedAt:O}, its lease ran until {lease.Until:O}");
        }
        Assert.True(killedAt.UtcDateTime < leases.Min(l => l.Until), "the kill should come while the leases were valid, or the test proves nothing");
    }

    private sealed record Lease(string DeliveryId, string EventId, string Owner, DateTime Until, int Attempt);

    private static async Task<List<Lease>> LeasesAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT id, event_id, lease_owner, lease_until, attempt FROM webhook_delivery WHERE lease_owner IS NOT NULL ORDER BY lease_until", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var leases = new List<Lease>();
        while (await reader.ReadAsync())
            leases.Add(new Lease(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc), reader.GetInt32(4)));
        return leases;
    }

    /// <summary>Marks the webhook requests one in-process host sends, so the receiver can tell the replicas apart.</summary>
    private static void TagOutgoing(IServiceCollection services, string replica) =>
        services.AddHttpClient(WebhookDispatcher.HttpClientName).ConfigureHttpClient(c => c.DefaultRequestHeaders.Add(HostHeader, replica));
}
