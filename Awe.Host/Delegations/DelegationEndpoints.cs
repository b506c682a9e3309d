using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Resolution;
using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Delegations;

public sealed record DelegationOut(string Id, string UserId, string DelegateTo, DateTime StartsAt, DateTime EndsAt, string? Reason,
    string? CreatedBy, DateTime CreatedAt, DateTime UpdatedAt, bool Active)
{
    public static DelegationOut From(UserDelegation d, DateTime now) => new(d.Id, d.UserId, d.DelegateTo, d.StartsAt, d.EndsAt, d.Reason,
        d.CreatedBy, d.CreatedAt, d.UpdatedAt, d.StartsAt <= now && now < d.EndsAt);
}

/// <summary>Active delegations from the database; the newest wins when several overlap. Delegates are never followed further.</summary>
public sealed class DatabaseDelegationLookup(AweDbContext db) : IDelegationLookup
{
    private (DateTime From, DateTime Until)? _noneActive;

    /// <summary>
    /// How far around "now" a caller looks for active delegations when it reads its request (a delegation overlapping
    /// [now - Margin, now + Margin), i.e. starts_at &lt; until AND ends_at &gt; from): the runner's clock moves on a little
    /// while it runs, and every moment it asks about must fall inside the window.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Tells this lookup that no delegation was active at any moment in [from, until) when its request was loaded (read in
    /// the same statement), so that lookups for those moments need no query. Most of the time nobody is away, and a
    /// stage start then costs no round trip for delegations.
    /// </summary>
    public void NoneActiveBetween(DateTime from, DateTime until) => _noneActive = (from, until);

    public async Task<IReadOnlyDictionary<string, string>> ActiveDelegatesAsync(IReadOnlyCollection<string> userIds, DateTime at, CancellationToken ct)
    {
        if (userIds.Count == 0 || _noneActive is { } none && at >= none.From && at < none.Until) return new Dictionary<string, string>();
        var rows = await db.Delegations.AsNoTracking()
            .Where(d => userIds.Contains(d.UserId) && d.StartsAt <= at && d.EndsAt > at)
            .ToListAsync(ct);
        return rows.GroupBy(d => d.UserId)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).First().DelegateTo);
    }
}

public static class DelegationEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/delegations").WithTags("Delegations");
        g.MapGet("", async (AweDbContext db, TimeProvider clock, string? user_id, int? limit, CancellationToken ct) =>
            {
                var take = Query.Limit(limit, 100, 500);
                var q = db.Delegations.AsNoTracking();
                if (!string.IsNullOrWhiteSpace(user_id))
                {
                    var who = UserIds.ForLookup(user_id);
                    q = q.Where(d => d.UserId == who || d.DelegateTo == who);
                }
                var now = clock.GetUtcNow().UtcDateTime;
                return (await q.OrderByDescending(d => d.StartsAt).Take(take).ToListAsync(ct)).Select(d => DelegationOut.From(d, now));
            })
            .RequireAccess(Access.Viewer).WithSummary("Out-of-office delegations, latest start first");

        g.MapPost("", async (HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct) =>
            {
                var body = await JsonBody.ReadObjectAsync(ctx.Request);
                var problems = new List<ValidationProblem>();
                var r = new JsonFieldReader(problems);
                r.RejectUnknown(body, "", ["user_id", "delegate_to", "starts_at", "ends_at", "reason"]);
                var user = r.UserId(body, "", "user_id", required: true);
                var to = r.UserId(body, "", "delegate_to", required: true);
                var starts = Time(r, body, "starts_at");
                var ends = Time(r, body, "ends_at");
                var reason = r.String(body, "", "reason", required: false, maxLength: 2000, minLength: 0);
                if (user is not null && to is not null && user == to) r.Fail("delegate_to", "must differ from user_id (user ids are compared trimmed and case-insensitively)");
                if (starts is not null && ends is not null && ends <= starts) r.Fail("ends_at", "must be later than starts_at");
                if (problems.Count > 0) throw AweException.Invalid(problems);

                var now = clock.GetUtcNow().UtcDateTime;
                var caller = ctx.Caller();
                var delegation = new UserDelegation
                {
                    UserId = user!, DelegateTo = to!, StartsAt = starts!.Value, EndsAt = ends!.Value, Reason = reason,
                    CreatedBy = caller.Subject, CreatedAt = now, UpdatedAt = now,
                };
                db.Delegations.Add(delegation);
                var output = DelegationOut.From(delegation, now);
                audit.Record(caller, "delegation.create", "delegation", delegation.Id, after: output,
                    summary: $"{delegation.UserId} delegates to {delegation.DelegateTo}");
                await db.SaveChangesAsync(ct);
                return Results.Created($"/v1/awe/delegations/{delegation.Id}", output);
            })
            .RequireAccess(Access.Admin).Accepts<JsonObject>("application/json").Produces<DelegationOut>(201)
            .WithSummary("Create a dated delegation; tasks opened inside the window go to the delegate (existing tasks stay)");

        g.MapDelete("/{id}", async (string id, HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct) =>
            {
                var delegation = await db.Delegations.FirstOrDefaultAsync(d => d.Id == id, ct)
                                 ?? throw AweException.NotFound(ErrorCodes.AdminResourceNotFound, $"delegation '{id}' does not exist");
                db.Delegations.Remove(delegation);
                audit.Record(ctx.Caller(), "delegation.delete", "delegation", id, before: DelegationOut.From(delegation, clock.GetUtcNow().UtcDateTime),
                    summary: $"removed delegation {delegation.UserId} → {delegation.DelegateTo}");
                await db.SaveChangesAsync(ct);
                return Results.NoContent();
            })
            .RequireAccess(Access.Admin).WithSummary("Delete a delegation");
    }

    private static DateTime? Time(JsonFieldReader r, JsonObject body, string field)
    {
        var text = r.String(body, "", field, required: true, maxLength: 64);
        if (text is null) return null;
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
            return t.UtcDateTime;
        r.Fail(field, $"must be an ISO 8601 timestamp such as 2026-01-31T09:00:00Z (got '{text}')");
        return null;
    }
}
