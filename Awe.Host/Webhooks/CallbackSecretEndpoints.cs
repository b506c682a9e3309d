using System.Text.Json.Nodes;
using Awe.Activities.Policies;
using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Configuration;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Awe.Host.Webhooks;

public sealed record CallbackSecretOut(string Id, string CallerService, string Status, DateTime CreatedAt, DateTime? RotatedAt,
    DateTime? GraceUntil, DateTime? RevokedAt, string? CreatedBy)
{
    public static CallbackSecretOut From(CallbackSecret s) =>
        new(s.Id, s.CallerService, s.Status, s.CreatedAt, s.RotatedAt, s.GraceUntil, s.RevokedAt, s.CreatedBy);
}

/// <summary>The one answer that carries a raw secret: creation and rotation. Store it; it is never shown again.</summary>
public sealed record IssuedSecretOut(string Id, string CallerService, string Status, string Secret, DateTime CreatedAt, string? ReplacesId, DateTime? ReplacedGraceUntil);

public static class CallbackSecretEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/admin/callback-secrets").WithTags("Callback secrets");

        g.MapPost("", async (HttpContext ctx, AweDbContext db, CallbackSecrets secrets, AuditLog audit, CancellationToken ct) =>
            {
                var body = await JsonBody.ReadObjectAsync(ctx.Request);
                var problems = new List<ValidationProblem>();
                var r = new JsonFieldReader(problems);
                r.RejectUnknown(body, "", ["caller_service"]);
                var caller = r.String(body, "", "caller_service", required: true, maxLength: 128)?.Trim();
                if (problems.Count > 0) throw AweException.Invalid(problems);
                var existing = await db.CallbackSecrets.Where(s => s.CallerService == caller && s.Status == SecretStatus.Active)
                    .Select(s => s.Id).FirstOrDefaultAsync(ct);
                if (existing is not null)
                    throw AweException.Conflict(ErrorCodes.WrongState,
                        $"caller service '{caller}' already has an active secret ({existing}); rotate it with POST /v1/awe/admin/callback-secrets/{existing}/rotate");
                var (row, raw) = secrets.Issue(caller!, ctx.Caller().Subject);
                audit.Record(ctx.Caller(), "callback_secret.create", "callback_secret", row.Id, after: CallbackSecretOut.From(row),
                    summary: $"issued a callback secret for {caller}");
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
                {
                    // A concurrent call issued the caller's active secret first (one active secret per caller service).
                    throw AweException.Conflict(ErrorCodes.WrongState,
                        $"caller service '{caller}' already has an active secret; rotate it with POST /v1/awe/admin/callback-secrets/{{id}}/rotate");
                }
                return Results.Created($"/v1/awe/admin/callback-secrets/{row.Id}",
                    new IssuedSecretOut(row.Id, row.CallerService, row.Status, raw, row.CreatedAt, null, null));
            })
            .RequireAccess(Access.Admin).Accepts<JsonObject>("application/json").Produces<IssuedSecretOut>(201)
            .WithSummary("Issue a signing secret for a caller service; the raw secret is in this answer only");

        g.MapGet("", async (AweDbContext db, string? caller_service, string? status, CancellationToken ct) =>
            {
                var q = db.CallbackSecrets.AsNoTracking();
                if (!string.IsNullOrWhiteSpace(caller_service)) q = q.Where(s => s.CallerService == caller_service);
                if (!string.IsNullOrWhiteSpace(status)) q = q.Where(s => s.Status == status);
                return (await q.OrderBy(s => s.CallerService).ThenByDescending(s => s.CreatedAt).ToListAsync(ct)).Select(CallbackSecretOut.From);
            })
            .RequireAccess(Access.Viewer).WithSummary("Callback secrets (never their values)");

        g.MapPost("/{id}/rotate", async (string id, HttpContext ctx, AweDbContext db, CallbackSecrets secrets, AuditLog audit,
                TimeProvider clock, IOptions<AweOptions> options, CancellationToken ct) =>
            {
                var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
                var problems = new List<ValidationProblem>();
                var r = new JsonFieldReader(problems);
                r.RejectUnknown(body, "", ["grace_seconds"]);
                var grace = r.Int(body, "", "grace_seconds", required: false, min: 0, max: 30 * 24 * 3600)
                            ?? options.Value.Webhook.SecretRotationGraceSeconds;
                if (problems.Count > 0) throw AweException.Invalid(problems);

                await using var tx = await db.Database.BeginTransactionAsync(ct);
                await db.LockRowAsync("callback_secret", id, ct);
                var old = await db.CallbackSecrets.FirstOrDefaultAsync(s => s.Id == id, ct)
                          ?? throw AweException.NotFound(ErrorCodes.AdminResourceNotFound, $"callback secret '{id}' does not exist");
                if (old.Status != SecretStatus.Active)
                    throw AweException.Conflict(ErrorCodes.WrongState, $"callback secret {id} is {old.Status}; only the active secret can be rotated");
                var now = clock.GetUtcNow().UtcDateTime;
                old.Status = SecretStatus.Rotated;
                old.RotatedAt = now;
                old.GraceUntil = now.AddSeconds(grace);
                old.UpdatedAt = now;
                var (row, raw) = secrets.Issue(old.CallerService, ctx.Caller().Subject);
                audit.Record(ctx.Caller(), "callback_secret.rotate", "callback_secret", id,
                    before: new { status = SecretStatus.Active }, after: new { status = old.Status, grace_until = old.GraceUntil, new_id = row.Id },
                    summary: $"rotated the callback secret of {old.CallerService}; the old one signs until {old.GraceUntil:O}");
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return new IssuedSecretOut(row.Id, row.CallerService, row.Status, raw, row.CreatedAt, old.Id, old.GraceUntil);
            })
            .RequireAccess(Access.Admin).WithSummary("Issue a new secret; the old one keeps signing beside it for grace_seconds");

        g.MapPost("/{id}/revoke", async (string id, HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct) =>
            {
                var secret = await db.CallbackSecrets.FirstOrDefaultAsync(s => s.Id == id, ct)
                             ?? throw AweException.NotFound(ErrorCodes.AdminResourceNotFound, $"callback secret '{id}' does not exist");
                if (secret.Status == SecretStatus.Revoked)
                    throw AweException.Conflict(ErrorCodes.WrongState, $"callback secret {id} is already revoked");
                var before = secret.Status;
                var now = clock.GetUtcNow().UtcDateTime;
                secret.Status = SecretStatus.Revoked;
                secret.RevokedAt = secret.UpdatedAt = now;
                audit.Record(ctx.Caller(), "callback_secret.revoke", "callback_secret", id, before: new { status = before },
                    after: new { status = SecretStatus.Revoked }, summary: $"revoked a callback secret of {secret.CallerService}");
                await db.SaveChangesAsync(ct);
                return CallbackSecretOut.From(secret);
            })
            .RequireAccess(Access.Admin).WithSummary("Stop signing with a secret at once");
    }
}
