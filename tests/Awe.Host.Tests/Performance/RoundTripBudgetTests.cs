using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Xunit.Abstractions;
using RoundTrip = Awe.Host.Tests.Infrastructure.PgWireTap.RoundTrip;

namespace Awe.Host.Tests.Performance;

// Inside the namespace, so it wins over the Awe.Host.Policies namespace.
using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// The SQL diet's budgets (issue 11): how many times one operation waits for PostgreSQL, counted on the wire between
/// the host process and the server while the operation runs over HTTP. A round trip costs the host CPU and the
/// request latency whatever it carries, so the hot paths are held to a number: a create to 3, a decision to 4. The
/// statements of each are printed (dotnet test --logger "console;verbosity=detailed") and documented in
/// docs/performance-notes.md.
/// </summary>
public sealed class RoundTripBudgetTests(TappedHostFixture fx, ITestOutputHelper output) : IClassFixture<TappedHostFixture>
{
    private const int CreateBudget = 3;
    private const int DecisionBudget = 4;

    private readonly HttpClient _admin = fx.Host.ClientFor(Tokens.Admin);

    [Fact]
    public async Task Creates_and_decisions_stay_within_their_round_trip_budgets()
    {
        var oneStage = await Policies.CreateActiveAsync(_admin, Policies.Policy("rt.one",
            Policies.Stage(1, "all", null, Policies.User("u-a"), Policies.User("u-b"), Policies.User("u-c"))));
        var twoStages = await Policies.CreateActiveAsync(_admin, Policies.Policy("rt.two",
            Policies.Stage(1, "any-n", 1, Policies.User("u-a"), Policies.User("u-b")), Policies.Stage(2, "all", null, Policies.User("u-d"))));
        // JIT, the definition cache and the pool's connections: none of that is the steady state being budgeted.
        for (var i = 0; i < 3; i++)
        {
            var warm = await Policies.RequestAsync(_admin, twoStages, artifactId: $"warm-{i}");
            await ApproveAsync(await TaskIdAsync(warm, "u-a"), "u-a");
            await ApproveAsync(await TaskIdAsync(warm, "u-d"), "u-d");
            await Policies.RequestAsync(_admin, oneStage, artifactId: $"warm-one-{i}");
        }

        var measured = new List<(string Operation, int Budget, IReadOnlyList<RoundTrip> Trips)>();
        async Task MeasureAsync(string operation, int budget, Func<int, Task> call) => measured.Add((operation, budget, await FewestAsync(call)));

        await MeasureAsync("create (one stage, three approvers)", CreateBudget,
            i => Policies.RequestAsync(_admin, oneStage, artifactId: $"c-{i}"));
        await MeasureAsync("create with an Idempotency-Key", CreateBudget,
            i => Policies.RequestAsync(_admin, oneStage, artifactId: $"k-{i}", headers: new Dictionary<string, string> { ["Idempotency-Key"] = $"rt-key-{i}" }));
        var open = await TasksAsync(await OpenAsync(oneStage, "open"), "u-a");
        await MeasureAsync("decision, the stage stays open", DecisionBudget, i => ApproveAsync(open[i], "u-a"));
        var handover = await OpenAsync(twoStages, "handover");
        var first = await TasksAsync(handover, "u-a");
        await MeasureAsync("decision closing stage 1 and opening stage 2", DecisionBudget, i => ApproveAsync(first[i], "u-a"));
        var last = await TasksAsync(handover, "u-d");
        await MeasureAsync("decision approving the request", DecisionBudget, i => ApproveAsync(last[i], "u-d"));

        // Someone is away: the delegation lookup can no longer be skipped and costs its round trip.
        (await _admin.PostJson("/v1/awe/delegations", new JsonObject
        {
            ["user_id"] = "u-away", ["delegate_to"] = "u-here",
            ["starts_at"] = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-ddTHH:mm:ssZ"), ["ends_at"] = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ"),
        })).Expect(HttpStatusCode.Created);
        await MeasureAsync("create, with a delegation active", CreateBudget, i => Policies.RequestAsync(_admin, oneStage, artifactId: $"cd-{i}"));
        var delegated = await TasksAsync(await OpenAsync(twoStages, "delegated"), "u-a");
        await MeasureAsync("decision opening a stage, with a delegation active", DecisionBudget, i => ApproveAsync(delegated[i], "u-a"));

        foreach (var (operation, budget, trips) in measured)
        {
            output.WriteLine($"{operation}: {trips.Count} round trip(s), {trips.Sum(t => t.Statements.Count)} statement(s) (budget {budget})");
            foreach (var trip in trips) output.WriteLine($"    {trip}");
        }
        Assert.All(measured, m => Assert.True(m.Trips.Count <= m.Budget,
            $"{m.Operation} waited for the database {m.Trips.Count} times, over its budget of {m.Budget}:\n  {string.Join("\n  ", m.Trips)}"));
        // Riding along with another statement, these cost no round trip of their own but still cost the server: none is sent.
        var statements = measured.SelectMany(m => m.Trips).SelectMany(t => t.Statements).ToList();
        Assert.DoesNotContain(statements, s => s.StartsWith("DISCARD", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(statements, s => s.Contains("SAVEPOINT", StringComparison.OrdinalIgnoreCase));
        // The cached workflow definition is never read again.
        Assert.DoesNotContain(statements, s => s.Contains("workflow_definition", StringComparison.Ordinal));
    }

    /// <summary>
    /// The call's round trips, from the run of <paramref name="runs"/> that had the fewest: a worker's poll can only add
    /// to a run, never take from it, so the fewest is the call's own count.
    /// </summary>
    private async Task<IReadOnlyList<RoundTrip>> FewestAsync(Func<int, Task> call, int runs = 3)
    {
        IReadOnlyList<RoundTrip>? fewest = null;
        for (var i = 0; i < runs; i++)
        {
            fx.Tap.Take();
            await call(i);
            var trips = fx.Tap.Take();
            if (fewest is null || trips.Count < fewest.Count) fewest = trips;
        }
        return fewest!;
    }

    private async Task<List<JsonNode>> OpenAsync(string key, string prefix)
    {
        var requests = new List<JsonNode>();
        for (var i = 0; i < 3; i++) requests.Add(await Policies.RequestAsync(_admin, key, artifactId: $"{prefix}-{i}"));
        return requests;
    }

    private async Task<List<string>> TasksAsync(List<JsonNode> requests, string assignee)
    {
        var ids = new List<string>();
        foreach (var request in requests) ids.Add(await TaskIdAsync(request, assignee));
        return ids;
    }

    /// <summary>The request's open task of <paramref name="assignee"/>.</summary>
    private async Task<string> TaskIdAsync(JsonNode created, string assignee)
    {
        var requestId = (string)created["request_id"]!;
        var tasks = (await _admin.GetJson($"/v1/awe/tasks?assignee={assignee}&request_id={requestId}&status=open")).Expect(HttpStatusCode.OK).Json;
        return (string)tasks["items"]![0]!["id"]!;
    }

    private async Task ApproveAsync(string taskId, string assignee) =>
        (await fx.Host.ClientFor(Tokens.User(assignee)).PostJson($"/v1/awe/tasks/{taskId}/decision", new JsonObject { ["action"] = "approve" }))
            .Expect(HttpStatusCode.Created);
}
