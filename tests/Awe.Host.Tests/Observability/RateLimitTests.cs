using System.Net;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Observability;

/// <summary>
/// awe.rate_limit on a real host process over loopback HTTP: a caller over its budget gets 429 AWE-020 with
/// Retry-After in the envelope, other callers and the probes do not notice, and the caller is served again once the
/// window has passed.
/// </summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private const int Permits = 3;
    private const int WindowSeconds = 2;
    private TestDatabase _db = null!;
    private HostProcess _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = await HostProcess.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:rate_limit:enabled"] = "true",
            ["awe:rate_limit:permit_limit"] = Permits.ToString(),
            ["awe:rate_limit:window_seconds"] = WindowSeconds.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task A_caller_over_its_budget_gets_429_with_retry_after_while_others_are_served_until_the_window_passes()
    {
        using var alice = _host.ClientFor(Tokens.User("alice"));
        using var bob = _host.ClientFor(Tokens.User("bob"));

        // The window may turn over between two calls (it is short): then the budget is full again and the burst
        // simply goes on until a call is refused, which it must be within one window's permits plus one.
        HttpResponseMessage? refused = null;
        for (var i = 0; i < Permits * 2 + 1 && refused is null; i++)
        {
            var response = await alice.GetAsync("/v1/awe/requests?limit=1");
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
            else Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.NotNull(refused);
        var retryAfter = int.Parse(Assert.Single(refused!.Headers.GetValues("Retry-After")));
        Assert.InRange(retryAfter, 1, WindowSeconds);
        Assert.Single(refused.Headers.GetValues("X-Trace-Id"));
        var raw = await refused.Content.ReadAsStringAsync();
        var body = new Reply(refused.StatusCode, System.Text.Json.Nodes.JsonNode.Parse(raw), raw);
        var message = EnvelopeAssert.ErrorMessage(body, HttpStatusCode.TooManyRequests, "AWE-020");
        Assert.Contains("awe.rate_limit", message);

        // Another caller has a budget of its own, and probes are never limited.
        (await bob.GetJson("/v1/awe/requests?limit=1")).Expect(HttpStatusCode.OK);
        for (var i = 0; i < Permits + 1; i++)
            Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/v1/awe/health/live")).StatusCode);

        // Refused calls spend nothing: the caller is served again as soon as its window has passed.
        await Wait.UntilAsync(() => alice.GetJson("/v1/awe/requests?limit=1"), r => r.Status == HttpStatusCode.OK,
            "alice served again after the window", seconds: WindowSeconds + 10, describe: r => $"{(int)r.Status} {r.Raw}");
    }

    [Fact]
    public async Task Calls_without_a_valid_token_are_limited_per_client_ip_and_metrics_stay_reachable()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_host.BaseUrl) };
        using var forged = _host.ClientFor("not-a-token");
        Reply? refused = null;
        for (var i = 0; i < Permits * 2 + 1 && refused is null; i++)
        {
            // Both spend the budget of 127.0.0.1: a flood of bad tokens is limited like one without any.
            var reply = await (i % 2 == 0 ? anonymous : forged).GetJson("/v1/awe/requests");
            if (reply.Status == HttpStatusCode.TooManyRequests) refused = reply;
            else reply.Expect(HttpStatusCode.Unauthorized);
        }
        Assert.NotNull(refused);
        EnvelopeAssert.Error(refused!, HttpStatusCode.TooManyRequests, "AWE-020");

        using var scraper = new HttpClient { BaseAddress = new Uri(_host.ManagementUrl) };
        for (var i = 0; i < Permits + 1; i++)
            Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/v1/awe/health/ready")).StatusCode);
    }
}
