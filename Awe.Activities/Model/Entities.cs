using System.Text.Json.Nodes;

namespace Awe.Activities.Model;

// Plain classes shared by the runtime and the persistence layer (Awe.Host maps them with EF Core).
// Table and column names follow the reference schema because the operational runbook queries them.

public sealed class ApprovalPolicy
{
    public string Id { get; set; } = Ids.New();
    public string PolicyKey { get; set; } = "";
    public int Version { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public string Status { get; set; } = PolicyStatus.Draft;
    public string ArtifactType { get; set; } = "";
    public string? CreatedBy { get; set; }
    public bool ForbidSelfApproval { get; set; }
    public bool ForbidRepeatApprovers { get; set; }
    /// <summary>Default lifetime of its requests (ISO-8601 duration); a request may set its own expiry.</summary>
    public string? RequestTtl { get; set; }
    /// <summary>Business calendar (awe.calendars) its stage deadlines count in, unless a stage names its own.</summary>
    public string? Calendar { get; set; }
    /// <summary>The compiled workflow definition (JSON), written once at first activation and never changed.</summary>
    public string? WorkflowDefinition { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public List<ApprovalStage> Stages { get; set; } = [];
}

public sealed class ApprovalStage
{
    public string Id { get; set; } = Ids.New();
    public string PolicyId { get; set; } = "";
    public int StageOrder { get; set; }
    public string Name { get; set; } = "";
    public string Mode { get; set; } = "all";
    public int? ModeValue { get; set; }
    public int? SlaHours { get; set; }
    /// <summary>The deadline as an ISO-8601 duration (PT30M, P2D); set instead of sla_hours, never beside it.</summary>
    public string? Sla { get; set; }
    /// <summary>Reminders to open assignees every this long (ISO-8601 duration) until they decide.</summary>
    public string? RemindEvery { get; set; }
    public string? Calendar { get; set; }
    public int? ParallelGroup { get; set; }
    public JsonNode? SkipIf { get; set; }
    public string OnEmpty { get; set; } = "block";
    public string? OnBreach { get; set; }
    /// <summary>Escalation rules live as JSON on the stage, as in the reference (escalation_rules_json).</summary>
    public JsonNode? EscalationRulesJson { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public List<ApproverRule> Rules { get; set; } = [];
}

public sealed class ApproverRule
{
    public string Id { get; set; } = Ids.New();
    public string StageId { get; set; } = "";
    public string RuleType { get; set; } = "";
    public JsonNode RuleValue { get; set; } = new JsonObject();
    public string Kind { get; set; } = TaskKind.Approver;
    public bool Required { get; set; }
    /// <summary>Keeps the author's rule order stable (resolution unions rules in order).</summary>
    public int Position { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class ApprovalRequest
{
    public string Id { get; set; } = Ids.New();
    public string PolicyId { get; set; } = "";
    public string PolicyKey { get; set; } = "";
    public int PolicyVersion { get; set; }
    public string ArtifactType { get; set; } = "";
    public string ArtifactId { get; set; } = "";
    public string SourceService { get; set; } = "";
    public string? Requester { get; set; }
    public JsonNode Context { get; set; } = new JsonObject();
    public string Status { get; set; } = RequestStatus.Pending;
    public int CurrentStageOrder { get; set; } = 1;
    public string? CallbackUrl { get; set; }
    public string? CallbackSecretId { get; set; }
    public DateTime? CompletedAt { get; set; }
    /// <summary>When the request expires if still open (expires_at / expires_in / the policy's request_ttl).</summary>
    public DateTime? ExpiresAt { get; set; }
    /// <summary>Workflow instance state (node states and bookmarks) as JSON; see <c>Runtime.InstanceState</c>.</summary>
    public string WorkflowState { get; set; } = "{}";
    /// <summary>When the earliest failed stage resolution is retried (null when none waits); indexed for the retry worker.</summary>
    public DateTime? ResolutionRetryAt { get; set; }
    /// <summary>What the task inbox searches (artifact, policy, flattened context): kept once here, not on each task.</summary>
    public string? SearchText { get; set; }
    /// <summary>Sequence number of the last journal event; orders events written in one transaction.</summary>
    public int LastEventSeq { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public List<ApprovalTask> Tasks { get; set; } = [];
    public List<ApprovalDecision> Decisions { get; set; } = [];
}

public sealed class ApprovalTask
{
    public string Id { get; set; } = Ids.New();
    public string RequestId { get; set; } = "";
    public string StageId { get; set; } = "";
    public int StageOrder { get; set; }
    public string Assignee { get; set; } = "";
    public string? AssigneeName { get; set; }
    public string Kind { get; set; } = TaskKind.Approver;
    public string? DelegatedFrom { get; set; }
    public string? ReassignedFrom { get; set; }
    /// <summary>The originally required user this task stands for (kept across delegation and reassignment).</summary>
    public string? RequiredSlot { get; set; }
    public string Status { get; set; } = TaskStatus.Open;
    public DateTime? ClaimedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime? DueAt { get; set; }
    public string? DecisionId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class ApprovalDecision
{
    public string Id { get; set; } = Ids.New();
    public string RequestId { get; set; } = "";
    public string TaskId { get; set; } = "";
    public int StageOrder { get; set; }
    public string Actor { get; set; } = "";
    public string Action { get; set; } = "";
    public string? Comment { get; set; }
    public string? AttachmentsRef { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class ApprovalEvent
{
    public string Id { get; set; } = Ids.New();
    public string RequestId { get; set; } = "";
    public int Seq { get; set; }
    public string EventType { get; set; } = "";
    public JsonNode Payload { get; set; } = new JsonObject();
    public DateTime CreatedAt { get; set; }
}

public sealed class UserDelegation
{
    public string Id { get; set; } = Ids.New();
    public string UserId { get; set; } = "";
    public string DelegateTo { get; set; } = "";
    public DateTime StartsAt { get; set; }
    public DateTime EndsAt { get; set; }
    public string? Reason { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
