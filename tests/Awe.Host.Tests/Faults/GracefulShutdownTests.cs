using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Webhooks;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Faults;

/// <summary>
/// A replica stopped gracefully (SIGTERM, as Kubernetes does on a rollout) hands its in-flight webhook deliveries
/// back: another replica sends them at its next poll, not after webhook.lease_seconds.
/// </summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_releases_in_flight_delivery_leases_so_another_host_sends_them_at_once()
    {
        await using var db = await TestDatabase.CreateAsync();
        // A lease far longer than the test: only a release lets another replica have the deliveries in time.
        var settings = WebhookFixture.With(WebhookFixture.FastDispatcher, ("awe:webhook:timeout_seconds", "100"), ("awe:webhook:lease_seconds", "300"),
            ("Logging:LogLevel:Awe.Host", "Information"));
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Hang);
        await using var leaving = await HostProcess.StartAsync(db.ConnectionString, settings);
        using var admin = leaving.ClientFor(Tokens.Admin);
        var key = await PolicyAsync(admin, "sigterm");
        using var caller = leaving.ClientFor(Tokens.Service(NewService("sigterm")));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(Id(await RequestAsync(caller, key, receiver.Url($"/r{i}"))));
        // The dispatcher sends a batch and claims the next when it is done: the hanging receiver holds the first batch
        // (one request's first event, or more if they were committed together) on the wire, leased for 300 s.
        await receiver.WaitForAsync(l => l.Count(r => r.InFlight) >= 1, "deliveries in flight on the leaving host");
        var inFlight = await Wait.UntilAsync(() => LeasedAsync(db.ConnectionString), n => n > 0 && n == receiver.Received.Count(r => r.InFlight),
            "every claimed delivery on the wire");

        var exitCode = await leaving.TerminateAsync();
        Assert.Equal(0, exitCode);
        // Released on the way out: nothing pending is still claimed, and the sends were abandoned, not recorded.
        Assert.Equal(0, await LeasedAsync(db.ConnectionString));
        Assert.Equal(0, await CountAsync(db.ConnectionString, "SELECT count(*) FROM webhook_delivery WHERE attempt > 0 OR status <> 'pending'"));
        Assert.Contains($"WebhookDispatcher stopping: released {inFlight} claim(s)", leaving.Output);
        await receiver.WaitForAsync(l => l.All(r => !r.InFlight), "the leaving host's connections closed");

        receiver.Behavior = Respond.Ok;
        await using var staying = await HostProcess.StartAsync(db.ConnectionString, settings);
        using var stayingAdmin = staying.ClientFor(Tokens.Admin);
        // Every event arrives within a few polls, in order per request (those the leaving host had on the wire once more).
        foreach (var id in ids) await WaitForDeliveriesAsync(stayingAdmin, id, 2, d => Is(d, "delivered"), "delivered by the other host", seconds: 30);
        foreach (var id in ids)
        {
            var delivered = receiver.Received.Where(r => r.Succeeded && r.RequestId == id).Select(r => r.Seq);
            Assert.Equal([1, 2], delivered);
        }
    }

    private static Task<long> LeasedAsync(string connectionString) =>
        CountAsync(connectionString, "SELECT count(*) FROM webhook_delivery WHERE status = 'pending' AND lease_owner IS NOT NULL");
}
