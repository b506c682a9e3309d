using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Tests.Runtime;

// In-memory stand-ins for what the host provides (clock, directory, delegation table), policy builders and a
// small harness that runs the engine the way the host does: one fresh ApprovalInstance per change, loaded from
// the request's persisted workflow state.

/// <summary>A clock that only moves when a test moves it.</summary>
public sealed class FakeClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>
/// Resolves <c>user</c> rules literally, <c>expression</c> rules with the real JSONLogic resolution, and any other
/// rule by looking up "type:value" (e.g. "role:finance") in <see cref="Directory"/>; unknown keys resolve to nobody.
/// </summary>
public sealed class DictionaryResolver : IApproverResolver
{
    public Dictionary<string, string[]> Directory { get; } = new();
    public List<string> Calls { get; } = [];

    public static string KeyOf(RuleSpec rule) => rule.RuleType switch
    {
        "user" => $"user:{(string?)rule.RuleValue["user_id"]}",
        "role" => $"role:{(string?)rule.RuleValue["role"]}",
        "group" => $"group:{(string?)rule.RuleValue["group"]}",
        _ => rule.RuleType,
    };

    public Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct)
    {
        var key = KeyOf(rule);
        Calls.Add(key);
        IReadOnlyList<string> users = rule.RuleType switch
        {
            "user" => [(string)rule.RuleValue["user_id"]!],
            "expression" => RuleResolver.ResolveExpression(rule, input.Context),
            _ => Directory.TryGetValue(key, out var found) ? found : [],
        };
        return Task.FromResult(users);
    }
}

/// <summary>Delegates to <paramref name="inner"/> but fails, like an unreachable directory, for the rule keys listed.</summary>
public sealed class FailingResolver(IApproverResolver inner, params string[] failingKeys) : IApproverResolver
{
    public Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct) =>
        failingKeys.Contains(DictionaryResolver.KeyOf(rule))
            ? throw new ApproverResolutionException($"directory unreachable while resolving {DictionaryResolver.KeyOf(rule)}")
            : inner.ResolveAsync(rule, input, ct);
}

/// <summary>Active delegations as a plain map user → delegate; records the instants it was asked about.</summary>
public sealed class DictionaryDelegations : IDelegationLookup
{
    public Dictionary<string, string> Active { get; } = new();
    public List<DateTime> QueriedAt { get; } = [];

    public Task<IReadOnlyDictionary<string, string>> ActiveDelegatesAsync(IReadOnlyCollection<string> userIds, DateTime at, CancellationToken ct)
    {
        QueriedAt.Add(at);
        IReadOnlyDictionary<string, string> found = Active.Where(kv => userIds.Contains(kv.Key)).ToDictionary();
        return Task.FromResult(found);
    }
}

public static class Build
{
    public static ApprovalPolicy Policy(params ApprovalStage[] stages)
    {
        var policy = new ApprovalPolicy
        {
            PolicyKey = "loan-approval", Version = 3, Name = "Loan approval", ArtifactType = "loan", Status = PolicyStatus.Active,
            Stages = stages.ToList(),
        };
        foreach (var s in stages) s.PolicyId = policy.Id;
        return policy;
    }

    public static ApprovalStage Stage(int order, params ApproverRule[] rules)
    {
        var stage = new ApprovalStage { StageOrder = order, Name = $"Stage {order}", Rules = rules.ToList() };
        for (var i = 0; i < rules.Length; i++)
        {
            rules[i].Position = i;
            rules[i].StageId = stage.Id;
        }
        return stage;
    }

    public static ApproverRule User(string userId, bool required = false) =>
        new() { RuleType = "user", RuleValue = new JsonObject { ["user_id"] = userId }, Required = required };

    public static ApproverRule Observer(string userId) =>
        new() { RuleType = "user", RuleValue = new JsonObject { ["user_id"] = userId }, Kind = TaskKind.Observer };

    public static ApproverRule Role(string role, bool required = false) =>
        new() { RuleType = "role", RuleValue = new JsonObject { ["role"] = role }, Required = required };

    public static ApproverRule Expression(string logicJson) =>
        new() { RuleType = "expression", RuleValue = new JsonObject { ["logic"] = JsonNode.Parse(logicJson) } };

    public static ApprovalStage Mode(this ApprovalStage s, string mode, int? value = null)
    {
        s.Mode = mode;
        s.ModeValue = value;
        return s;
    }

    public static ApprovalStage Group(this ApprovalStage s, int? group)
    {
        s.ParallelGroup = group;
        return s;
    }

    public static ApprovalStage Sla(this ApprovalStage s, int hours)
    {
        s.SlaHours = hours;
        return s;
    }

    public static ApprovalStage SkipIf(this ApprovalStage s, string logicJson)
    {
        s.SkipIf = JsonNode.Parse(logicJson);
        return s;
    }

    public static ApprovalStage OnEmpty(this ApprovalStage s, string onEmpty)
    {
        s.OnEmpty = onEmpty;
        return s;
    }

    public static ApprovalPolicy ForbidSelf(this ApprovalPolicy p)
    {
        p.ForbidSelfApproval = true;
        return p;
    }

    public static ApprovalPolicy ForbidRepeat(this ApprovalPolicy p)
    {
        p.ForbidRepeatApprovers = true;
        return p;
    }
}

/// <summary>
/// Runs requests through <see cref="ApprovalRunner"/> as the host does: every change gets a fresh
/// <see cref="ApprovalInstance"/> over the request, with the definition and workflow state read back from JSON,
/// and the runner's New* lists are collected into a journal as the host would persist them.
/// </summary>
public sealed class Engine
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    public FakeClock Clock { get; } = new(T0);
    public DictionaryResolver Resolver { get; } = new();
    public DictionaryDelegations Delegations { get; } = new();
    /// <summary>When set, used instead of <see cref="Resolver"/>.</summary>
    public IApproverResolver? ResolverOverride { get; set; }

    public List<ApprovalEvent> Journal { get; } = [];

    /// <summary>When set, the runner's settings (limits, retry backoff); else the defaults.</summary>
    public RunnerSettings? Settings { get; set; }

    public ApprovalRunner Runner => new(ResolverOverride ?? Resolver, Delegations, Clock, Settings);

    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    public ApprovalInstance NewInstance(ApprovalPolicy policy, JsonObject? context = null, string? requester = "u-requester")
    {
        var definition = WorkflowCompiler.Compile(policy, Now);
        var request = new ApprovalRequest
        {
            PolicyId = policy.Id, PolicyKey = policy.PolicyKey, PolicyVersion = policy.Version, ArtifactType = policy.ArtifactType,
            ArtifactId = "L-1001", SourceService = "svc-loans", Requester = requester, Context = context ?? new JsonObject(),
            CreatedAt = Now, UpdatedAt = Now,
        };
        return new ApprovalInstance(request, WorkflowDefinition.FromJson(definition.ToJson()));
    }

    public async Task<ApprovalInstance> StartAsync(ApprovalPolicy policy, JsonObject? context = null, string? requester = "u-requester",
        string createdBy = "svc-loans")
    {
        var instance = NewInstance(policy, context, requester);
        await Runner.StartAsync(instance, createdBy, CancellationToken.None);
        Journal.AddRange(instance.NewEvents);
        return instance;
    }

    /// <summary>A fresh instance over the same request, as the host loads it for the next change.</summary>
    public static ApprovalInstance Reload(ApprovalInstance instance) =>
        new(instance.Request, WorkflowDefinition.FromJson(instance.Definition.ToJson()));

    public async Task<ApprovalInstance> DecideAsync(ApprovalInstance previous, string assignee, string action, string? actor = null,
        int? stageOrder = null)
    {
        var instance = Reload(previous);
        var task = LiveTask(instance, assignee, stageOrder);
        await Runner.DecideAsync(instance, task.Id, action, actor ?? assignee, comment: $"{action} by {actor ?? assignee}", null, CancellationToken.None);
        Journal.AddRange(instance.NewEvents);
        return instance;
    }

    public async Task<ApprovalInstance> ReassignAsync(ApprovalInstance previous, string assignee, string newAssignee, int? stageOrder = null)
    {
        var instance = Reload(previous);
        await Runner.ReassignAsync(instance, LiveTask(instance, assignee, stageOrder).Id, newAssignee, "u-admin", "out sick", CancellationToken.None);
        Journal.AddRange(instance.NewEvents);
        return instance;
    }

    public async Task<ApprovalInstance> CancelAsync(ApprovalInstance previous)
    {
        var instance = Reload(previous);
        await Runner.CancelAsync(instance, "u-admin", "withdrawn", CancellationToken.None);
        Journal.AddRange(instance.NewEvents);
        return instance;
    }

    public static ApprovalTask LiveTask(ApprovalInstance instance, string assignee, int? stageOrder = null) =>
        instance.Request.Tasks.Single(t => t.Assignee == assignee && TaskStatus.IsLive(t.Status)
                                           && (stageOrder is null || t.StageOrder == stageOrder));
}

public static class Show
{
    public static string[] Types(IEnumerable<ApprovalEvent> events) => events.Select(e => e.EventType).ToArray();

    /// <summary>Node states in a stable order, e.g. "start=done group-1=done stage-1=active".</summary>
    public static string Nodes(ApprovalInstance instance) =>
        string.Join(" ", instance.Definition.Nodes.Where(n => instance.State.Nodes.ContainsKey(n.Id))
            .Select(n => $"{n.Id}={instance.State.Nodes[n.Id]}"));

    /// <summary>Tasks as "stage:assignee:kind:status" in creation order.</summary>
    public static string[] Tasks(ApprovalInstance instance) =>
        instance.Request.Tasks.Select(t => $"{t.StageOrder}:{t.Assignee}:{t.Kind}:{t.Status}").ToArray();

    public static string[] Strings(JsonNode? array) => array!.AsArray().Select(x => (string)x!).ToArray();

    public static ApprovalEvent Single(IEnumerable<ApprovalEvent> events, string type) => events.Single(e => e.EventType == type);

    /// <summary>Everything the host would persist about a request, to prove a refused change touched nothing.</summary>
    public static string Snapshot(ApprovalInstance instance) =>
        JsonSerializer.Serialize(instance.Request) + instance.State.ToJson()
        + $"|{instance.NewTasks.Count}|{instance.NewDecisions.Count}|{instance.NewEvents.Count}";

    /// <summary>The journal is numbered 1..n without gaps, and the request remembers n.</summary>
    public static void AssertGapless(IReadOnlyList<ApprovalEvent> journal, ApprovalRequest request)
    {
        Assert.Equal(Enumerable.Range(1, journal.Count), journal.Select(e => e.Seq));
        Assert.Equal(journal.Count, request.LastEventSeq);
        Assert.All(journal, e => Assert.Equal(request.Id, e.RequestId));
    }
}
