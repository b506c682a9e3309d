using System.Diagnostics;
using System.Text;
using Awe.Activities.Runtime;
using Awe.Host.Tests.Infrastructure;
using P = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Observability;

/// <summary>
/// awe.telemetry.otlp_endpoint on a host process: spans leave over OTLP (http/protobuf) to a local receiver standing in
/// for the collector, with the caller's trace id and the engine's span names; probes are not traced.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Spans_of_a_create_reach_the_collector_and_probes_are_left_out()
    {
        await using var collector = await WebhookReceiver.StartAsync();
        await using var db = await TestDatabase.CreateAsync();
        await using var host = await HostProcess.StartAsync(db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:telemetry:otlp_endpoint"] = collector.BaseUrl,
            ["awe:telemetry:otlp_protocol"] = "http",
            // The SDK's batch delay (5 s by default), shortened so the test waits less.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        using var admin = host.ClientFor(Tokens.Admin);
        var key = await P.CreateActiveAsync(admin, P.Policy("otlp.v1", P.Stage(1, "any-n", 1, P.User("alice"))));
        var trace = ActivityTraceId.CreateRandom();
        await P.RequestAsync(admin, key, headers: new Dictionary<string, string>
        {
            ["traceparent"] = $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01",
        });

        // In protobuf the trace id travels as its 16 bytes, span names and attributes as UTF-8 strings. Spans are sent as
        // they end (children first), possibly over several batches: wait for the whole tree.
        byte[][] expected =
        [
            Convert.FromHexString(trace.ToHexString()),
            Encoding.UTF8.GetBytes(EngineTelemetry.Spans.CreateRequest),
            Encoding.UTF8.GetBytes(EngineTelemetry.Spans.ActivateStage),
            Encoding.UTF8.GetBytes("INSERT INTO approval_request"), // a PostgreSQL command's span
            Encoding.UTF8.GetBytes("/v1/awe/requests"), // the HTTP server span
        ];
        var exported = await Wait.UntilAsync(() => Task.FromResult(collector.Received.Where(r => r.Path == "/v1/traces").ToList()),
            batches => expected.All(e => Contains(batches, e)), $"OTLP batches carrying the spans of trace {trace}",
            describe: batches => $"{batches.Count} batches, missing {string.Join(", ", expected.Where(e => !Contains(batches, e)).Select(Encoding.UTF8.GetString))}\n{host.Output}");
        Assert.Equal("application/x-protobuf", exported[0].Header("Content-Type"));
        // The start-up polled /health/ready many times: none of those became a span.
        Assert.False(Contains(exported, Encoding.UTF8.GetBytes("/v1/awe/health")), "a probe was traced");
    }

    private static bool Contains(IEnumerable<ReceivedWebhook> batches, byte[] needle) =>
        batches.Any(b => b.Body.AsSpan().IndexOf(needle) >= 0);
}
