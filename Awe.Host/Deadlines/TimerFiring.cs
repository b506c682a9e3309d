using Awe.Activities.Model;
using Awe.Activities.Runtime;
using Awe.Host.Observability;
using Awe.Host.Persistence;
using Awe.Host.Requests;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Deadlines;

/// <summary>
/// Firing claimed timers. A share of a batch (the timers of up to 25 requests) fires in one transaction under the
/// locks of all its requests; if anything in it throws, nothing of it is written and each of its timers is fired
/// again alone, so one bad timer neither blocks nor undoes the others. A timer that throws on its own waits
/// sla.fire_backoff_seconds (its lease is pushed out) and, after sla.fire_max_attempts, is marked failed.
/// </summary>
public sealed partial class TimerScheduler
{
    private async Task FireShareAsync(List<Claimed> share, CancellationToken ct)
    {
        try
        {
            await FireTogetherAsync(share, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && DbErrors.IsDatabaseUnavailable(e))
        {
            // Not the timers' fault: no attempt is counted; the claims' lease passes and a round tries them again.
            log.LogWarning("{Count} timers could not fire: database unavailable ({Problem}); tried again after their lease",
                share.Count, e.GetBaseException().Message);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            if (share.Count == 1)
            {
                await RecordFailureAsync(share[0], e, ct);
                return;
            }
            log.LogWarning(e, "Firing {Count} timers together failed; firing each alone", share.Count);
            foreach (var timer in share) await FireShareAsync([timer], ct);
        }
    }

    private async Task FireTogetherAsync(List<Claimed> share, CancellationToken ct)
    {
        using var operation = EngineOperation.Start("timer", EngineTelemetry.Spans.FireTimer);
        operation.Span?.SetTag("awe.timer_count", share.Count);
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<InstanceStore>();
        var runner = scope.ServiceProvider.GetRequiredService<ApprovalRunner>();
        var definitions = scope.ServiceProvider.GetRequiredService<DefinitionCache>();
        var ids = share.Select(t => t.RequestId).Distinct().ToArray();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // One statement locks every request of the share, in one order (the index's), so two shares never deadlock.
        // SQLite's transaction already holds the write lock.
        if (db.IsPostgres)
            await db.Database.ExecuteSqlRawAsync("SELECT 1 FROM approval_request WHERE id = ANY({0}) ORDER BY id FOR UPDATE", [ids], ct);
        var requests = await db.Requests.Include(r => r.Tasks).Include(r => r.Decisions).AsSplitQuery()
            .Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        var pending = (await db.Timers.Where(t => ids.Contains(t.RequestId) && t.State == TimerState.Pending).ToListAsync(ct))
            .ToLookup(t => t.RequestId);

        var fired = new List<(Claimed Timer, string Kind, string Outcome)>();
        foreach (var group in share.GroupBy(t => t.RequestId))
        {
            if (!requests.TryGetValue(group.Key, out var request)) continue; // the request is gone (its timers went with it)
            var instance = new ApprovalInstance(request, await definitions.GetAsync(db, request.PolicyId, ct));
            instance.Timers.AddRange(pending[group.Key]);
            foreach (var timer in group.OrderBy(t => t.DueAt))
            {
                // A timer another replica claimed after this claim's lease passed is that replica's now.
                var row = instance.Timers.FirstOrDefault(t => t.Id == timer.Id);
                if (row is null || row.LeaseOwner != ReplicaId) continue;
                var outcome = await runner.FireTimerAsync(instance, timer.Id, ct);
                fired.Add((timer, row.Kind, outcome));
            }
            store.AddCreated(instance);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var (timer, kind, outcome) in fired.Where(f => f.Outcome != TimerOutcome.NotDue))
        {
            var lag = now - timer.DueAt;
            AweMetrics.TimerLag.Observe(Math.Max(0, lag.TotalSeconds));
            AweMetrics.TimersFired.WithLabels(kind, outcome).Inc();
            if (outcome != TimerOutcome.Moot)
                log.LogInformation("Request {Request}: {Kind} timer fired {Lag:F0} ms after its due time: {Outcome}", timer.RequestId, kind, lag.TotalMilliseconds, outcome);
        }
    }

    /// <summary>
    /// A timer's firing threw (alone, so it is this timer's). Before the last attempt: counted, and its lease pushed
    /// out by the next backoff, so no replica claims it sooner. At the last: marked failed and journaled.
    /// </summary>
    private async Task RecordFailureAsync(Claimed timer, Exception error, CancellationToken ct)
    {
        var settings = options.CurrentValue.Sla;
        var attempts = timer.Attempts + 1;
        var message = Describe(error);
        var now = clock.GetUtcNow().UtcDateTime;
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
            if (attempts < settings.FireMaxAttempts)
            {
                var wait = settings.FireBackoffSeconds[Math.Min(attempts, settings.FireBackoffSeconds.Count) - 1];
                await db.Database.ExecuteSqlRawAsync("""
                    UPDATE approval_timer SET attempts = {0}, last_error = {1}, lease_until = {2}, updated_at = {3}
                    WHERE id = {4} AND state = 'pending' AND lease_owner = {5}
                    """, [attempts, message, now.AddSeconds(wait), now, timer.Id, ReplicaId], ct);
                AweMetrics.TimerFireFailures.WithLabels(timer.Kind, "retry").Inc();
                log.LogWarning(error, "Timer {Timer} of request {Request} failed to fire (attempt {Attempt} of {Max}); trying again in {Wait} s",
                    timer.Id, timer.RequestId, attempts, settings.FireMaxAttempts, wait);
                return;
            }
            if (!await JournalFailureAsync(scope, timer, attempts, message, ct))
                // The request cannot even be loaded: the row alone says what happened.
                await db.Database.ExecuteSqlRawAsync("""
                    UPDATE approval_timer SET state = 'failed', attempts = {0}, last_error = {1}, lease_until = NULL, updated_at = {2}
                    WHERE id = {3} AND state = 'pending' AND lease_owner = {4}
                    """, [attempts, message, now, timer.Id, ReplicaId], ct);
            AweMetrics.TimerFireFailures.WithLabels(timer.Kind, TimerState.Failed).Inc();
            log.LogError(error, "Timer {Timer} of request {Request} failed to fire {Attempts} times; marked failed, it needs an operator (docs/runbook.md)",
                timer.Id, timer.RequestId, attempts);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Not even the failure could be written (the database is away): the lease passes and the timer is tried again.
            log.LogError(e, "Timer {Timer} of request {Request} failed to fire, and recording the failure failed too", timer.Id, timer.RequestId);
        }
    }

    /// <summary>Marks the timer failed through the runner (timer_failed in the journal and its webhook); false if that threw.</summary>
    private async Task<bool> JournalFailureAsync(IServiceScope outer, Claimed timer, int attempts, string message, CancellationToken ct)
    {
        try
        {
            using var scope = outer.ServiceProvider.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
            var store = scope.ServiceProvider.GetRequiredService<InstanceStore>();
            var runner = scope.ServiceProvider.GetRequiredService<ApprovalRunner>();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var instance = await store.LoadForUpdateAsync(timer.RequestId, ct);
            if (instance.Timers.FirstOrDefault(t => t.Id == timer.Id)?.LeaseOwner != ReplicaId) return true; // fired, moot or another replica's now
            runner.FailTimer(instance, timer.Id, attempts, message);
            store.AddCreated(instance);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Journaling the failure of timer {Timer} failed; marking the row alone", timer.Id);
            return false;
        }
    }

    /// <summary>What a failed firing threw, for last_error: type and message of each exception in the chain, bounded.</summary>
    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null && parts.Count < 3; x = x.InnerException) parts.Add($"{x.GetType().Name}: {x.Message}");
        var text = string.Join(" ← ", parts);
        return text.Length > 2000 ? text[..2000] : text;
    }
}
