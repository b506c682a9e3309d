namespace Awe.Activities.Model;

public static class PolicyStatus
{
    public const string Draft = "draft";
    public const string Active = "active";
    public const string Archived = "archived";
}

public static class RequestStatus
{
    public const string Pending = "pending";
    public const string InReview = "in_review";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";

    public static readonly IReadOnlyList<string> All = [Pending, InReview, Approved, Rejected, Cancelled, Expired];

    public static bool IsTerminal(string status) => status is Approved or Rejected or Cancelled or Expired;
}

public static class TaskStatus
{
    public const string Open = "open";
    public const string Claimed = "claimed";
    public const string Completed = "completed";
    public const string Skipped = "skipped";
    public const string Expired = "expired";
    public const string Reassigned = "reassigned";

    public static bool IsLive(string status) => status is Open or Claimed;
}

public static class TaskKind
{
    public const string Approver = "approver";
    public const string Observer = "observer";
}

public static class DecisionAction
{
    public const string Approve = "approve";
    public const string Reject = "reject";
    public const string Abstain = "abstain";

    public static readonly IReadOnlyList<string> All = [Approve, Reject, Abstain];
}

public static class EventType
{
    public const string RequestCreated = "request_created";
    public const string StageStarted = "stage_started";
    public const string StageCompleted = "stage_completed";
    public const string StageSkipped = "stage_skipped";
    public const string StageQuorumSkipped = "stage_quorum_skipped";
    public const string RequestApproved = "request_approved";
    public const string RequestRejected = "request_rejected";
    public const string RequestCancelled = "request_cancelled";
    public const string TaskDecided = "task_decided";
    public const string TaskExpired = "task_expired";
    public const string TaskReassigned = "task_reassigned";
    public const string TasksWithdrawn = "tasks_withdrawn";
    public const string StageResolutionFailed = "stage_resolution_failed";
    public const string SlaBreached = "sla_breached";
    public const string StageEscalated = "stage_escalated";
    public const string TaskReminder = "task_reminder";
    public const string RequestExpired = "request_expired";
    public const string TimerFailed = "timer_failed";
}
