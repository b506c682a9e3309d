using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Awe.Host.Tests.Infrastructure;
using P = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Observability;

/// <summary>
/// /metrics of a host process of its own (the counters are per process): requests by status, decision latency, stage
/// duration, open tasks and the webhook outbox after real traffic over loopback HTTP on PostgreSQL.
/// </summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private HostProcess _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = await HostProcess.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:telemetry:gauge_refresh_seconds"] = "1",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task Traffic_shows_in_requests_by_status_decision_latency_stage_duration_open_tasks_and_outbox()
    {
        using var admin = _host.ClientFor(Tokens.Admin);
        using var scraper = new HttpClient { BaseAddress = new Uri(_host.ManagementUrl) };
        var key = await P.CreateActiveAsync(admin, P.Policy("metrics.v1", P.Stage(1, "any-n", 1, P.User("alice"), P.User("bob"))));
        var decided = await P.RequestAsync(admin, key, artifactId: "m-1");
        // Left open, with a callback nobody answers (a name that does not resolve): two open tasks and a pending delivery.
        var open = await admin.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = "m-2", ["context"] = new JsonObject(),
            ["callback_url"] = "https://callback.invalid/hook",
        });
        open.Expect(HttpStatusCode.Created);
        (await admin.GetJson("/v1/awe/requests/no-such-request")).Expect(HttpStatusCode.NotFound);
        using var alice = _host.ClientFor(Tokens.User("alice"));
        var taskId = decided["tasks"]!.AsArray().First(t => t!["assignee"]!.GetValue<string>() == "alice")!["id"]!.GetValue<string>();
        (await alice.PostJson($"/v1/awe/tasks/{taskId}/decision", new JsonObject { ["action"] = "approve" })).Expect(HttpStatusCode.Created);

        var text = await Wait.UntilAsync(() => scraper.GetStringAsync("/metrics"),
            t => Samples(t, "awe_tasks_open", "status=\"open\"") is [2] && Samples(t, "awe_webhook_deliveries", "status=\"pending\"") is [>= 1],
            "the database gauges to show the open request's two tasks and its pending delivery", describe: t => Lines(t, "awe_"));

        // Requests by status and route: the three creates (201), the unknown request (404), the decision (201).
        Assert.Equal(2, Value(text, "http_requests_received_total", "code=\"201\"", "method=\"POST\"", "endpoint=\"/v1/awe/requests/\""));
        Assert.Equal(1, Value(text, "http_requests_received_total", "code=\"404\"", "endpoint=\"/v1/awe/requests/{id}\""));
        Assert.Equal(1, Value(text, "awe_operation_duration_seconds_count", "operation=\"decision\""));
        Assert.Equal(2, Value(text, "awe_operation_duration_seconds_count", "operation=\"create\""));
        Assert.Equal(1, Value(text, "awe_stage_duration_seconds_count", "outcome=\"approved\""));
        // The decided request's other task was closed by the quorum: only the open request's tasks are open.
        Assert.Equal(0, Value(text, "awe_tasks_open", "status=\"claimed\""));
        Assert.True(Value(text, "awe_webhook_oldest_pending_age_seconds") >= 0);
        Assert.Equal(1, Value(text, "awe_webhook_backlog_up"));
        Assert.Equal(0, Value(text, "awe_notifications_pending"));
    }

    /// <summary>The value of the one sample of this metric whose labels include all of these (e.g. code="201").</summary>
    private static double Value(string text, string metric, params string[] labels) =>
        Samples(text, metric, labels) is [var value]
            ? value
            : throw new Xunit.Sdk.XunitException($"expected one sample of {metric} with {string.Join(", ", labels)}:\n{Lines(text, metric)}");

    private static List<double> Samples(string text, string metric, params string[] labels) =>
        text.Split('\n').Select(l => Sample().Match(l)).Where(m => m.Success && m.Groups[1].Value == metric)
            .Where(m => labels.All(label => m.Groups[2].Value.Contains(label)))
            .Select(m => double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)).ToList();

    private static string Lines(string text, string prefix) =>
        string.Join('\n', text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal) || l.StartsWith("http_requests_received_total", StringComparison.Ordinal)));

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")]
    private static partial Regex Sample();
}
