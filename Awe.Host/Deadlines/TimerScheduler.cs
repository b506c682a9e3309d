using Awe.Activities.Model;
using Awe.Activities.Runtime;
using Awe.Host.Configuration;
using Awe.Host.Persistence;
using Awe.Host.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Awe.Host.Deadlines;

/// <summary>
/// Fires due timers (approval_timer). Runs in every replica: a claim leases due timers in due order (FOR UPDATE SKIP
/// LOCKED on PostgreSQL, so replicas claim disjoint sets), and they then fire under their requests' locks, after the
/// runner re-checks that each still applies — a decision that committed first makes it moot, so a deadline and a
/// decision racing on one request have exactly one outcome. Timers of several requests share a transaction, and a
/// firing that throws is retried alone, with backoff, until it is given up on (TimerFiring.cs). A replica that dies
/// holding claims loses them when the lease passes. Between rounds it sleeps until the nearest pending timer, at most
/// sla.check_interval_seconds, and wakes early when this process arms a nearer one.
/// </summary>
public sealed partial class TimerScheduler(IServiceScopeFactory scopes, IOptionsMonitor<AweOptions> options, TimerSignal signal, TimeProvider clock,
    ILogger<TimerScheduler> log, Operations.DatabaseReadiness readiness) : BackgroundService
{
    /// <summary>Identifies this replica in lease_owner.</summary>
    public string ReplicaId { get; } = Hosting.ReplicaIds.New();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the schema is migrated: a database still coming up is the start-up's to wait for and log.
        try { await readiness.WaitAsync(stoppingToken); }
        catch (OperationCanceledException) { return; }
        try
        {
            await RunAsync(stoppingToken);
        }
        finally
        {
            // A graceful stop hands back the timers it claimed and did not fire, for another replica's next round.
            await Hosting.PeriodicWorker.ReleaseAsync(ReleaseClaimsAsync, nameof(TimerScheduler), log);
        }
    }

    private async Task<int> ReleaseClaimsAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        return await db.Timers.Where(t => t.LeaseOwner == ReplicaId && t.State == TimerState.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.LeaseOwner, (string?)null).SetProperty(t => t.LeaseUntil, (DateTime?)null), ct);
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var (announced, next) = signal.Take();
            var wait = TimeSpan.FromSeconds(options.CurrentValue.Sla.CheckIntervalSeconds);
            try
            {
                var fired = await TickAsync(stoppingToken);
                if (fired >= options.CurrentValue.Sla.BatchSize) continue; // more may be due right now
                var nearest = await NearestAsync(stoppingToken);
                if (announced != DateTime.MaxValue && (nearest is null || announced < nearest)) nearest = announced;
                if (nearest is { } at)
                {
                    var untilDue = at - clock.GetUtcNow().UtcDateTime;
                    if (untilDue < wait) wait = untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && Persistence.DbErrors.IsDatabaseUnavailable(e))
            {
                log.LogWarning("Timer scheduler round failed: database unavailable ({Problem}); trying again in {Seconds} s",
                    e.GetBaseException().Message, wait.TotalSeconds);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogError(e, "Timer scheduler round failed; trying again in {Seconds} s", wait.TotalSeconds);
            }
            if (wait == TimeSpan.Zero) continue;
            signal.Sleeping(clock.GetUtcNow().UtcDateTime + wait);
            // The nap ends at its time, when a nearer timer is armed here, or at shutdown; its timer is released either way.
            using var nap = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(Task.Delay(wait, clock, nap.Token), next);
            await nap.CancelAsync();
        }
    }

    /// <summary>
    /// Claims and fires every due timer it can (one batch); returns how many it claimed. The batch is cut into shares
    /// of whole requests, fired side by side (sla.fire_parallelism), each share in one transaction: one lock
    /// statement, one load and one save for all its requests instead of a round of each per timer.
    /// </summary>
    public async Task<int> TickAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue.Sla;
        var claimed = await ClaimAsync(settings, ct);
        if (claimed.Count == 0) return 0;
        var byRequest = claimed.GroupBy(t => t.RequestId).Select(g => g.ToList()).ToList();
        var shareSize = Math.Clamp((byRequest.Count + settings.FireParallelism - 1) / settings.FireParallelism, 1, MaxRequestsPerTransaction);
        var shares = byRequest.Chunk(shareSize).Select(s => s.SelectMany(g => g).ToList()).ToList();
        await Parallel.ForEachAsync(shares, new ParallelOptions { MaxDegreeOfParallelism = settings.FireParallelism, CancellationToken = ct },
            async (share, token) => await FireShareAsync(share, token));
        return claimed.Count;
    }

    /// <summary>Requests locked by one firing transaction at most: a decision on one of them waits for the whole share.</summary>
    private const int MaxRequestsPerTransaction = 25;

    /// <summary>A row of the claim's RETURNING list (a class with setters: EF Core materializes raw queries into properties).</summary>
    private sealed class Claimed
    {
        public string Id { get; set; } = "";
        public string RequestId { get; set; } = "";
        public DateTime DueAt { get; set; }
        public string Kind { get; set; } = "";
        public int Attempts { get; set; }
    }

    private async Task<List<Claimed>> ClaimAsync(SlaOptions settings, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var sql = """
            UPDATE approval_timer SET lease_owner = {0}, lease_until = {1}
            WHERE id IN (
                SELECT t.id FROM approval_timer t
                WHERE t.state = 'pending' AND t.due_at <= {2} AND (t.lease_until IS NULL OR t.lease_until < {2})
                ORDER BY t.due_at
                LIMIT {3}
                LOCK_CLAUSE)
            RETURNING id AS "Id", request_id AS "RequestId", due_at AS "DueAt", kind AS "Kind", attempts AS "Attempts"
            """.Replace("LOCK_CLAUSE", db.SkipLockedClause);
        var rows = await db.Database.SqlQueryRaw<Claimed>(sql, ReplicaId, now.AddSeconds(settings.LeaseSeconds), now, settings.BatchSize)
            .ToListAsync(ct);
        foreach (var row in rows) row.DueAt = DateTime.SpecifyKind(row.DueAt, DateTimeKind.Utc);
        return rows.OrderBy(r => r.DueAt).ToList();
    }

    /// <summary>
    /// When the next unclaimed timer falls due (one read of the pending-due index). Timers another replica holds are
    /// left to it; if it dies they are seen again at a poll after their lease passes.
    /// </summary>
    private async Task<DateTime?> NearestAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Timers.Where(t => t.State == TimerState.Pending && (t.LeaseUntil == null || t.LeaseUntil < now))
            .OrderBy(t => t.DueAt).Select(t => (DateTime?)t.DueAt).FirstOrDefaultAsync(ct);
    }
}
