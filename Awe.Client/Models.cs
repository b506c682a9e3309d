using System.Text.Json.Nodes;

namespace Awe.Client;

// Answers of the API (snake_case on the wire). Policies travel as JSON documents (JsonObject) so that a file in
// the API's schema goes to the server unchanged; everything else is typed.

/// <summary>One version of a policy as the server stores it.</summary>
public sealed record Policy(string Id, string PolicyKey, int Version, string Name, string? Description, string Status, string ArtifactType,
    bool ForbidSelfApproval, bool ForbidRepeatApprovers, string? CreatedBy, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyList<PolicyStage> Stages);

public sealed record PolicyStage(string Id, string Name, int StageOrder, string Mode, int? ModeValue, int? SlaHours, JsonNode? SkipIf,
    string OnEmpty, int? ParallelGroup, string? OnBreach, IReadOnlyList<PolicyRule> EscalationRules, IReadOnlyList<PolicyRule> Rules);

public sealed record PolicyRule(string Id, string RuleType, JsonObject RuleValue, string Kind, bool Required);

public sealed record PolicyVersion(string Id, string PolicyKey, int Version, string Status, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Body of POST /requests.</summary>
public sealed record NewRequest(string PolicyKey, string ArtifactType, string ArtifactId, JsonObject? Context = null,
    string? CallbackUrl = null, string? CallbackSecretId = null, string? Requester = null);

/// <summary>Answer of POST /requests: the new request and the tasks its first stages opened.</summary>
/// <param name="RequestId">The request's id.</param>
/// <param name="Status">Its status right after creation.</param>
/// <param name="CurrentStageOrder">The stage order it has reached.</param>
/// <param name="Tasks">The first live tasks (at most 100).</param>
/// <param name="TasksTotal">How many live tasks the request opened.</param>
/// <param name="TasksUrl">The task list that holds them all.</param>
public sealed record CreatedRequest(string RequestId, string Status, int CurrentStageOrder, IReadOnlyList<ApprovalTask> Tasks,
    int TasksTotal = 0, string? TasksUrl = null);

public sealed record ApprovalRequest(string Id, string PolicyId, string PolicyKey, int PolicyVersion, string ArtifactType, string ArtifactId,
    string SourceService, string? Requester, JsonNode? Context, string Status, int CurrentStageOrder, string? CallbackUrl,
    DateTime? CompletedAt, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record RequestEvent(string Id, string RequestId, int Seq, string EventType, JsonNode? Payload, DateTime CreatedAt);

public sealed record CancelRequest(string? Reason = null);

public sealed record ApprovalTask(string Id, string RequestId, string StageId, int StageOrder, string Assignee, string? AssigneeName, string Kind,
    bool Required, string? DelegatedFrom, string? ReassignedFrom, string Status, DateTime? ClaimedAt, DateTime? CompletedAt, DateTime? DueAt,
    string? DecisionId, string? DecisionAction, string? DecisionComment, DateTime CreatedAt, DateTime UpdatedAt, JsonNode? Context,
    string? ArtifactType, string? ArtifactId, string? PolicyKey);

/// <summary>One page of GET /tasks.</summary>
/// <param name="Items">The tasks of this page, newest first.</param>
/// <param name="Total">How many tasks match (at most 10,000; see <paramref name="TotalCapped"/>).</param>
/// <param name="Page">This page's number, from 1.</param>
/// <param name="PageSize">Tasks per page.</param>
/// <param name="Pages">How many pages <paramref name="Total"/> makes.</param>
/// <param name="TotalCapped">True when more than 10,000 tasks match: Total and Pages then stop there.</param>
public sealed record TaskPage(IReadOnlyList<ApprovalTask> Items, int Total, int Page, int PageSize, int Pages, bool TotalCapped = false);

/// <summary>Body of POST /tasks/{id}/decision; action is approve, reject or abstain.</summary>
public sealed record NewDecision(string Action, string? Comment = null, string? AttachmentsRef = null);

public sealed record Decision(string Id, string RequestId, string TaskId, int StageOrder, string Actor, string Action, string? Comment,
    string? AttachmentsRef, DateTime CreatedAt, string RequestStatus, int CurrentStageOrder);

public sealed record Simulation(string PolicyId, int PolicyVersion, string? Outcome, IReadOnlyList<SimulatedStage> Stages);

public sealed record SimulatedStage(int StageOrder, string Name, string Mode, int? ModeValue, int? ParallelGroup, IReadOnlyList<string> ResolvedApprovers,
    IReadOnlyList<string> Observers, IReadOnlyList<string> RequiredApprovers, bool Skipped, string? SkipReason, string? Outcome);

public sealed record SimulationInput(JsonObject? Context = null, string? Requester = null);

public sealed record Delivery(string Id, string EventId, string RequestId, string EventType, int Seq, string Url, string Status, int Attempt,
    DateTime NextAttemptAt, DateTime? LastAttemptAt, int? LastStatusCode, string? LastError, string? Warning, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Body of POST /admin/deliveries/retry: which exhausted deliveries to send again.</summary>
public sealed record DeliveryRetryFilter(string? RequestId = null, string? EventType = null, string? Since = null, int? Limit = null);

public sealed record DeliveryRetryResult(int Retried, IReadOnlyList<string> DeliveryIds);
