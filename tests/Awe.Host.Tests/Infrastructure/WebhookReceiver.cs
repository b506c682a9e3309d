using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>One POST the receiver got: the raw body bytes and headers exactly as they arrived, and when.</summary>
public sealed class ReceivedWebhook
{
    /// <summary>Order of arrival at this receiver, from 0.</summary>
    public required int Index { get; init; }
    public required string Path { get; init; }
    public required byte[] Body { get; init; }
    /// <summary>Header name (case-insensitive) → value as sent (repeated headers joined with ", ").</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }
    /// <summary>Stopwatch ticks when the request arrived (before the body was read).</summary>
    public required long ArrivedTicks { get; init; }
    public required DateTimeOffset ArrivedAt { get; init; }
    /// <summary>Stopwatch ticks when the answer was decided (or the caller went away); null while still in flight.</summary>
    public long? FinishedTicks { get; internal set; }
    /// <summary>The status code answered; null while in flight or when the caller hung up first.</summary>
    public int? StatusCode { get; internal set; }
    /// <summary>The sender gave up (timeout, process killed) before the answer.</summary>
    public bool Aborted { get; internal set; }

    public string BodyText => Encoding.UTF8.GetString(Body);
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
    public string EventId => Header("X-Approval-Event-Id") ?? throw new InvalidOperationException("no X-Approval-Event-Id header");
    public string RequestId => (string)Json["request_id"]!;
    public string EventType => (string)Json["event_type"]!;
    public int Seq => (int)Json["seq"]!;
    public bool InFlight => FinishedTicks is null;
    public bool Succeeded => StatusCode is >= 200 and < 300;

    public override string ToString() =>
        $"#{Index} {Header("X-Approval-Event-Id")} → {(Aborted ? "aborted" : StatusCode?.ToString() ?? "in flight")}";
}

/// <summary>How the receiver answers one delivery: a status code, possibly after waiting.</summary>
public delegate Task<int> WebhookBehavior(ReceivedWebhook delivery, int attemptOfThisEvent, CancellationToken aborted);

/// <summary>
/// A real HTTP server (Kestrel) on 127.0.0.1 with a free port that records every POST byte for byte and answers
/// as scripted: <see cref="Behavior"/> can be swapped at any time (e.g. from "always 500" to "200").
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _index = -1;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Base address, e.g. http://127.0.0.1:41235.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>A callback URL on this receiver.</summary>
    public string Url(string path = "/hook") => BaseUrl + path;

    public WebhookBehavior Behavior { get; set; } = Respond.Ok;

    /// <summary>Location sent with 3xx answers.</summary>
    public string? RedirectTo { get; set; }

    public IReadOnlyList<ReceivedWebhook> Received => _received.OrderBy(r => r.Index).ToList();

    public static async Task<WebhookReceiver> StartAsync(WebhookBehavior? behavior = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        if (behavior is not null) receiver.Behavior = behavior;
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.BaseUrl = app.Urls.Single().TrimEnd('/');
        return receiver;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var arrived = Stopwatch.GetTimestamp();
        var arrivedAt = DateTimeOffset.UtcNow;
        using var body = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(body, ctx.RequestAborted);
        var record = new ReceivedWebhook
        {
            Index = Interlocked.Increment(ref _index),
            Path = ctx.Request.Path.Value ?? "",
            Body = body.ToArray(),
            Headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            ArrivedTicks = arrived,
            ArrivedAt = arrivedAt,
        };
        _received.Enqueue(record);
        var attempt = _attempts.AddOrUpdate(record.Header("X-Approval-Event-Id") ?? "", 1, (_, n) => n + 1);
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        try
        {
            var status = await Behavior(record, attempt, aborted.Token);
            ctx.Response.StatusCode = status;
            if (status is >= 300 and < 400 && RedirectTo is not null) ctx.Response.Headers.Location = RedirectTo;
            await ctx.Response.WriteAsync(status is >= 200 and < 300 ? "ok" : $"scripted failure {status}", ctx.RequestAborted);
            record.StatusCode = status;
        }
        catch (OperationCanceledException)
        {
            record.Aborted = true;
        }
        finally
        {
            record.FinishedTicks = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Waits until the deliveries received so far satisfy <paramref name="condition"/>; fails after the deadline.</summary>
    public Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> condition, string what,
        int seconds = 30) =>
        Wait.UntilAsync(() => Task.FromResult(Received), condition, what, seconds, last => string.Join("\n", last));

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}

/// <summary>Ready-made receiver behaviours.</summary>
public static class Respond
{
    public static readonly WebhookBehavior Ok = (_, _, _) => Task.FromResult(200);

    public static WebhookBehavior Status(int code) => (_, _, _) => Task.FromResult(code);

    /// <summary>The first <paramref name="failures"/> attempts of each event get 500, later ones 200.</summary>
    public static WebhookBehavior FailFirst(int failures) => (_, attempt, _) => Task.FromResult(attempt <= failures ? 500 : 200);

    /// <summary>Answers <paramref name="code"/> after <paramref name="delay"/> (or never, if the sender hangs up first).</summary>
    public static WebhookBehavior After(TimeSpan delay, int code = 200) => async (_, _, aborted) =>
    {
        await Task.Delay(delay, aborted);
        return code;
    };

    /// <summary>Never answers: holds every delivery until the sender gives up or the receiver stops.</summary>
    public static readonly WebhookBehavior Hang = async (_, _, aborted) =>
    {
        await Task.Delay(Timeout.Infinite, aborted);
        return 200;
    };
}
