using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Host.Requests;

public sealed record RequestOut(
    string Id, string PolicyId, string PolicyKey, int PolicyVersion, string ArtifactType, string ArtifactId, string SourceService,
    string? Requester, JsonNode Context, string Status, int CurrentStageOrder, string? CallbackUrl, DateTime? CompletedAt,
    DateTime CreatedAt, DateTime UpdatedAt, DateTime? ExpiresAt)
{
    /// <summary>What the request waits for in time (deadlines, reminders, expiry); only on GET /requests/{id}.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<TimerOut>? PendingTimers { get; init; }

    public static RequestOut From(ApprovalRequest r) => new(r.Id, r.PolicyId, r.PolicyKey, r.PolicyVersion, r.ArtifactType,
        r.ArtifactId, r.SourceService, r.Requester, r.Context, r.Status, r.CurrentStageOrder, r.CallbackUrl, r.CompletedAt,
        r.CreatedAt, r.UpdatedAt, r.ExpiresAt);
}

/// <summary>A timer the request waits on (state pending), or one whose firing failed and waits on an operator (state failed).</summary>
public sealed record TimerOut(string Id, string Kind, string NodeId, int? StageOrder, DateTime DueAt, string State, int Attempts, string? LastError)
{
    public static TimerOut From(ApprovalTimer t) => new(t.Id, t.Kind, t.NodeId, t.StageOrder, t.DueAt, t.State, t.Attempts, t.LastError);
}

public sealed record TaskOut(
    string Id, string RequestId, string StageId, int StageOrder, string Assignee, string? AssigneeName, string Kind,
    bool Required, string? DelegatedFrom, string? ReassignedFrom, string Status, DateTime? ClaimedAt, DateTime? CompletedAt,
    DateTime? DueAt, string? DecisionId, string? DecisionAction, string? DecisionComment, DateTime CreatedAt, DateTime UpdatedAt,
    JsonNode? Context, string? ArtifactType, string? ArtifactId, string? PolicyKey, string? SearchText)
{
    /// <param name="withContext">False where the caller just sent the context (the create answer): repeating it, or
    /// the search text derived from it, on each of thousands of tasks would multiply the answer's size.</param>
    public static TaskOut From(ApprovalTask t, ApprovalRequest? request, ApprovalDecision? decision, bool withContext = true) => new(
        t.Id, t.RequestId, t.StageId, t.StageOrder, t.Assignee, t.AssigneeName, t.Kind, t.RequiredSlot is not null,
        t.DelegatedFrom, t.ReassignedFrom, t.Status, t.ClaimedAt, t.CompletedAt, t.DueAt, t.DecisionId, decision?.Action,
        decision?.Comment, t.CreatedAt, t.UpdatedAt, withContext ? request?.Context : null, request?.ArtifactType, request?.ArtifactId,
        request?.PolicyKey, withContext ? request?.SearchText : null);
}

/// <param name="Tasks">The live tasks the request opened, in the order the stage planned them, at most <see cref="MaxTasks"/>.</param>
/// <param name="TasksTotal">How many live tasks it opened; more than the list holds when a stage is huge.</param>
/// <param name="TasksUrl">Where to page through all of them (the task list of this request).</param>
public sealed record CreateRequestOut(string RequestId, string Status, int CurrentStageOrder, IReadOnlyList<TaskOut> Tasks,
    int TasksTotal, string TasksUrl)
{
    /// <summary>
    /// Most tasks the create answer carries. A stage of 5,000 approvers would otherwise answer with every task in
    /// full (megabytes the caller rarely reads, stored again for idempotent replays); the rest are one link away.
    /// </summary>
    public const int MaxTasks = 100;

    public static CreateRequestOut From(ApprovalRequest request)
    {
        var live = request.Tasks.Where(t => Activities.Model.TaskStatus.IsLive(t.Status)).ToList();
        return new CreateRequestOut(request.Id, request.Status, request.CurrentStageOrder,
            live.Take(MaxTasks).Select(t => TaskOut.From(t, request, null, withContext: false)).ToList(), live.Count,
            $"/v1/awe/tasks?request_id={Uri.EscapeDataString(request.Id)}&assignee=*&status=open");
    }
}

public sealed record EventOut(string Id, string RequestId, int Seq, string EventType, JsonNode Payload, DateTime CreatedAt)
{
    public static EventOut From(ApprovalEvent e) => new(e.Id, e.RequestId, e.Seq, e.EventType, e.Payload, e.CreatedAt);
}

public sealed record NodeOut(string Id, string Type, string Label, int? StageOrder, string State);

public sealed record InstanceOut(
    string RequestId, string DefinitionId, string PolicyId, string PolicyKey, int PolicyVersion, string Status,
    int CurrentStageOrder, IReadOnlyList<NodeOut> Nodes, IReadOnlyList<Activities.Runtime.Bookmark> Bookmarks, JsonNode Definition);
