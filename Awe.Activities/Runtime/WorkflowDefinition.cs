using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Awe.Activities.Runtime;

/// <summary>
/// The immutable flowchart a policy version compiles into at activation. Requests run it; the API serves it.
/// Nodes: one <c>start</c>, per stage group a <c>stage_group</c> fork, an <c>approval_stage</c> per stage and a
/// <c>join</c>, and the two <c>outcome</c> nodes. Connections carry the outcome label that follows them.
/// </summary>
public sealed record WorkflowDefinition(
    string DefinitionId,
    string PolicyId,
    string PolicyKey,
    int PolicyVersion,
    bool ForbidSelfApproval,
    bool ForbidRepeatApprovers,
    DateTime CompiledAt,
    IReadOnlyList<WorkflowNode> Nodes,
    IReadOnlyList<WorkflowConnection> Connections,
    string? RequestTtl = null,
    string? Calendar = null)
{
    public const string StartNodeId = "start";
    public const string ApprovedNodeId = "approved";
    public const string RejectedNodeId = "rejected";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public WorkflowNode Node(string id) =>
        Nodes.FirstOrDefault(n => n.Id == id) ?? throw new InvalidOperationException($"workflow {DefinitionId} has no node '{id}'");

    public IEnumerable<WorkflowNode> Targets(string from, string outcome) =>
        Connections.Where(c => c.From == from && c.Outcome == outcome).Select(c => Node(c.To));

    public IEnumerable<WorkflowNode> Sources(string to) =>
        Connections.Where(c => c.To == to).Select(c => Node(c.From)).Distinct();

    // A view over Nodes, not data: without JsonIgnore every stored definition (and the API's copy) would repeat
    // all stage nodes under "stage_nodes".
    [JsonIgnore]
    public IEnumerable<WorkflowNode> StageNodes => Nodes.Where(n => n.Type == NodeType.ApprovalStage);

    public WorkflowNode StageNode(int stageOrder) =>
        StageNodes.FirstOrDefault(n => n.Stage!.StageOrder == stageOrder)
        ?? throw new InvalidOperationException($"workflow {DefinitionId} has no stage {stageOrder}");

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public JsonNode ToJsonNode() => JsonSerializer.SerializeToNode(this, JsonOptions)!;

    public static WorkflowDefinition FromJson(string json) =>
        JsonSerializer.Deserialize<WorkflowDefinition>(json, JsonOptions)
        ?? throw new InvalidOperationException("empty workflow definition");
}

public static class NodeType
{
    public const string Start = "start";
    public const string StageGroup = "stage_group";
    public const string ApprovalStage = "approval_stage";
    public const string Join = "join";
    public const string Outcome = "outcome";
}

public static class ConnectionOutcome
{
    public const string Done = "done";
    public const string Start = "start";
    public const string Approved = "approved";
    public const string Skipped = "skipped";
    public const string Rejected = "rejected";
}

public sealed record WorkflowNode(string Id, string Type, string Label, StageSpec? Stage = null, IReadOnlyList<int>? StageOrders = null);

public sealed record WorkflowConnection(string From, string To, string Outcome);

/// <summary>Everything the runtime needs to run one stage, copied from the policy version at compile time.</summary>
public sealed record StageSpec(
    string StageId,
    int StageOrder,
    string Name,
    string Mode,
    int? ModeValue,
    int? SlaHours,
    JsonNode? SkipIf,
    string OnEmpty,
    int? ParallelGroup,
    string? OnBreach,
    IReadOnlyList<RuleSpec> Rules,
    IReadOnlyList<RuleSpec> EscalationRules,
    string? Sla = null,
    string? RemindEvery = null,
    string? Calendar = null)
{
    /// <summary>The stage's deadline span: <c>sla</c> or <c>sla_hours</c> (a policy sets at most one), or none.</summary>
    [JsonIgnore]
    public TimeSpan? SlaDuration => Sla is not null ? Deadlines.IsoDuration.Parse(Sla) : SlaHours is { } h ? TimeSpan.FromHours(h) : null;

    [JsonIgnore]
    public TimeSpan? ReminderInterval => RemindEvery is null ? null : Deadlines.IsoDuration.Parse(RemindEvery);
}

public sealed record RuleSpec(string RuleId, string RuleType, JsonObject RuleValue, string Kind, bool Required);
