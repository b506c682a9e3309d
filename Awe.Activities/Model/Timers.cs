namespace Awe.Activities.Model;

/// <summary>
/// A durable timer of a workflow instance (approval_timer): written in the transaction that arms it, made moot
/// (cancelled) in the transaction that closes what it watched, fired once by whichever replica's scheduler claims
/// it when due.
/// </summary>
public sealed class ApprovalTimer
{
    public string Id { get; set; } = Ids.New();
    public string RequestId { get; set; } = "";
    /// <summary>The workflow node it belongs to: a stage node ("stage-2") or "request" for request expiry.</summary>
    public string NodeId { get; set; } = "";
    public int? StageOrder { get; set; }
    /// <summary>The task it watches, when it watches one task (none of today's kinds does; kept for per-task timers).</summary>
    public string? TaskId { get; set; }
    public string Kind { get; set; } = "";
    public DateTime DueAt { get; set; }
    public string State { get; set; } = TimerState.Pending;
    /// <summary>Replica that claimed it, and until when; a replica that dies loses its claim when this passes.</summary>
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime? FiredAt { get; set; }
    /// <summary>Firings that threw; each pushes lease_until out by the next backoff, and the last one marks it failed.</summary>
    public int Attempts { get; set; }
    /// <summary>What the last failed firing threw.</summary>
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class TimerKind
{
    /// <summary>A stage's deadline (the earliest due_at of its live approver tasks).</summary>
    public const string SlaBreach = "sla_breach";
    /// <summary>The next reminder to a stage's open assignees (remind_every).</summary>
    public const string Reminder = "reminder";
    /// <summary>The request's expires_at.</summary>
    public const string RequestExpiry = "request_expiry";
}

public static class TimerState
{
    public const string Pending = "pending";
    public const string Fired = "fired";
    /// <summary>Made moot before it fell due: the stage closed, the request ended, the deadline moved.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>Its firing threw sla.fire_max_attempts times; left for an operator (see docs/runbook.md).</summary>
    public const string Failed = "failed";
}
