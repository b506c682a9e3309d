using System.Text.Json.Nodes;
using Awe.Activities.Policies;
using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Webhooks;

public sealed record DeliveryOut(string Id, string EventId, string RequestId, string EventType, int Seq, string Url, string Status,
    int Attempt, DateTime NextAttemptAt, DateTime? LastAttemptAt, int? LastStatusCode, string? LastError, string? Warning,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    public static DeliveryOut From(WebhookDelivery d) => new(d.Id, d.EventId, d.RequestId, d.EventType, d.Seq, d.Url, d.Status,
        d.Attempt, d.NextAttemptAt, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.Warning, d.CreatedAt, d.UpdatedAt);
}

public sealed record BulkRetryOut(int Retried, IReadOnlyList<string> DeliveryIds);

public static class DeliveryEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/admin/deliveries").WithTags("Webhook deliveries");

        g.MapGet("", async (AweDbContext db, string? status, string? request_id, string? event_type, string? since, int? limit, int? offset,
                CancellationToken ct) =>
            {
                var take = Query.Limit(limit, 100, 500);
                if (offset is < 0) throw AweException.Invalid($"must be ≥ 0 (got {offset})", "offset");
                if (status is not null && !DeliveryStatus.All.Contains(status))
                    throw AweException.Invalid($"must be one of {string.Join(", ", DeliveryStatus.All)} (got '{status}')", "status");
                var q = Filter(db.WebhookDeliveries.AsNoTracking(), status, request_id, event_type, Query.Time(since, "since"));
                var rows = await q.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Seq).Skip(offset ?? 0).Take(take).ToListAsync(ct);
                return rows.Select(DeliveryOut.From);
            })
            .RequireAccess(Access.Viewer).WithSummary("Webhook deliveries, newest first");

        g.MapPost("/{id}/retry", async (string id, HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct) =>
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // Row lock: a dispatcher's claim (FOR UPDATE SKIP LOCKED) cannot take the delivery while we decide.
                await db.LockRowAsync("webhook_delivery", id, ct);
                var delivery = await db.WebhookDeliveries.FirstOrDefaultAsync(d => d.Id == id, ct)
                               ?? throw AweException.NotFound(ErrorCodes.AdminResourceNotFound, $"delivery '{id}' does not exist");
                if (delivery.Status == DeliveryStatus.Delivered)
                    throw AweException.Conflict(ErrorCodes.WrongState, $"delivery {id} was already delivered; nothing to retry");
                var now = clock.GetUtcNow().UtcDateTime;
                // Clearing the lease of an attempt still on the wire would let a dispatcher send the same delivery again
                // beside it; that attempt ends (answer or timeout) and is recorded before the lease runs out.
                if (delivery.Status == DeliveryStatus.Pending && delivery.LeaseUntil is { } leasedUntil && leasedUntil > now)
                    throw AweException.Conflict(ErrorCodes.WrongState,
                        $"delivery {id} is being sent right now by replica {delivery.LeaseOwner} (claimed until {leasedUntil:O}); retry it after that if it is not delivered by then");
                var before = new { delivery.Status, delivery.Attempt, delivery.LastStatusCode, delivery.LastError };
                Reset(delivery, now);
                db.DeliveriesDue = true;
                audit.Record(ctx.Caller(), "delivery.retry", "delivery", id, before: before, after: new { delivery.Status, delivery.Attempt },
                    metadata: new { request_id = delivery.RequestId, event_type = delivery.EventType }, summary: $"retry of delivery {id}");
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return DeliveryOut.From(delivery);
            })
            .RequireAccess(Access.Admin).WithSummary("Send a pending or exhausted delivery again now (attempts start over); refused while an attempt is on the wire");

        g.MapPost("/retry", async (HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct) =>
            {
                var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
                var problems = new List<ValidationProblem>();
                var r = new JsonFieldReader(problems);
                r.RejectUnknown(body, "", ["request_id", "event_type", "since", "limit"]);
                var requestId = r.String(body, "", "request_id", required: false, maxLength: 36);
                var eventType = r.String(body, "", "event_type", required: false, maxLength: 32);
                var sinceText = r.String(body, "", "since", required: false, maxLength: 64);
                var limit = r.Int(body, "", "limit", required: false, min: 1, max: 10_000) ?? 1000;
                if (problems.Count > 0) throw AweException.Invalid(problems);

                var q = Filter(db.WebhookDeliveries, DeliveryStatus.Exhausted, requestId, eventType, Query.Time(sinceText, "since"));
                var rows = await q.OrderBy(d => d.CreatedAt).Take(limit).ToListAsync(ct);
                var now = clock.GetUtcNow().UtcDateTime;
                foreach (var d in rows) Reset(d, now);
                db.DeliveriesDue = rows.Count > 0;
                audit.Record(ctx.Caller(), "delivery.bulk_retry", "delivery", requestId ?? "*",
                    after: new { retried = rows.Count }, metadata: new { request_id = requestId, event_type = eventType, since = sinceText, ids = rows.Select(d => d.Id) },
                    summary: $"bulk retry of {rows.Count} exhausted deliveries");
                await db.SaveChangesAsync(ct);
                return new BulkRetryOut(rows.Count, rows.Select(d => d.Id).ToList());
            })
            .RequireAccess(Access.Admin).Accepts<JsonObject>("application/json")
            .WithSummary("Retry every exhausted delivery matching the filter (request_id, event_type, since)");
    }

    private static IQueryable<WebhookDelivery> Filter(IQueryable<WebhookDelivery> q, string? status, string? requestId, string? eventType, DateTime? since)
    {
        if (!string.IsNullOrWhiteSpace(status)) q = q.Where(d => d.Status == status);
        if (!string.IsNullOrWhiteSpace(requestId)) q = q.Where(d => d.RequestId == requestId);
        if (!string.IsNullOrWhiteSpace(eventType)) q = q.Where(d => d.EventType == eventType);
        if (since is { } from) q = q.Where(d => d.CreatedAt >= from);
        return q;
    }

    private static void Reset(WebhookDelivery d, DateTime now)
    {
        d.Status = DeliveryStatus.Pending;
        d.Attempt = 0;
        d.NextAttemptAt = now;
        d.LastError = null;
        d.LastStatusCode = null;
        d.LeaseOwner = null;
        d.LeaseUntil = null;
        d.UpdatedAt = now;
    }
}
