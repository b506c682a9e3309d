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
                string? since, string? until, string? before, string? after, int? limit, CancellationToken ct) =>
            {
                var take = Query.Limit(limit, 100, 1000);
                var q = db.AuditActions.AsNoTracking().AsQueryable();
                if (!string.IsNullOrWhiteSpace(actor)) q = q.Where(a => a.Actor == actor);
                if (!string.IsNullOrWhiteSpace(action)) q = q.Where(a => a.Action == action);
                if (!string.IsNullOrWhiteSpace(resource_type)) q = q.Where(a => a.ResourceType == resource_type);
                if (!string.IsNullOrWhiteSpace(resource_id)) q = q.Where(a => a.ResourceId == resource_id);
                if (Query.Time(since, "since") is { } from) q = q.Where(a => a.OccurredAt >= from);
                if (Query.Time(until, "until") is { } to) q = q.Where(a => a.OccurredAt < to);

                // Keyset paging on (occurred_at, id), the order of the log: a page stays put while new entries arrive.
                if (!string.IsNullOrWhiteSpace(before) && !string.IsNullOrWhiteSpace(after))
                    throw AweException.Invalid("give before or after, not both", "after");
                List<AuditAction> rows;
                if (!string.IsNullOrWhiteSpace(after))
                {
                    var (at, id) = await AnchorAsync(db, after, "after", ct);
                    rows = await q.Where(a => a.OccurredAt > at || (a.OccurredAt == at && string.Compare(a.Id, id) > 0))
                        .OrderBy(a => a.OccurredAt).ThenBy(a => a.Id).Take(take).ToListAsync(ct);
                    rows.Reverse();
                }
                else
                {
                    if (!string.IsNullOrWhiteSpace(before))
                    {
                        var (at, id) = await AnchorAsync(db, before, "before", ct);
                        q = q.Where(a => a.OccurredAt < at || (a.OccurredAt == at && string.Compare(a.Id, id) < 0));
                    }
                    rows = await q.OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id).Take(take).ToListAsync(ct);
                }
                return rows.Select(a => new AuditActionOut(a.Id, a.OccurredAt, a.Actor, a.ActorEmail, a.Action, a.ResourceType,
                    a.ResourceId, a.Summary, a.Before, a.After, a.Metadata));
            })
            .RequireAccess(Access.Viewer)
            .WithTags("Audit").WithSummary("Admin actions with before/after, newest first; page with before / after (an entry's id)");
    }

    /// <summary>Where a page starts: the entry a caller saw last (its id, as listed), which must still exist.</summary>
    private static async Task<(DateTime At, string Id)> AnchorAsync(AweDbContext db, string id, string name, CancellationToken ct)
    {
        var anchor = await db.AuditActions.AsNoTracking().Where(a => a.Id == id).Select(a => new { a.OccurredAt, a.Id }).FirstOrDefaultAsync(ct)
                     ?? throw AweException.Invalid($"no audit entry has id '{id}' (purged by retention?); list again without {name}", name);
        return (anchor.OccurredAt, anchor.Id);
    }
}
