using Awe.Host.Api;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Operations;

/// <summary>
/// Probes. Liveness never touches the database, so a database outage makes pods unready (no traffic) instead of
/// restarting them; readiness needs the schema migrated by this process and the database answering now.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>How long readiness waits for the database before answering 503 (below a probe's usual timeout).</summary>
    private static readonly TimeSpan ReadyCheckTimeout = TimeSpan.FromSeconds(3);

    public static RouteGroupBuilder MapAweHealth(this RouteGroupBuilder api)
    {
        api.MapGet("/health/live", (HttpContext ctx) => Envelope.Ok(ctx, new { status = "UP" }))
            .WithTags("System").WithSummary("Liveness: the process serves HTTP (never touches the database; no token needed)");

        api.MapGet("/health/ready", ReadyAsync)
            .WithTags("System").WithSummary("Readiness: schema migrated and database answering, else 503 (no token needed)");

        // The seed's single health URL, kept for compose and older probes: same answer as readiness.
        api.MapGet("/health", ReadyAsync)
            .WithTags("System").WithSummary("Same as /health/ready (no token needed)");
        return api;
    }

    private static async Task<IResult> ReadyAsync(HttpContext ctx, DatabaseReadiness readiness, AweDbContext db, CancellationToken ct)
    {
        if (!readiness.SchemaReady)
            throw new AweException(503, ErrorCodes.DatabaseDown, $"database not reached or not migrated since start-up ({readiness.StartupProblem}); the service log says why");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReadyCheckTimeout);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT 1", timeout.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new AweException(503, ErrorCodes.DatabaseDown, $"database check failed: {e.GetType().Name}");
        }
        return Envelope.Ok(ctx, new { status = "UP" });
    }
}
