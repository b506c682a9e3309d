using Awe.Activities.Model;

namespace Awe.Host.Notifications;

/// <summary>
/// One e-mail in the notification outbox, written in the transaction of the event it tells of. Its id is the
/// mail's Message-ID, so a mail re-sent after a crash is recognisable as the same one.
/// </summary>
public sealed class Notification
{
    public string Id { get; set; } = Ids.New();
    public string RequestId { get; set; } = "";
    public string EventId { get; set; } = "";
    public string Kind { get; set; } = "";
    /// <summary>The user id it is for (an assignee, an escalation target, the requester).</summary>
    public string Recipient { get; set; } = "";
    public string? TaskId { get; set; }
    /// <summary>The address it was sent to (resolved at send time).</summary>
    public string? Address { get; set; }
    public string Status { get; set; } = NotificationStatus.Pending;
    public int Attempt { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public string? LastError { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime? SentAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class NotificationStatus
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    /// <summary>Not sendable: the recipient has no known e-mail address (last_error says why).</summary>
    public const string Skipped = "skipped";
    /// <summary>Every attempt failed (SMTP refused or unreachable); an operator may retry it.</summary>
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Pending, Sent, Skipped, Failed];
}
