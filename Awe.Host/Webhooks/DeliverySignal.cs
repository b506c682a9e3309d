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
