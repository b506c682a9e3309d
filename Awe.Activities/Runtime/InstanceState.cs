using System.Text.Json;

namespace Awe.Activities.Runtime;

/// <summary>State of one workflow instance: where each node stands and what the instance waits for.</summary>
public sealed class InstanceState
{
    public string DefinitionId { get; set; } = "";
    /// <summary>
    /// Who created the request (the caller's user id, canonical). Segregation of duties excludes them as it does
    /// the requester: a person must not get their own request approved by naming someone else as requester.
    /// </summary>
    public string? CreatedBy { get; set; }
    public Dictionary<string, string> Nodes { get; set; } = [];
    public List<Bookmark> Bookmarks { get; set; } = [];
    /// <summary>Stages whose approvers could not be resolved when a decision started them; retried with backoff.</summary>
    public Dictionary<string, ResolutionRetry> ResolutionRetries { get; set; } = [];
    /// <summary>When each active stage with remind_every sends its next reminder.</summary>
    public Dictionary<string, DateTime> NextReminders { get; set; } = [];
    /// <summary>How many times each stage has been escalated on breach (bounded by sla.max_escalations).</summary>
    public Dictionary<string, int> Escalations { get; set; } = [];

    public string NodeState(string nodeId) => Nodes.GetValueOrDefault(nodeId, NodeStates.Pending);

    public string ToJson() => JsonSerializer.Serialize(this, WorkflowDefinition.JsonOptions);

    public static InstanceState FromJson(string json) =>
        string.IsNullOrWhiteSpace(json) || json == "{}"
            ? new InstanceState()
            : JsonSerializer.Deserialize<InstanceState>(json, WorkflowDefinition.JsonOptions) ?? new InstanceState();
}

public static class NodeStates
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Done = "done";
    public const string Skipped = "skipped";
    public const string Rejected = "rejected";
}

public sealed record ResolutionRetry(int Attempt, DateTime NextAttemptAt, string Reason);

/// <summary>A suspended activity: a stage waiting for a task decision, or for its SLA deadline.</summary>
public sealed record Bookmark(string NodeId, string Kind, string? TaskId = null, string? Assignee = null, DateTime? DueAt = null);

public static class BookmarkKind
{
    public const string TaskDecision = "task_decision";
    public const string SlaDeadline = "sla_deadline";
    public const string ResolutionRetry = "resolution_retry";
}
