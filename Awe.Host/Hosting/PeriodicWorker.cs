namespace Awe.Host.Hosting;

/// <summary>
/// A background loop that runs <see cref="TickAsync"/>, waits <see cref="Interval"/>, and repeats until the host
/// stops. A failed tick is logged and the loop goes on: the next tick retries whatever was left.
/// </summary>
public abstract class PeriodicWorker(TimeProvider clock, ILogger log) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    protected abstract TimeSpan Interval { get; }

    public abstract Task<int> TickAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
                await Task.Delay(Interval, Clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
