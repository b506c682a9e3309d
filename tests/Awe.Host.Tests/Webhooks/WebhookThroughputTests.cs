using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Webhooks;

/// <summary>A dispatcher that polls only once an hour (after its round at start-up) and sends five at a time.</summary>
public sealed class SlowPollFixture : PostgresAppFixture
{
    protected override IReadOnlyDictionary<string, string?>? Settings => WebhookFixture.With(WebhookFixture.FastDispatcher,
        ("awe:webhook:poll_interval_seconds", "3600"), ("awe:webhook:batch_size", "5"));
}

/// <summary>
/// The dispatcher is not paced by its poll: a commit that adds deliveries wakes it, and a round keeps leasing batches
/// while deliveries are due. With an hourly poll, nothing below can be sent by a poll after the one at start-up.
/// </summary>
public sealed class WebhookThroughputTests(SlowPollFixture fx) : IClassFixture<SlowPollFixture>
{
    [Fact]
    public async Task A_new_event_is_sent_when_its_transaction_commits_not_at_the_next_poll()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(fx.Admin, "wake");
        var caller = fx.App.ClientFor(Tokens.Service(NewService("wake")));
        // The first may still be caught by the round at start-up; once it is delivered, that round is over and the
        // dispatcher sleeps until the next poll, an hour away.
        var first = await RequestAsync(caller, key, receiver.Url("/first"));
        await WaitForDeliveriesAsync(fx.Admin, Id(first), 2, d => Is(d, "delivered"), "the first request's events delivered", seconds: 60);

        var second = await RequestAsync(caller, key, receiver.Url("/second"));

        await WaitForDeliveriesAsync(fx.Admin, Id(second), 2, d => Is(d, "delivered"), "both events delivered before the next poll", seconds: 60);
    }

    [Fact]
    public async Task A_burst_larger_than_many_batches_drains_in_one_round_keeping_each_request_s_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(fx.Admin, "burst");
        var caller = fx.App.ClientFor(Tokens.Service(NewService("burst")));

        // 12 requests at once: 24 deliveries, batches of five; the commits' wake-ups coalesce into a few rounds.
        var created = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => RequestAsync(caller, key, receiver.Url($"/b{i}"))));

        foreach (var request in created)
            await WaitForDeliveriesAsync(fx.Admin, Id(request), 2, d => Is(d, "delivered"), "all delivered before the next poll", seconds: 60);
        foreach (var request in created)
            Assert.Equal([1, 2], receiver.Received.Where(r => r.RequestId == Id(request)).Select(r => r.Seq));
    }
}
