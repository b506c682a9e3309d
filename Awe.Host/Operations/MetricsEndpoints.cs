using Awe.Host.Configuration;
using Awe.Host.Observability;
using Prometheus;

namespace Awe.Host.Operations;

/// <summary>
/// GET /metrics in Prometheus text format, on the management port only (awe.server.management_port): the gateway
/// routes /v1/awe/ and /, never that port, so metrics are not published. Before a scrape the database gauges
/// (open tasks, outboxes) are refreshed when they are older than awe.telemetry.gauge_refresh_seconds.
/// </summary>
public static class MetricsEndpoints
{
    public const string Path = "/metrics";

    public static WebApplication MapAweMetrics(this WebApplication app, AweOptions awe)
    {
        var gauges = app.Services.GetRequiredService<DatabaseGauges>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(gauges.RefreshAsync);
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
}
