namespace Awe.Host.Hosting;

/// <summary>
/// A background loop that runs <see cref="TickAsync"/>, waits <see cref="Interval"/>, and repeats until the host
/// stops. A failed tick is logged and the loop goes on: the next tick retries whatever was left. Given the database
/// readiness, the first tick waits until the database has been reached and migrated at start-up. While the database is
/// unreachable each tick fails fast and the loop keeps going, so work resumes by itself once it is back. On a graceful
/// stop the worker hands back what it had claimed (<see cref="ReleaseClaimsAsync"/>) so another replica takes it over at
/// once instead of after the lease.
/// </summary>
public abstract class PeriodicWorker(TimeProvider clock, ILogger log, Operations.DatabaseReadiness? readiness = null) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    protected abstract TimeSpan Interval { get; }

    public abstract Task<int> TickAsync(CancellationToken ct);

    /// <summary>The pause between ticks: <see cref="Interval"/>, unless a worker can be woken earlier.</summary>
    protected virtual Task WaitForNextTickAsync(CancellationToken ct) => Task.Delay(Interval, Clock, ct);

    /// <summary>
    /// Called once when the host stops, after the last tick ended: clears the leases this replica still holds on work it
    /// did not finish. A crash skips it; the leases then expire.
    /// </summary>
    protected virtual Task<int> ReleaseClaimsAsync(CancellationToken ct) => Task.FromResult(0);

    /// <summary>How long a graceful stop waits for <see cref="ReleaseClaimsAsync"/> (the database may be gone too).</summary>
    public static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        finally
        {
            // Nothing can have been claimed before the database was first reached.
            if (readiness is null || readiness.SchemaReady) await ReleaseAsync(ReleaseClaimsAsync, GetType().Name, log);
        }
    }

    /// <summary>Runs a release with its own short deadline (the stopping token is already cancelled) and logs what it did.</summary>
    public static async Task ReleaseAsync(Func<CancellationToken, Task<int>> release, string worker, ILogger log)
    {
        using var timeout = new CancellationTokenSource(ReleaseTimeout);
        try
        {
            var released = await release(timeout.Token);
            if (released > 0) log.LogInformation("{Worker} stopping: released {Count} claim(s) for another replica", worker, released);
        }
        catch (Exception e)
        {
            log.LogWarning("{Worker} stopping: could not release its claims ({Problem}); they expire with their lease", worker, e.GetBaseException().Message);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
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
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && Persistence.DbErrors.IsDatabaseUnavailable(e))
            {
                // An outage, not a bug: one line per tick without a stack trace.
                log.LogWarning("{Worker} tick failed: database unavailable ({Problem}); trying again next tick", GetType().Name, e.GetBaseException().Message);
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
