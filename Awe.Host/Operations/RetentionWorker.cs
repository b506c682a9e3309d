using Awe.Activities.Model;
using Awe.Host.Configuration;
using Awe.Host.Persistence;
using Awe.Host.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Awe.Host.Operations;

/// <summary>
/// Purges what has outlived its use (awe.retention), in every replica: deletes are idempotent, so replicas racing
/// for the same rows only find fewer to delete. Delivered webhook rows and idempotency keys go after their windows by
/// default; requests (with their tasks, decisions, events and deliveries) and the audit log are a legal record and
/// are only purged when an operator sets a window. Rows go in batches, so a first purge of years of data does not
/// hold one huge transaction.
/// </summary>
public sealed class RetentionWorker(IServiceScopeFactory scopes, IOptionsMonitor<AweOptions> options, TimeProvider clock,
    ILogger<RetentionWorker> log, DatabaseReadiness readiness) : Hosting.PeriodicWorker(clock, log, readiness)
{
    private const int BatchSize = 500;

    private static readonly Counter Purged = Metrics.CreateCounter("awe_retention_purged_total",
        "Rows deleted by the retention purge, by kind (delivered_webhook, idempotency_key, finished_timer, request, audit)", "kind");

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.CurrentValue.Retention.CheckIntervalSeconds);

    /// <summary>One purge of every kind with a window; returns the number of rows deleted.</summary>
    public override async Task<int> TickAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue.Retention;
        var now = Clock.GetUtcNow().UtcDateTime;
        var total = 0;
        total += await PurgeAsync("delivered_webhook", settings.DeliveredWebhookDays, now, (db, cutoff) =>
            db.WebhookDeliveries.Where(d => d.Status == DeliveryStatus.Delivered && d.UpdatedAt < cutoff).Select(d => d.Id), DeleteDeliveriesAsync, ct);
        total += await PurgeAsync("idempotency_key", settings.IdempotencyKeyDays, now, (db, cutoff) =>
            db.IdempotencyKeys.Where(k => k.CreatedAt < cutoff).Select(k => k.Key), DeleteIdempotencyKeysAsync, ct);
        total += await PurgeAsync("finished_timer", settings.FinishedTimerDays, now, (db, cutoff) =>
            db.Timers.Where(t => (t.State == TimerState.Fired || t.State == TimerState.Cancelled) && t.UpdatedAt < cutoff).Select(t => t.Id),
            DeleteTimersAsync, ct);
        total += await PurgeAsync("request", settings.RequestDays, now, (db, cutoff) =>
            db.Requests.Where(r => r.CompletedAt != null && r.CompletedAt < cutoff).Select(r => r.Id), DeleteRequestsAsync, ct);
        total += await PurgeAsync("audit", settings.AuditDays, now, (db, cutoff) =>
            db.AuditActions.Where(a => a.OccurredAt < cutoff).Select(a => a.Id), DeleteAuditAsync, ct);
        return total;
    }

    private async Task<int> PurgeAsync(string kind, int days, DateTime now, Func<AweDbContext, DateTime, IQueryable<string>> candidates,
        Func<AweDbContext, List<string>, CancellationToken, Task<int>> delete, CancellationToken ct)
    {
        if (days <= 0) return 0;
        var cutoff = now.AddDays(-days);
        var deleted = 0;
        while (!ct.IsCancellationRequested)
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
            var ids = await candidates(db, cutoff).Take(BatchSize).ToListAsync(ct);
            if (ids.Count == 0) break;
            await using (var tx = await db.Database.BeginTransactionAsync(ct))
            {
                deleted += await delete(db, ids, ct);
                await tx.CommitAsync(ct);
            }
            if (ids.Count < BatchSize) break;
        }
        if (deleted > 0)
        {
            Purged.WithLabels(kind).Inc(deleted);
            log.LogInformation("Retention: deleted {Count} {Kind} row(s) older than {Days} days", deleted, kind, days);
        }
        return deleted;
    }

    private static Task<int> DeleteDeliveriesAsync(AweDbContext db, List<string> ids, CancellationToken ct) =>
        db.WebhookDeliveries.Where(d => ids.Contains(d.Id)).ExecuteDeleteAsync(ct);

    private static Task<int> DeleteIdempotencyKeysAsync(AweDbContext db, List<string> keys, CancellationToken ct) =>
        db.IdempotencyKeys.Where(k => keys.Contains(k.Key)).ExecuteDeleteAsync(ct);

    private static Task<int> DeleteTimersAsync(AweDbContext db, List<string> ids, CancellationToken ct) =>
        db.Timers.Where(t => ids.Contains(t.Id)).ExecuteDeleteAsync(ct);

    private static Task<int> DeleteAuditAsync(AweDbContext db, List<string> ids, CancellationToken ct) =>
        db.AuditActions.Where(a => ids.Contains(a.Id)).ExecuteDeleteAsync(ct);

    /// <summary>A finished request with everything hanging off it, children first (decisions refer to tasks).</summary>
    private static async Task<int> DeleteRequestsAsync(AweDbContext db, List<string> ids, CancellationToken ct)
    {
        await db.WebhookDeliveries.Where(d => ids.Contains(d.RequestId)).ExecuteDeleteAsync(ct);
        await db.Decisions.Where(d => ids.Contains(d.RequestId)).ExecuteDeleteAsync(ct);
        await db.Tasks.Where(t => ids.Contains(t.RequestId)).ExecuteDeleteAsync(ct);
        await db.Events.Where(e => ids.Contains(e.RequestId)).ExecuteDeleteAsync(ct);
        return await db.Requests.Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct);
    }
}
