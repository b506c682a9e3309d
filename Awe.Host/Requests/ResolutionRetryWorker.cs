using Awe.Activities.Model;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;
using Awe.Host.Configuration;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Awe.Host.Requests;

/// <summary>
/// Retries stage resolutions that failed after a decision (see ApprovalRunner.RetryResolutionAsync). Runs in
/// every replica; the request lock makes one replica do each retry, and the due time is re-read under the lock.
/// </summary>
public sealed class ResolutionRetryWorker(IServiceScopeFactory scopes, IOptionsMonitor<AweOptions> options, TimeProvider clock,
    ILogger<ResolutionRetryWorker> log, Operations.DatabaseReadiness readiness) : Hosting.PeriodicWorker(clock, log, readiness)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.CurrentValue.Resolver.RetryPollSeconds);

    /// <summary>Retries every due resolution once; returns how many requests were retried.</summary>
    public override async Task<int> TickAsync(CancellationToken ct)
    {
        List<string> due;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
            var now = Clock.GetUtcNow().UtcDateTime;
            due = await db.Requests.Where(r => r.ResolutionRetryAt != null && r.ResolutionRetryAt <= now)
                .OrderBy(r => r.ResolutionRetryAt).Select(r => r.Id).Take(50).ToListAsync(ct);
        }
        foreach (var id in due) await RetryAsync(id, ct);
        return due.Count;
    }

    private async Task RetryAsync(string requestId, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<InstanceStore>();
        var runner = scope.ServiceProvider.GetRequiredService<ApprovalRunner>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var instance = await store.LoadForUpdateAsync(requestId, ct);
        if (RequestStatus.IsTerminal(instance.Request.Status) || instance.Request.ResolutionRetryAt is not { } at || at > Clock.GetUtcNow().UtcDateTime)
            return; // another replica did it, or the request ended meanwhile
        await runner.RetryResolutionAsync(instance, ct);
        store.AddCreated(instance);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (instance.Request.ResolutionRetryAt is null)
            log.LogInformation("Request {Id}: stage resolution succeeded on retry", requestId);
    }
}
