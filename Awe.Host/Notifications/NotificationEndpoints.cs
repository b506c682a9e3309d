using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Notifications;

public sealed record NotificationOut(string Id, string RequestId, string EventId, string Kind, string Recipient, string? TaskId,
    string? Address, string Status, int Attempt, DateTime NextAttemptAt, string? LastError, DateTime? SentAt, DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public static NotificationOut From(Notification n) => new(n.Id, n.RequestId, n.EventId, n.Kind, n.Recipient, n.TaskId, n.Address,
        n.Status, n.Attempt, n.NextAttemptAt, n.LastError, n.SentAt, n.CreatedAt, n.UpdatedAt);
}

public static class NotificationEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/admin/notifications").WithTags("Notifications");

        g.MapGet("", async (AweDbContext db, string? status, string? request_id, string? recipient, int? limit, int? offset, CancellationToken ct) =>
            {
                var take = Query.Limit(limit, 100, 500);
                if (offset is < 0) throw AweException.Invalid($"must be ≥ 0 (got {offset})", "offset");
                if (status is not null && !NotificationStatus.All.Contains(status))
                    throw AweException.Invalid($"must be one of {string.Join(", ", NotificationStatus.All)} (got '{status}')", "status");
                var q = db.Notifications.AsNoTracking();
                if (status is not null) q = q.Where(n => n.Status == status);
                if (!string.IsNullOrWhiteSpace(request_id)) q = q.Where(n => n.RequestId == request_id);
                if (!string.IsNullOrWhiteSpace(recipient)) q = q.Where(n => n.Recipient == recipient);
                var rows = await q.OrderByDescending(n => n.CreatedAt).ThenBy(n => n.Id).Skip(offset ?? 0).Take(take).ToListAsync(ct);
                return rows.Select(NotificationOut.From);
            })
            .RequireAccess(Access.Viewer).WithSummary("Notification e-mails (outbox), newest first");

        g.MapPost("/{id}/retry", async (string id, HttpContext ctx, AweDbContext db, AuditLog audit, RecipientAddresses addresses, TimeProvider clock,
                CancellationToken ct) =>
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // Row lock: a sender's claim (FOR UPDATE SKIP LOCKED) cannot take it while we decide.
                await db.LockRowAsync("notification", id, ct);
                var n = await db.Notifications.FirstOrDefaultAsync(x => x.Id == id, ct)
                        ?? throw AweException.NotFound(ErrorCodes.AdminResourceNotFound, $"notification '{id}' does not exist");
                var now = clock.GetUtcNow().UtcDateTime;
                if (n.Status == NotificationStatus.Sent)
                    throw AweException.Conflict(ErrorCodes.WrongState, $"notification {id} was already sent to {n.Address}; nothing to retry");
                if (n.Status == NotificationStatus.Pending && n.LeaseUntil is { } until && until > now)
                    throw AweException.Conflict(ErrorCodes.WrongState,
                        $"notification {id} is being sent right now by replica {n.LeaseOwner} (claimed until {until:O}); retry it after that if it is not sent by then");
                var before = new { n.Status, n.Attempt, n.LastError };
                n.Status = NotificationStatus.Pending;
                n.Attempt = 0;
                n.NextAttemptAt = now;
                n.LastError = null;
                n.LeaseOwner = null;
                n.LeaseUntil = null;
                n.UpdatedAt = now;
                audit.Record(ctx.Caller(), "notification.retry", "notification", id, before: before, after: new { n.Status, n.Attempt },
                    metadata: new { request_id = n.RequestId, kind = n.Kind, recipient = n.Recipient }, summary: $"retry of notification {id}");
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                addresses.Forget(n.Recipient);
                return NotificationOut.From(n);
            })
            .RequireAccess(Access.Admin)
            .WithSummary("Send a failed or skipped notification again now (attempts start over; a skipped one looks its address up again)");
    }
}
