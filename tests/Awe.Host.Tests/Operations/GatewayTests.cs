using System.Net;
using System.Text.RegularExpressions;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Operations;

/// <summary>
/// The host behind a TLS gateway, as a real process on loopback: forwarded scheme and host, metrics on the
/// management port only, the webhook backlog as gauges, and exhaustion as a warning naming every id.
/// </summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static async Task<string> ServerUrlAsync(HostProcess host, bool forwarded)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var message = new HttpRequestMessage(HttpMethod.Get, "/v1/awe/openapi.json");
        if (forwarded)
        {
            message.Headers.Add("X-Forwarded-Proto", "https");
            message.Headers.Add("X-Forwarded-Host", "awe.example.org");
        }
        using var response = await client.SendAsync(message);
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (string)doc["servers"]![0]!["url"]!;
    }

    [Fact]
    public async Task Forwarded_scheme_and_host_from_a_trusted_proxy_make_the_openapi_server_url_https()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString);

        Assert.Equal("https://awe.example.org", (await ServerUrlAsync(host, forwarded: true)).TrimEnd('/'));
        Assert.Equal(host.BaseUrl, (await ServerUrlAsync(host, forwarded: false)).TrimEnd('/'));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_untrusted_address_are_ignored()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:server:trusted_proxies:0"] = "10.0.0.0/8",
            ["awe:server:trusted_proxies:1"] = "fd00::/8",
        });

        Assert.Equal(host.BaseUrl, (await ServerUrlAsync(host, forwarded: true)).TrimEnd('/'));
    }

    [Fact]
    public async Task Metrics_are_served_on_the_management_port_only()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString);
        using var api = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var management = new HttpClient { BaseAddress = new Uri(host.ManagementUrl) };

        var metrics = await management.GetStringAsync("/metrics");
        Assert.Contains("awe_webhook_deliveries{status=\"pending\"} 0", metrics);
        Assert.Contains("awe_webhook_backlog_up 1", metrics);
        foreach (var path in new[] { "/metrics", "/v1/awe/metrics" })
        {
            using var response = await api.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        // The API is not served on the management port either.
        using var live = await management.GetAsync("/v1/awe/health/live");
        Assert.Equal(HttpStatusCode.NotFound, live.StatusCode);
    }

    [Fact]
    public async Task An_exhausted_delivery_shows_in_the_backlog_gauges_and_is_logged_as_a_warning_with_its_ids()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:outbound:allow_private_networks"] = "true",
            ["awe:webhook:poll_interval_seconds"] = "1",
            ["awe:webhook:max_attempts"] = "1",
            ["awe:webhook:timeout_seconds"] = "2",
        });
        using var admin = host.ClientFor(Tokens.Admin);
        using var management = new HttpClient { BaseAddress = new Uri(host.ManagementUrl) };
        var key = await PolicyAsync(admin, "gauges");
        // Nothing listens on the gate's port: every attempt is refused.
        await using var nowhere = new TcpGate("127.0.0.1", 1);
        var created = await RequestAsync(host.ClientFor(Tokens.Service(NewService("gauges"))), key, $"http://127.0.0.1:{nowhere.Port}/hook");
        var requestId = Id(created);

        var deliveries = await WaitForDeliveriesAsync(admin, requestId, 2, d => Is(d, "exhausted"), "both first events exhausted");
        var metrics = await management.GetStringAsync("/metrics");
        Assert.Matches(new Regex("awe_webhook_deliveries\\{status=\"exhausted\"\\} 2\\b"), metrics);
        Assert.Contains("awe_webhook_deliveries{status=\"pending\"} 0", metrics);
        Assert.Contains("awe_webhook_oldest_pending_age_seconds 0", metrics);

        foreach (var d in deliveries)
        {
            var line = host.Output.Split('\n').SingleOrDefault(l => l.Contains($"Delivery {(string)d["id"]!} exhausted after 1 attempts"));
            Assert.True(line is not null, host.Output);
            Assert.Contains("warn", line);
            Assert.Contains($"request {requestId}", line);
            Assert.Contains($"event {(string)d["event_id"]!}", line);
        }
    }

    [Fact]
    public async Task A_pending_delivery_reports_its_age()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:outbound:allow_private_networks"] = "true",
            ["awe:webhook:poll_interval_seconds"] = "1",
            ["awe:webhook:max_attempts"] = "2",
            ["awe:webhook:backoff_seconds:0"] = "3600",
            ["awe:webhook:timeout_seconds"] = "2",
        });
        using var admin = host.ClientFor(Tokens.Admin);
        using var management = new HttpClient { BaseAddress = new Uri(host.ManagementUrl) };
        var key = await PolicyAsync(admin, "age");
        await using var nowhere = new TcpGate("127.0.0.1", 1);
        var requestId = Id(await RequestAsync(host.ClientFor(Tokens.Service(NewService("age"))), key, $"http://127.0.0.1:{nowhere.Port}/hook"));
        // Deliveries of one request go in order: the first waits an hour for its retry, the second behind it.
        await Wait.UntilAsync(() => DeliveriesAsync(admin, requestId), ds => ds.Any(d => (int)d["attempt"]! == 1),
            "the first attempt made, its retry an hour away");

        var metrics = await Wait.UntilAsync(() => management.GetStringAsync("/metrics"),
            m => Regex.Match(m, "awe_webhook_oldest_pending_age_seconds ([0-9.eE+-]+)") is { Success: true } g && double.Parse(g.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
            "a positive oldest-pending age");
        Assert.Contains("awe_webhook_deliveries{status=\"pending\"} 2", metrics);
    }
}
