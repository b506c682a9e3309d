using System.Net;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Observability;

/// <summary>A burst of concurrent calls from one caller against awe.rate_limit on a host process.</summary>
public sealed class RateLimitRaceTests
{
    [Fact]
    public async Task Concurrent_calls_of_one_caller_get_exactly_the_permits_of_the_window()
    {
        // A window far longer than the burst: every call below falls into the same one.
        const int permits = 5;
        await using var db = await TestDatabase.CreateAsync();
        await using var host = await HostProcess.StartAsync(db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:rate_limit:enabled"] = "true",
            ["awe:rate_limit:permit_limit"] = permits.ToString(),
            ["awe:rate_limit:window_seconds"] = "600",
        });
        using var carol = host.ClientFor(Tokens.User("carol"));
        using var start = new SemaphoreSlim(0);
        var calls = Enumerable.Range(0, 24).Select(async _ =>
        {
            await start.WaitAsync();
            using var response = await carol.GetAsync("/v1/awe/requests?limit=1");
            return response.StatusCode;
        }).ToList();
        start.Release(calls.Count);
        var statuses = await Task.WhenAll(calls);

        Assert.Equal(permits, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(calls.Count - permits, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        // Refused calls were not queued: the 600 s window is still running and nothing more is let through.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await carol.GetAsync("/v1/awe/requests?limit=1")).StatusCode);
    }
}
