// Measures the engine's hot paths in-process and prints their numbers:
//   dotnet run -c Release --project tests/Awe.Benchmarks
// Each benchmark warms up, then runs for a fixed number of iterations and reports throughput and the mean
// time per operation. Nothing here touches a database or the network: these are the costs the engine adds.
// The durable timers are measured separately, against the real host on PostgreSQL (see TimerBenchmark.cs):
//   dotnet run -c Release --project tests/Awe.Benchmarks -- timers "Host=127.0.0.1;Username=postgres;Database=postgres"
// The end-to-end benchmark (own PostgreSQL, the host over HTTP, pgbench on the same SQL, the inbox at 10k and 1M tasks,
// a stage of 5,000 tasks; writes docs/performance.md):
//   scripts/bench.sh [--quick]     (= dotnet run -c Release --project tests/Awe.Benchmarks -- e2e [--quick])
using System.Diagnostics;
using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Quorum;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;

if (args is ["e2e", ..])
{
    Environment.ExitCode = await Awe.Benchmarks.EndToEnd.EndToEndBenchmark.RunAsync(args[1..]);
    return;
}

if (args is ["timers", var adminConnection, ..])
{
    await Awe.Benchmarks.TimerBenchmark.RunAsync(adminConnection);
    return;
}

var rule = JsonNode.Parse("""{"or": [{"<": [{"var": "amount"}, 1000]}, {"in": [{"var": "district"}, ["d1", "d2", "d3"]]}]}""");
var context = JsonNode.Parse("""{"amount": 2500, "district": "d7", "household": {"size": 5}}""");
Measure("JSONLogic skip_if evaluation", 200_000, () => JsonLogicEvaluator.Apply(rule, context));

var votes = Enumerable.Range(0, 25).Select(i => new Vote($"t{i}", $"u{i}", i < 12 ? VoteStatus.Approved : VoteStatus.Open)).ToList();
Measure("Quorum verdict, 25 approvers (percentage 60)", 500_000, () => QuorumEvaluator.Evaluate(QuorumMode.Percentage, 60, votes));

var (definition, policy) = Compile("""
    {"policy_key": "bench", "name": "Bench", "artifact_type": "doc",
     "stages": [
       {"name": "Officers", "stage_order": 1, "mode": "any-n", "mode_value": 2, "rules": [{"rule_type": "expression", "rule_value": {"logic": {"var": "officers"}}}]},
       {"name": "Finance", "stage_order": 2, "mode": "all", "parallel_group": 2, "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-fin"}}]},
       {"name": "Audit", "stage_order": 3, "mode": "all", "parallel_group": 2, "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-audit"}}]}]}
    """);
var runner = new ApprovalRunner(new RuleResolver(new UnconfiguredDirectoryResolver()), new NoDelegations(), TimeProvider.System);
var officers = new JsonObject { ["officers"] = new JsonArray("u-o1", "u-o2", "u-o3", "u-o4", "u-o5") };
await MeasureAsync("Request lifecycle in memory (create, 2+2 approvals, 3 stages)", 20_000, async () =>
{
    var instance = new ApprovalInstance(NewRequest(policy, officers), definition);
    await runner.StartAsync(instance, "svc", CancellationToken.None);
    foreach (var assignee in new[] { "u-o1", "u-o2", "u-fin", "u-audit" })
    {
        var task = instance.Request.Tasks.First(t => t.Assignee == assignee && Awe.Activities.Model.TaskStatus.IsLive(t.Status));
        await runner.DecideAsync(instance, task.Id, DecisionAction.Approve, assignee, null, null, CancellationToken.None);
    }
    if (instance.Request.Status != RequestStatus.Approved) throw new InvalidOperationException("benchmark flow did not approve");
});

var crowd = new JsonObject { ["officers"] = new JsonArray(Enumerable.Range(0, 5000).Select(i => (JsonNode)$"u-{i}").ToArray()) };
await MeasureAsync("Stage start with 5,000 resolved approvers", 50, async () =>
{
    var instance = new ApprovalInstance(NewRequest(policy, crowd), definition);
    await runner.StartAsync(instance, "svc", CancellationToken.None);
});

Measure("Workflow compilation of a 3-stage policy", 50_000, () => WorkflowCompiler.Compile(policy, DateTime.UtcNow));

static (WorkflowDefinition, ApprovalPolicy) Compile(string json)
{
    var (input, problems) = PolicyReader.Read(JsonNode.Parse(json));
    if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
    var policy = new ApprovalPolicy { PolicyKey = input!.PolicyKey, Version = 1 };
    PolicyMapping.Apply(policy, input, DateTime.UtcNow);
    return (WorkflowCompiler.Compile(policy, DateTime.UtcNow), policy);
}

static ApprovalRequest NewRequest(ApprovalPolicy policy, JsonObject context) => new()
{
    PolicyId = policy.Id, PolicyKey = policy.PolicyKey, PolicyVersion = 1, ArtifactType = "doc", ArtifactId = "a-1",
    SourceService = "svc", Requester = "u-requester", Context = context.DeepClone(),
};

static void Measure(string name, int iterations, Action action) =>
    MeasureAsync(name, iterations, () => { action(); return Task.CompletedTask; }).GetAwaiter().GetResult();

static async Task MeasureAsync(string name, int iterations, Func<Task> action)
{
    for (var i = 0; i < Math.Max(1, iterations / 10); i++) await action(); // warm-up: JIT and caches
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++) await action();
    watch.Stop();
    var perOp = watch.Elapsed.TotalMilliseconds * 1000 / iterations;
    Console.WriteLine($"{name,-62} {iterations / watch.Elapsed.TotalSeconds,12:N0} ops/s {perOp,12:N2} µs/op");
}

sealed class NoDelegations : IDelegationLookup
{
    public Task<IReadOnlyDictionary<string, string>> ActiveDelegatesAsync(IReadOnlyCollection<string> userIds, DateTime at, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
}
