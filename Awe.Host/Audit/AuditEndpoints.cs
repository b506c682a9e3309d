using Awe.Host.Api;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Audit;

public sealed record AuditActionOut(string Id, DateTime OccurredAt, string Actor, string? ActorEmail, string Action, string ResourceType,
    string ResourceId, string? Summary, System.Text.Json.Nodes.JsonNode? Before, System.Text.Json.Nodes.JsonNode? After,
    System.Text.Json.Nodes.JsonNode? Metadata);

public static class AuditEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/admin/audit", async (AweDbContext db, string? actor, string? action, string? resource_type, string? resource_id,
                string? since, string? until, int? limit, CancellationToken ct) =>
            {
                var take = Query.Limit(limit, 100, 1000);
                var q = db.AuditActions.AsNoTracking().AsQueryable();
                if (!string.IsNullOrWhiteSpace(actor)) q = q.Where(a => a.Actor == actor);
                if (!string.IsNullOrWhiteSpace(action)) q = q.Where(a => a.Action == action);
                if (!string.IsNullOrWhiteSpace(resource_type)) q = q.Where(a => a.ResourceType == resource_type);
                if (!string.IsNullOrWhiteSpace(resource_id)) q = q.Where(a => a.ResourceId == resource_id);
                if (Query.Time(since, "since") is { } from) q = q.Where(a => a.OccurredAt >= from);
                if (Query.Time(until, "until") is { } to) q = q.Where(a => a.OccurredAt < to);
                var rows = await q.OrderByDescending(a => a.OccurredAt).Take(take).ToListAsync(ct);
                return rows.Select(a => new AuditActionOut(a.Id, a.OccurredAt, a.Actor, a.ActorEmail, a.Action, a.ResourceType,
                    a.ResourceId, a.Summary, a.Before, a.After, a.Metadata));
            })
            .RequireAccess(Access.Viewer)
            .WithTags("Audit").WithSummary("Admin actions with before/after, newest first");
    }
}
