using System.Diagnostics;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>Throughput and latency of the operations that completed inside the measured window.</summary>
public sealed record LoadResult(double PerSecond, double P50Ms, double P99Ms, long Completed, long Errors, string? FirstError, bool RanOut);

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers each run the operation back to back for the warm-up,
/// then for the measured window. An operation returns false when it has no more work (e.g. no open task left);
/// that worker stops, and a window cut short by it is reported (<see cref="LoadResult.RanOut"/>).
/// </summary>
public static class LoadGenerator
{
    public delegate Task<bool> Operation(int worker, CancellationToken ct);

    public static async Task<LoadResult> RunAsync(int concurrency, TimeSpan warmup, TimeSpan measure, Operation operation)
    {
        var clock = Stopwatch.StartNew();
        var measureFrom = warmup;
        var measureTo = warmup + measure;
        var latencies = new List<double>[concurrency];
        long errors = 0;
        string? firstError = null;
        var ranOut = false;
        var lastFinish = TimeSpan.Zero;
        using var stop = new CancellationTokenSource(measureTo + TimeSpan.FromSeconds(60)); // a hung call does not hang the run

        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = [];
            while (clock.Elapsed < measureTo)
            {
                var started = clock.Elapsed;
                bool more;
                try { more = await operation(w, stop.Token); }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref errors) == 1) firstError = e.Message;
                    continue;
                }
                var finished = clock.Elapsed;
                if (!more) { ranOut = true; lock (latencies) if (finished > lastFinish) lastFinish = finished; return; }
                if (started >= measureFrom && finished <= measureTo) mine.Add((finished - started).TotalMilliseconds);
            }
        })).ToList();
        await Task.WhenAll(workers);

        var window = ranOut ? Min(lastFinish, measureTo) - measureFrom : measure;
        var all = latencies.SelectMany(l => l).Order().ToList();
        var perSecond = window > TimeSpan.Zero ? all.Count / window.TotalSeconds : 0;
        return new LoadResult(perSecond, Stats.Percentile(all, 50), Stats.Percentile(all, 99), all.Count, errors, firstError, ranOut);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
