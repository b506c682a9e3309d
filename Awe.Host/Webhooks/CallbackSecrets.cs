using Awe.Activities.Webhooks;
using Awe.Host.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Webhooks;

/// <summary>Issues, protects and looks up callback secrets. The raw value leaves this class only once, at creation.</summary>
public sealed class CallbackSecrets(AweDbContext db, IDataProtectionProvider protection, TimeProvider clock)
{
    private readonly IDataProtector _protector = protection.CreateProtector("Awe.CallbackSecrets.v1");

    public (CallbackSecret Row, string Raw) Issue(string callerService, string createdBy)
    {
        var raw = WebhookSignatures.NewSecret();
        var now = clock.GetUtcNow().UtcDateTime;
        var row = new CallbackSecret
        {
            CallerService = callerService, SecretEncrypted = _protector.Protect(raw), Status = SecretStatus.Active,
            CreatedBy = createdBy, CreatedAt = now, UpdatedAt = now,
        };
        db.CallbackSecrets.Add(row);
        return (row, raw);
    }

    /// <summary>
    /// Secrets that sign a delivery right now for a caller service, newest first: the active one and rotated ones
    /// still inside their grace period. Read at every attempt, so rotation and revocation apply at once.
    /// </summary>
    public async Task<IReadOnlyList<string>> SigningSecretsAsync(string callerService, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await db.CallbackSecrets.AsNoTracking()
            .Where(s => s.CallerService == callerService &&
                        (s.Status == SecretStatus.Active || (s.Status == SecretStatus.Rotated && s.GraceUntil > now)))
            .OrderByDescending(s => s.CreatedAt)
            .ToListAsync(ct);
        return rows.Select(s => _protector.Unprotect(s.SecretEncrypted)).ToList();
    }
}
