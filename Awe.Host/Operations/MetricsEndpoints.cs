using Awe.Host.Configuration;
using Awe.Host.Persistence;
using Awe.Host.Webhooks;
using Microsoft.EntityFrameworkCore;
using Prometheus;

namespace Awe.Host.Operations;

/// <summary>
/// GET /metrics in Prometheus text format, on the management port only (awe.server.management_port): the gateway
/// routes /v1/awe/ and /, never that port, so metrics are not published. Each scrape also reads the webhook backlog
/// from the database: every replica reports the same, cluster-wide numbers (alert on max, not sum).
/// </summary>
public static class MetricsEndpoints
{
    public const string Path = "/metrics";

    private static readonly Gauge Deliveries = Metrics.CreateGauge("awe_webhook_deliveries",
        "Webhook deliveries by status now (pending = waiting to be sent or retried, exhausted = given up, needs an operator)", "status");

    private static readonly Gauge OldestPendingAge = Metrics.CreateGauge("awe_webhook_oldest_pending_age_seconds",
        "Age of the oldest pending webhook delivery (0 when none is pending)");

    private static readonly Gauge BacklogUp = Metrics.CreateGauge("awe_webhook_backlog_up",
        "1 when the last scrape could read the webhook backlog from the database, 0 when it could not");

    public static WebApplication MapAweMetrics(this WebApplication app, AweOptions awe)
    {
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        var readiness = app.Services.GetRequiredService<DatabaseReadiness>();
        var clock = app.Services.GetRequiredService<TimeProvider>();
        var log = app.Services.GetRequiredService<ILogger<DatabaseReadiness>>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct => await ReadBacklogAsync(scopes, readiness, clock, log, ct));

        var endpoint = app.MapMetrics(Path);
        var port = awe.Server.ManagementPort;
        if (port > 0)
        {
            endpoint.RequireHost($"*:{port}");
            // The management port serves /metrics and nothing else: the API is not reachable around the gateway there.
            app.Use(async (ctx, next) =>
            {
                if (ctx.Connection.LocalPort == port && !ctx.Request.Path.Equals(Path, StringComparison.Ordinal))
                {
                    ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }
                await next(ctx);
            });
        }
        return app;
    }

    private static async Task ReadBacklogAsync(IServiceScopeFactory scopes, DatabaseReadiness readiness, TimeProvider clock, ILogger log,
        CancellationToken ct)
    {
        if (!readiness.SchemaReady)
        {
            BacklogUp.Set(0);
            return;
        }
        IServiceScope scope;
        try { scope = scopes.CreateScope(); }
        catch (ObjectDisposedException) { return; } // a host that has stopped (several run in one test process)
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
            var open = await db.WebhookDeliveries.AsNoTracking()
                .Where(d => d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Exhausted)
                .GroupBy(d => d.Status)
                .Select(g => new { Status = g.Key, Count = g.Count(), Oldest = g.Min(d => d.CreatedAt) })
                .ToListAsync(ct);
            var pending = open.FirstOrDefault(g => g.Status == DeliveryStatus.Pending);
            Deliveries.WithLabels(DeliveryStatus.Pending).Set(pending?.Count ?? 0);
            Deliveries.WithLabels(DeliveryStatus.Exhausted).Set(open.FirstOrDefault(g => g.Status == DeliveryStatus.Exhausted)?.Count ?? 0);
            OldestPendingAge.Set(pending is null ? 0 : Math.Max(0, (clock.GetUtcNow().UtcDateTime - pending.Oldest).TotalSeconds));
            BacklogUp.Set(1);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A scrape must not fail because the database does: the other metrics still matter then.
            BacklogUp.Set(0);
            log.LogDebug(e, "Reading the webhook backlog for /metrics failed");
        }
        finally
        {
            scope.Dispose();
        }
    }
}
