namespace Awe.Host.Hosting;

/// <summary>
/// A background loop that runs <see cref="TickAsync"/>, waits <see cref="Interval"/>, and repeats until the host
/// stops. A failed tick is logged and the loop goes on: the next tick retries whatever was left. Given the database
/// readiness, the first tick waits until the database has been reached and migrated at start-up.
/// </summary>
public abstract class PeriodicWorker(TimeProvider clock, ILogger log, Operations.DatabaseReadiness? readiness = null) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    protected abstract TimeSpan Interval { get; }

    public abstract Task<int> TickAsync(CancellationToken ct);

    /// <summary>The pause between ticks: <see cref="Interval"/>, unless a worker can be woken earlier.</summary>
    protected virtual Task WaitForNextTickAsync(CancellationToken ct) => Task.Delay(Interval, Clock, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (readiness is not null)
        {
            try { await readiness.WaitAsync(stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogError(e, "{Worker} tick failed; trying again next tick", GetType().Name);
            }
            try
            {
                await WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
