using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Observability;

/// <summary>
/// awe.logging.format: json on a host process: every line is one JSON object, and a line logged while a request runs
/// carries that request's trace id (the one its X-Trace-Id answer header names) and request id as scopes.
/// </summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task A_request_logs_json_lines_carrying_the_trace_id_its_answer_names()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var host = await HostProcess.StartAsync(db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:logging:format"] = "json",
            // The host's own "Request starting / finished" lines, so that every request logs something.
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        using var admin = host.ClientFor(Tokens.Admin);
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        using var message = new HttpRequestMessage(HttpMethod.Get, "/v1/awe/requests?limit=1");
        message.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await admin.SendAsync(message);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(trace, Assert.Single(response.Headers.GetValues("X-Trace-Id")));

        var lines = await Wait.UntilAsync(() => Task.FromResult(JsonLines(host.Output)),
            found => found.Any(l => Scope(l, "TraceId") == trace && Scope(l, "RequestPath") == "/v1/awe/requests"),
            $"a JSON log line of trace {trace}", describe: _ => host.Output);

        var line = lines.First(l => Scope(l, "TraceId") == trace);
        Assert.False(string.IsNullOrEmpty(Scope(line, "RequestId")));
        Assert.False(string.IsNullOrEmpty(Scope(line, "SpanId")));
        Assert.Equal("Microsoft.AspNetCore.Hosting.Diagnostics", line.GetProperty("Category").GetString());
        // Nothing the host printed is plain text: a log collector can parse every line.
        Assert.All(host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            l => Assert.True(l.StartsWith('{'), $"not a JSON line: {l}"));
    }

    private static List<JsonElement> JsonLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    /// <summary>A value from the line's scopes (an array of objects, one per scope).</summary>
    private static string? Scope(JsonElement line, string name) =>
        line.TryGetProperty("Scopes", out var scopes)
            ? scopes.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty(name, out _))
                .Select(s => s.GetProperty(name).ToString()).FirstOrDefault()
            : null;
}
