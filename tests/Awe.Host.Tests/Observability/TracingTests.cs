using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Activities.Runtime;
using Awe.Host.Tests.Infrastructure;
using P = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Observability;

/// <summary>
/// The spans one call produces, caught in this process by an ActivityListener (what the OpenTelemetry SDK listens to
/// when awe.telemetry.otlp_endpoint is set): the host on Kestrel over loopback HTTP on PostgreSQL, the caller's
/// traceparent followed, and HTTP → engine → PostgreSQL command nested in one trace.
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private AweApp _app = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _app = new AweApp(_db.ConnectionString);
        _app.UseKestrel(0);
        _app.StartServer();
        _admin = _app.ClientFor(Tokens.Admin);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task A_create_and_a_decision_each_make_one_trace_from_http_through_the_engine_to_database_commands()
    {
        // Kestrel on a loopback port, not the in-memory test server (whose address is http://localhost/).
        Assert.False(_admin.BaseAddress!.IsDefaultPort, $"not a real port: {_admin.BaseAddress}");
        var key = await P.CreateActiveAsync(_admin, P.Policy("trace.v1", P.Stage(1, "any-n", 1, P.User("alice"))));
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Microsoft.AspNetCore" or EngineTelemetry.SourceName or "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var (createTrace, createCaller) = NewTraceParent();
        var created = await P.RequestAsync(_admin, key, headers: new Dictionary<string, string> { ["traceparent"] = createCaller });
        var create = await TreeAsync(spans, createTrace, createCaller, EngineTelemetry.Spans.CreateRequest);
        Assert.Equal(created["request_id"]!.GetValue<string>(), create.Engine.GetTagItem("awe.request_id"));
        // The stage opened inside the create, and the rows were written under it.
        var stage = Assert.Single(create.All, s => s.OperationName == EngineTelemetry.Spans.ActivateStage);
        Assert.Equal(create.Engine.SpanId, stage.ParentSpanId);
        Assert.Contains(create.Commands, c => Statement(c).Contains("INSERT INTO approval_task", StringComparison.OrdinalIgnoreCase));

        var taskId = created["tasks"]![0]!["id"]!.GetValue<string>();
        var (decideTrace, decideCaller) = NewTraceParent();
        using var alice = _app.ClientFor(Tokens.User("alice"));
        using var message = new HttpRequestMessage(HttpMethod.Post, $"/v1/awe/tasks/{taskId}/decision")
        {
            Content = new StringContent("""{"action":"approve"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        message.Headers.Add("traceparent", decideCaller);
        using var response = await alice.SendAsync(message);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // Every answer names its trace: the caller can quote it, and it is the trace the spans below belong to.
        Assert.Equal(decideTrace.ToHexString(), Assert.Single(response.Headers.GetValues("X-Trace-Id")));
        var decide = await TreeAsync(spans, decideTrace, decideCaller, EngineTelemetry.Spans.Decide);
        Assert.Equal(taskId, decide.Engine.GetTagItem("awe.task_id"));
        Assert.Contains(decide.Commands, c => Statement(c).Contains("INSERT INTO approval_decision", StringComparison.OrdinalIgnoreCase));
    }

    private sealed record Tree(Activity Http, Activity Engine, IReadOnlyList<Activity> Commands, IReadOnlyList<Activity> All);

    /// <summary>Waits for the HTTP span of the trace (it stops last), then checks the chain caller → HTTP → engine → commands.</summary>
    private static async Task<Tree> TreeAsync(ConcurrentQueue<Activity> spans, ActivityTraceId trace, string callerParent, string engineSpan)
    {
        var all = await Wait.UntilAsync(() => Task.FromResult(spans.Where(s => s.TraceId == trace).ToList()),
            found => found.Any(s => s.Source.Name == "Microsoft.AspNetCore"), $"the HTTP span of trace {trace}",
            describe: found => string.Join(", ", found.Select(s => $"{s.Source.Name}/{s.OperationName}")));
        var http = Assert.Single(all, s => s.Source.Name == "Microsoft.AspNetCore");
        Assert.Equal(callerParent.Split('-')[2], http.ParentSpanId.ToHexString());
        var engine = Assert.Single(all, s => s.OperationName == engineSpan);
        Assert.Equal(http.SpanId, engine.ParentSpanId);
        var commands = all.Where(s => s.Source.Name == "Npgsql" && s.ParentSpanId == engine.SpanId).ToList();
        Assert.NotEmpty(commands);
        return new Tree(http, engine, commands, all);
    }

    private static string Statement(Activity command) =>
        (command.GetTagItem("db.query.text") ?? command.GetTagItem("db.statement"))?.ToString() ?? command.DisplayName;

    private static (ActivityTraceId Trace, string Header) NewTraceParent()
    {
        var trace = ActivityTraceId.CreateRandom();
        return (trace, $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
    }
}
