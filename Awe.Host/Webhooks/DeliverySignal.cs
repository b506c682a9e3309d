using System.Data.Common;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Awe.Host.Webhooks;

/// <summary>
/// Wakes this replica's dispatcher when a transaction that added webhook deliveries commits, so a new event is sent
/// at once instead of at the next poll. Other replicas find it at their next poll (webhook.poll_interval_seconds).
/// </summary>
public sealed class DeliverySignal
{
    private readonly SemaphoreSlim _pulse = new(0, 1);

    public void Pulse()
    {
        // At most one pending wake: many commits during one dispatcher round need one more round, not many.
        lock (_pulse)
            if (_pulse.CurrentCount == 0) _pulse.Release();
    }

    /// <summary>Completes at the next pulse (or at once if one came since the last wait), or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        // A cancelled wait leaves the semaphore's queue, so no abandoned waiter can swallow a later pulse.
        using var elapsed = new CancellationTokenSource(timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, elapsed.Token);
        try
        {
            await _pulse.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The poll interval passed without a pulse.
        }
    }
}

/// <summary>
/// Pulses <see cref="DeliverySignal"/> after the commit of a transaction in which <see cref="Requests.InstanceStore"/>
/// added deliveries: after, not before, so the woken dispatcher can already see the rows.
/// </summary>
public sealed class DeliveryCommitInterceptor(DeliverySignal signal) : DbTransactionInterceptor
{
    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Wake(eventData);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
    {
        Wake(eventData);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
    {
        Forget(eventData);
        return Task.CompletedTask;
    }

    private void Wake(TransactionEndEventData eventData)
    {
        if (eventData.Context is not AweDbContext { DeliveriesDue: true } db) return;
        db.DeliveriesDue = false;
        signal.Pulse();
    }

    private static void Forget(TransactionEndEventData eventData)
    {
        if (eventData.Context is AweDbContext db) db.DeliveriesDue = false;
    }
}
