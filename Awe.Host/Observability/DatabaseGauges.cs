using Awe.Host.Configuration;
using Awe.Host.Notifications;
using Awe.Host.Operations;
using Awe.Host.Persistence;
using Awe.Host.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Prometheus;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Host.Observability;

/// <summary>
/// Gauges read from the database: open tasks and the two outboxes (webhook deliveries, notification mails), their
/// depth and the age of their oldest pending row. Read before a scrape at most once per
/// awe.telemetry.gauge_refresh_seconds, one read at a time: a storm of scrapes is answered from the last read.
/// Every replica reports the same, cluster-wide numbers (alert on max, not sum).
/// </summary>
public sealed class DatabaseGauges(IServiceScopeFactory scopes, DatabaseReadiness readiness, TimeProvider clock,
    IOptionsMonitor<AweOptions> options, ILogger<DatabaseGauges> log)
{
    private static readonly Gauge Deliveries = Metrics.CreateGauge("awe_webhook_deliveries",
        "Webhook deliveries by status now (pending = waiting to be sent or retried, exhausted = given up, needs an operator)", "status");

    private static readonly Gauge OldestPendingAge = Metrics.CreateGauge("awe_webhook_oldest_pending_age_seconds",
        "Age of the oldest pending webhook delivery (0 when none is pending)");

    private static readonly Gauge PendingNotifications = Metrics.CreateGauge("awe_notifications_pending",
        "Notification mails waiting to be sent or retried (the mail outbox)");

    private static readonly Gauge OldestPendingNotificationAge = Metrics.CreateGauge("awe_notification_oldest_pending_age_seconds",
        "Age of the oldest pending notification mail (0 when none is pending)");

    private static readonly Gauge OpenTasks = Metrics.CreateGauge("awe_tasks_open",
        "Tasks waiting for a decision, by status (open, claimed)", "status");

    private static readonly Gauge BacklogUp = Metrics.CreateGauge("awe_webhook_backlog_up",
        "1 when the last read of the database gauges (tasks, outboxes) succeeded, 0 when it could not");

    private readonly SemaphoreSlim _reading = new(1, 1);
    private long _lastReadTicks; // 0: never read, so the first scrape reads

    public async Task RefreshAsync(CancellationToken ct)
    {
        var every = TimeSpan.FromSeconds(options.CurrentValue.Telemetry.GaugeRefreshSeconds);
        if (clock.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastReadTicks) < every.Ticks) return;
        // A scrape arriving while another reads gets the previous values rather than a second query.
        if (!await _reading.WaitAsync(0, ct)) return;
        try
        {
            if (clock.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastReadTicks) < every.Ticks) return;
            var ok = await ReadAsync(ct);
            // A failed read is tried again at the next scrape, not after a whole refresh interval.
            if (ok) Interlocked.Exchange(ref _lastReadTicks, clock.GetUtcNow().UtcTicks);
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task<bool> ReadAsync(CancellationToken ct)
    {
        if (!readiness.SchemaReady)
        {
            BacklogUp.Set(0);
            return false;
        }
        IServiceScope scope;
        try { scope = scopes.CreateScope(); }
        catch (ObjectDisposedException) { return false; } // a host that has stopped (several run in one test process)
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
            var now = clock.GetUtcNow().UtcDateTime;
            var deliveries = await db.WebhookDeliveries.AsNoTracking()
                .Where(d => d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Exhausted)
                .GroupBy(d => d.Status)
                .Select(g => new { Status = g.Key, Count = g.Count(), Oldest = g.Min(d => d.CreatedAt) })
                .ToListAsync(ct);
            var pending = deliveries.FirstOrDefault(g => g.Status == DeliveryStatus.Pending);
            Deliveries.WithLabels(DeliveryStatus.Pending).Set(pending?.Count ?? 0);
            Deliveries.WithLabels(DeliveryStatus.Exhausted).Set(deliveries.FirstOrDefault(g => g.Status == DeliveryStatus.Exhausted)?.Count ?? 0);
            OldestPendingAge.Set(pending is null ? 0 : Math.Max(0, (now - pending.Oldest).TotalSeconds));

            var mails = await db.Notifications.AsNoTracking().Where(n => n.Status == NotificationStatus.Pending)
                .GroupBy(n => 1).Select(g => new { Count = g.Count(), Oldest = g.Min(n => n.CreatedAt) }).FirstOrDefaultAsync(ct);
            PendingNotifications.Set(mails?.Count ?? 0);
            OldestPendingNotificationAge.Set(mails is null ? 0 : Math.Max(0, (now - mails.Oldest).TotalSeconds));

            var tasks = await db.Tasks.AsNoTracking().Where(t => t.Status == TaskStatus.Open || t.Status == TaskStatus.Claimed)
                .GroupBy(t => t.Status).Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(ct);
            OpenTasks.WithLabels(TaskStatus.Open).Set(tasks.FirstOrDefault(g => g.Status == TaskStatus.Open)?.Count ?? 0);
            OpenTasks.WithLabels(TaskStatus.Claimed).Set(tasks.FirstOrDefault(g => g.Status == TaskStatus.Claimed)?.Count ?? 0);
            BacklogUp.Set(1);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A scrape must not fail because the database does: the other metrics still matter then.
            BacklogUp.Set(0);
            log.LogDebug(e, "Reading the database gauges for /metrics failed");
            return false;
        }
        finally
        {
            scope.Dispose();
        }
    }
}
