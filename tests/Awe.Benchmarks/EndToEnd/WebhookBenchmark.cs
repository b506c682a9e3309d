using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// Webhook dispatch against a local receiver (Kestrel in this process, answering at once):
/// <list type="number">
/// <item>the receiver's own capacity: the load generator POSTs webhook-sized bodies to it;</item>
/// <item>the dispatcher's rate on a backlog: a burst of creates with a callback URL while the receiver refuses
/// (503), so that every request's first event waits for its retry; then all pending deliveries are made due, the
/// receiver accepts, and the rate is deliveries / (last arrival − first arrival);</item>
/// <item>first-attempt latency when nothing is queued: one create at a time, from sending it to its first delivery's
/// arrival (an upper bound of the time from commit).</item>
/// </list>
/// </summary>
public static class WebhookBenchmark
{
    /// <summary>webhook.batch_size's default: deliveries one dispatcher sends at once.</summary>
    private const int DispatcherParallelism = 20;

    public static async Task RunAsync(E2eContext ctx)
    {
        await using var receiver = await Receiver.StartAsync(ctx.Options.ReceiverMilliseconds);

        // 1. Capacity of the receiver itself, at the parallelism the dispatcher sends with.
        using var sender = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue });
        var sample = Encoding.UTF8.GetBytes(new string('x', 600));
        const int concurrency = DispatcherParallelism;
        var capacity = await LoadGenerator.RunAsync(concurrency, ctx.Warmup, ctx.Measure, async (_, ct) =>
        {
            using var response = await sender.PostAsync(receiver.Url("/capacity"), new ByteArrayContent(sample), ct);
            response.EnsureSuccessStatusCode();
            return true;
        });
        ctx.Table.Detail($"Receiver capacity (c={concurrency}, {(ctx.Options.ReceiverMilliseconds == 0 ? "answers at once" : $"{ctx.Options.ReceiverMilliseconds} ms per delivery")}): " +
                         $"{capacity.PerSecond:N0} POST/s, p50 {capacity.P50Ms:N2} ms, p99 {capacity.P99Ms:N2} ms");

        // 2. Backlog drain after a burst.
        var burstUrl = receiver.Url("/burst");
        receiver.Refuse = true;
        var burst = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, ctx.Options.WebhookBurst), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (_, ct) => await EngineWorkload.CreateAsync(ctx.Host, burstUrl, ct));
        var burstSeconds = burst.Elapsed.TotalSeconds;
        var expected = await ctx.ScalarAsync("SELECT count(*) FROM webhook_delivery WHERE url = @url", ("url", burstUrl));
        // Every request's first event must have had its refused attempt (and now waits for its retry).
        await WaitAsync(async () => await ctx.ScalarAsync("SELECT count(*) FROM webhook_delivery WHERE url = @url AND attempt = 0 AND seq = " +
            "(SELECT min(seq) FROM webhook_delivery d WHERE d.request_id = webhook_delivery.request_id)", ("url", burstUrl)) == 0, TimeSpan.FromSeconds(ctx.Options.DrainTimeoutSeconds));
        await ctx.ScalarAsync("WITH due AS (UPDATE webhook_delivery SET next_attempt_at = now() WHERE url = @url AND status = 'pending' RETURNING 1) SELECT count(*) FROM due", ("url", burstUrl));
        receiver.Refuse = false;
        var opened = Stopwatch.GetTimestamp();
        var drained = await WaitAsync(() => Task.FromResult(receiver.Accepted("/burst") >= expected), TimeSpan.FromSeconds(ctx.Options.DrainTimeoutSeconds));
        var arrivals = receiver.AcceptedTimes("/burst");
        var span = arrivals.Count > 1 ? Stopwatch.GetElapsedTime(arrivals.Min(), arrivals.Max()).TotalSeconds : double.NaN;
        var rate = arrivals.Count / span;
        ctx.Table.Detail($"Webhook burst: {ctx.Options.WebhookBurst:N0} creates in {burstSeconds:N1} s → {expected:N0} deliveries; " +
                         $"after they were made due, {arrivals.Count:N0} arrived in {span:N1} s ({rate:N0}/s), the last " +
                         $"{Stopwatch.GetElapsedTime(opened, arrivals.Count > 0 ? arrivals.Max() : opened).TotalSeconds:N1} s after the receiver opened" +
                         (drained ? "" : $"; NOT drained within {ctx.Options.DrainTimeoutSeconds} s"));
        ctx.Table.AddRatio($"Webhook dispatch, backlog of {expected:N0} deliveries ({ctx.Options.WebhookBurst:N0} creates) vs the receiver's capacity",
            rate, capacity.PerSecond, "/s", 0.5, atLeast: true, "≥ 0.5× receiver");

        // 3. First attempt when idle.
        var probes = ctx.Options.Quick ? 5 : 10;
        var latencies = new List<double>();
        for (var i = 0; i < probes; i++)
        {
            await Task.Delay(500);
            var sent = Stopwatch.GetTimestamp();
            var request = await EngineWorkload.CreateAsync(ctx.Host, receiver.Url("/idle"));
            if (await WaitAsync(() => Task.FromResult(receiver.FirstArrival(request.Id) is not null), TimeSpan.FromSeconds(10)))
                latencies.Add(Stopwatch.GetElapsedTime(sent, receiver.FirstArrival(request.Id)!.Value).TotalMilliseconds);
        }
        var worst = latencies.Count == probes ? latencies.Max() : double.PositiveInfinity;
        ctx.Table.Detail($"First delivery attempt when idle ({probes} creates, one at a time): " +
                         (latencies.Count > 0 ? $"median {Stats.Percentile(latencies.Order().ToList(), 50):N0} ms, max {latencies.Max():N0} ms" : "none arrived") +
                         (latencies.Count < probes ? $"; {probes - latencies.Count} did not arrive within 10 s" : ""));
        ctx.Table.Add(new ResultRow($"First delivery attempt after commit, nothing queued (max of {probes})",
            double.IsFinite(worst) ? $"{worst:N0} ms" : "> 10 s", "–", "–", "≤ 1,000 ms", worst <= 1000));
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (await condition()) return true;
            await Task.Delay(50);
        }
        return await condition();
    }

    /// <summary>A Kestrel server on a free loopback port: 200 to every POST (503 while <see cref="Refuse"/>), after
    /// a given service time (a caller storing the event), noting when each accepted one arrived, per path and per request id.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, ConcurrentBag<long>> _accepted = new();
        private readonly ConcurrentDictionary<string, long> _firstByRequest = new();

        private Receiver(WebApplication app) => _app = app;

        public volatile bool Refuse;
        public string BaseUrl { get; private set; } = "";
        public string Url(string path) => BaseUrl + path;
        public int Accepted(string path) => _accepted.TryGetValue(path, out var bag) ? bag.Count : 0;
        public List<long> AcceptedTimes(string path) => _accepted.TryGetValue(path, out var bag) ? bag.ToList() : [];
        public long? FirstArrival(string requestId) => _firstByRequest.TryGetValue(requestId, out var t) ? t : null;

        public static async Task<Receiver> StartAsync(int serviceMilliseconds)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.Run(async http =>
            {
                var arrived = Stopwatch.GetTimestamp();
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body);
                if (receiver.Refuse) { http.Response.StatusCode = 503; return; }
                if (serviceMilliseconds > 0) await Task.Delay(serviceMilliseconds);
                receiver._accepted.GetOrAdd(http.Request.Path.Value ?? "", _ => []).Add(arrived);
                if (http.Request.Path == "/idle")
                {
                    using var json = JsonDocument.Parse(body.ToArray());
                    receiver._firstByRequest.TryAdd(json.RootElement.GetProperty("request_id").GetString()!, arrived);
                }
                http.Response.StatusCode = 200;
            });
            await app.StartAsync();
            receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return receiver;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
