using System.Data.Common;
using Awe.Host.Deadlines;
using Awe.Host.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Awe.Host.Persistence;

/// <summary>
/// Wakes this replica's workers when a unit of work that gave them something to do commits: the webhook dispatcher
/// for new or re-queued deliveries (<see cref="AweDbContext.DeliveriesDue"/>), the timer scheduler for a timer due
/// before it meant to look again (<see cref="AweDbContext.EarliestTimerArmed"/>). After the commit, not before, so
/// the woken worker can already see the rows; a rolled-back unit wakes nobody.
/// </summary>
public sealed class CommitSignalInterceptor(DeliverySignal deliveries, TimerSignal timers) : DbTransactionInterceptor, ISaveChangesInterceptor
{
    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Wake(eventData.Context);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
    {
        Wake(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    // SaveChanges of a single statement runs without a transaction: then the save is the commit.
    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        WakeIfAutocommitted(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        WakeIfAutocommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void WakeIfAutocommitted(DbContext? context)
    {
        if (context?.Database.CurrentTransaction is null) Wake(context);
    }

    private void Wake(DbContext? context)
    {
        if (context is not AweDbContext db) return;
        if (db.DeliveriesDue) deliveries.Pulse();
        if (db.EarliestTimerArmed is { } dueAt) timers.Armed(dueAt);
        Forget(db);
    }

    private static void Forget(DbContext? context)
    {
        if (context is not AweDbContext db) return;
        db.DeliveriesDue = false;
        db.EarliestTimerArmed = null;
    }
}
