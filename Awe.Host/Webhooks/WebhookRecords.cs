using Awe.Activities.Model;

namespace Awe.Host.Webhooks;

/// <summary>One journal event to deliver to a request's callback_url: the transactional outbox row.</summary>
public sealed class WebhookDelivery
{
    public string Id { get; set; } = Ids.New();
    public string EventId { get; set; } = "";
    public string RequestId { get; set; } = "";
    public string EventType { get; set; } = "";
    /// <summary>The event's seq within its request: deliveries of one request go out in this order.</summary>
    public int Seq { get; set; }
    public string Url { get; set; } = "";
    /// <summary>The exact JSON sent on every attempt (signatures are recomputed per attempt over these bytes).</summary>
    public string Body { get; set; } = "";
    public int Attempt { get; set; }
    public string Status { get; set; } = DeliveryStatus.Pending;
    public DateTime NextAttemptAt { get; set; }
    public DateTime? LastAttemptAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    /// <summary>Non-fatal remarks on the last attempt, e.g. sent unsigned because the caller has no secret.</summary>
    public string? Warning { get; set; }
    /// <summary>Replica working on this delivery and until when; an expired lease frees it for another replica.</summary>
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Exhausted = "exhausted";

    public static readonly IReadOnlyList<string> All = [Pending, Delivered, Exhausted];
}

/// <summary>A caller service's signing secret, stored encrypted (ASP.NET Data Protection); never stored or logged raw.</summary>
public sealed class CallbackSecret
{
    public string Id { get; set; } = Ids.New();
    public string CallerService { get; set; } = "";
    public string SecretEncrypted { get; set; } = "";
    public string Status { get; set; } = SecretStatus.Active;
    public DateTime? RotatedAt { get; set; }
    /// <summary>A rotated secret keeps signing, beside its successor, until this moment.</summary>
    public DateTime? GraceUntil { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class SecretStatus
{
    public const string Active = "active";
    public const string Rotated = "rotated";
    public const string Revoked = "revoked";
}
