using System.Text.Json.Nodes;

namespace Awe.Studio.ApiClient;

// The public API's shapes as the client reads them (snake_case on the wire). Free-form JSON (contexts, rule values,
// payloads, definitions) stays JsonNode: the client does not reinterpret what it does not own.

public sealed record RuleOut(string Id, string RuleType, JsonNode? RuleValue, string Kind, bool Required);

public sealed record StageOut(
    string Id, string Name, int StageOrder, string Mode, int? ModeValue, int? SlaHours, JsonNode? SkipIf, string OnEmpty,
    int? ParallelGroup, string? OnBreach, IReadOnlyList<RuleOut> EscalationRules, IReadOnlyList<RuleOut> Rules,
    string? Sla = null, string? RemindEvery = null, string? Calendar = null);

public sealed record PolicyOut(
    string Id, string PolicyKey, int Version, string Name, string? Description, string Status, string ArtifactType,
    bool ForbidSelfApproval, bool ForbidRepeatApprovers, string? CreatedBy, DateTime CreatedAt, DateTime UpdatedAt,
    IReadOnlyList<StageOut> Stages, string? RequestTtl = null, string? Calendar = null);

public sealed record PolicyVersionOut(string Id, string PolicyKey, int Version, string Status, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record SimulatedExclusion(string UserId, string Reason);

public sealed record SimulatedDelegation(string From, string To);

public sealed record SimulatedStage(
    int StageOrder, string Name, string Mode, int? ModeValue, int? ParallelGroup, IReadOnlyList<string> ResolvedApprovers,
    IReadOnlyList<string> Observers, IReadOnlyList<string> RequiredApprovers, IReadOnlyList<SimulatedDelegation> Delegations,
    IReadOnlyList<SimulatedExclusion> Excluded, bool Skipped, string? SkipReason, string? Outcome);

public sealed record SimulateOut(string PolicyId, int PolicyVersion, string? Outcome, IReadOnlyList<SimulatedStage> Stages);

public sealed record RequestOut(
    string Id, string PolicyId, string PolicyKey, int PolicyVersion, string ArtifactType, string ArtifactId, string SourceService,
    string? Requester, JsonNode? Context, string Status, int CurrentStageOrder, string? CallbackUrl, DateTime? CompletedAt,
    DateTime CreatedAt, DateTime UpdatedAt);

public sealed record TaskOut(
    string Id, string RequestId, string StageId, int StageOrder, string Assignee, string? AssigneeName, string Kind,
    bool Required, string? DelegatedFrom, string? ReassignedFrom, string Status, DateTime? ClaimedAt, DateTime? CompletedAt,
    DateTime? DueAt, string? DecisionId, string? DecisionAction, string? DecisionComment, DateTime CreatedAt, DateTime UpdatedAt,
    JsonNode? Context, string? ArtifactType, string? ArtifactId, string? PolicyKey);

/// <summary>A page of GET /tasks; <see cref="TotalCapped"/> when more tasks match than the API counts (Total stops there).</summary>
public sealed record TaskPage(IReadOnlyList<TaskOut> Items, int Total, int Page, int PageSize, int Pages, bool TotalCapped = false);

public sealed record CreateRequestOut(string RequestId, string Status, int CurrentStageOrder, IReadOnlyList<TaskOut> Tasks);

public sealed record DecisionOut(string Id, string RequestId, string TaskId, int StageOrder, string Actor, string Action, string? Comment,
    DateTime CreatedAt, string RequestStatus, int CurrentStageOrder);

public sealed record EventOut(string Id, string RequestId, int Seq, string EventType, JsonNode? Payload, DateTime CreatedAt);

public sealed record NodeOut(string Id, string Type, string Label, int? StageOrder, string State);

public sealed record BookmarkOut(string NodeId, string Kind, string? TaskId, string? Assignee, DateTime? DueAt);

public sealed record InstanceOut(
    string RequestId, string DefinitionId, string PolicyId, string PolicyKey, int PolicyVersion, string Status,
    int CurrentStageOrder, IReadOnlyList<NodeOut> Nodes, IReadOnlyList<BookmarkOut> Bookmarks, JsonNode? Definition);

public sealed record DeliveryOut(string Id, string EventId, string RequestId, string EventType, int Seq, string Url, string Status,
    int Attempt, DateTime NextAttemptAt, DateTime? LastAttemptAt, int? LastStatusCode, string? LastError, string? Warning,
    DateTime CreatedAt, DateTime UpdatedAt);

public sealed record BulkRetryOut(int Retried, IReadOnlyList<string> DeliveryIds);

/// <summary>Filters of <c>GET /requests</c>; null leaves a filter out.</summary>
public sealed record RequestFilter(string? Status = null, string? PolicyKey = null, string? ArtifactType = null, string? ArtifactId = null,
    string? SourceService = null, int Limit = 50, int Offset = 0);

/// <summary>Filters of <c>GET /tasks</c>; <see cref="Assignee"/> "me" is the caller.</summary>
public sealed record TaskFilter(string Assignee = "me", string? Status = null, string? RequestId = null, string? ArtifactType = null,
    string? PolicyKey = null, string? SearchText = null, int Page = 1, int PageSize = 25);

/// <summary>Filters of <c>GET /admin/deliveries</c>.</summary>
public sealed record DeliveryFilter(string? Status = null, string? RequestId = null, string? EventType = null, int Limit = 100, int Offset = 0);

public static class TaskActions
{
    public const string Approve = "approve";
    public const string Reject = "reject";
    public const string Abstain = "abstain";
}
