using System.Diagnostics;
using System.Text;
using Awe.Activities.Webhooks;
using Awe.Host.Configuration;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Awe.Host.Webhooks;

/// <summary>
/// Runs in every replica. A round leases up to batch_size due deliveries — the oldest pending one of each request
/// only, so a request's events arrive in journal order — sends them concurrently, records each attempt, and leases
/// the next batch at once while any are due (a backlog drains at the receivers' pace, not one batch per poll). It
/// then sleeps until the poll interval passes or a commit in this process adds deliveries (<see cref="DeliverySignal"/>).
/// Leases keep two replicas off the same delivery; a replica that dies mid-batch loses its leases when they expire,
/// and another replica picks the deliveries up. A replica that stops gracefully (SIGTERM) aborts its sends in flight and
/// releases their leases, so another replica sends them at its next poll. Delivery is at least once: a send the
/// receiver got but whose answer was not recorded (a crash, a stop mid-send) is sent again with the same webhook-id.
/// </summary>
public sealed class WebhookDispatcher(IServiceScopeFactory scopes, IHttpClientFactory http, IOptionsMonitor<AweOptions> options,
    TimeProvider clock, ILogger<WebhookDispatcher> log, Operations.DatabaseReadiness readiness, DeliverySignal signal)
    : Hosting.PeriodicWorker(clock, log, readiness)
{
    public const string HttpClientName = "awe-webhooks";
    private const int MaxResponseBytes = 4096;

    /// <summary>Identifies this replica in lease_owner.</summary>
    public string ReplicaId { get; } = Hosting.ReplicaIds.New();

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.CurrentValue.Webhook.PollIntervalSeconds);

    protected override Task WaitForNextTickAsync(CancellationToken ct) => signal.WaitAsync(Interval, Clock, ct);

    /// <summary>One dispatcher round: batches until nothing is due; returns how many deliveries were attempted.</summary>
    public override async Task<int> TickAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue.Webhook;
        var attempted = 0;
        while (!ct.IsCancellationRequested)
        {
            // A batch is at most batch_size sends in flight; the next one is claimed when it is done, which is also
            // when a request's next event becomes claimable (order within a request is kept).
            var ids = await ClaimAsync(settings, ct);
            if (ids.Count == 0) break;
            await Task.WhenAll(ids.Select(id => AttemptAsync(id, settings, ct)));
            attempted += ids.Count;
        }
        return attempted;
    }

    /// <summary>Hands back the pending deliveries this replica leased (sends aborted by the stop, batches not started).</summary>
    protected override async Task<int> ReleaseClaimsAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        return await db.WebhookDeliveries.Where(d => d.LeaseOwner == ReplicaId && d.Status == DeliveryStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseOwner, (string?)null).SetProperty(d => d.LeaseUntil, (DateTime?)null), ct);
    }

    private async Task<List<string>> ClaimAsync(WebhookOptions settings, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        var now = Clock.GetUtcNow().UtcDateTime;
        // Longer than one attempt with its timeout (validated at start-up), so a live replica never loses a lease it is using.
        var until = now.AddSeconds(settings.EffectiveLeaseSeconds);
        var sql = """
            UPDATE webhook_delivery SET lease_owner = {0}, lease_until = {1}
            WHERE id IN (
                SELECT d.id FROM webhook_delivery d
                WHERE d.status = 'pending' AND d.next_attempt_at <= {2}
                  AND (d.lease_until IS NULL OR d.lease_until < {2})
                  AND NOT EXISTS (SELECT 1 FROM webhook_delivery e
                                  WHERE e.request_id = d.request_id AND e.status = 'pending' AND e.seq < d.seq)
                ORDER BY d.next_attempt_at, d.seq
                LIMIT {3}
                LOCK_CLAUSE)
            RETURNING id
            """.Replace("LOCK_CLAUSE", db.SkipLockedClause);
        return await db.Database.SqlQueryRaw<string>(sql, ReplicaId, until, now, settings.BatchSize).ToListAsync(ct);
    }

    private async Task AttemptAsync(string id, WebhookOptions settings, CancellationToken ct)
    {
        using var operation = Observability.EngineOperation.Start("webhook_attempt", Activities.Runtime.EngineTelemetry.Spans.DeliverWebhook);
        operation.Span?.SetTag("awe.delivery_id", id);
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        var delivery = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id && d.LeaseOwner == ReplicaId, ct);
        if (delivery is null || delivery.Status != DeliveryStatus.Pending) return;

        var (statusCode, error, warning) = await SendAsync(scope.ServiceProvider, db, delivery, settings, ct);
        var now = Clock.GetUtcNow().UtcDateTime;
        delivery.Attempt += 1;
        delivery.LastAttemptAt = now;
        delivery.LastStatusCode = statusCode;
        delivery.LastError = error;
        delivery.Warning = warning;
        if (error is null)
            delivery.Status = DeliveryStatus.Delivered;
        else if (Backoff.NextAttempt(delivery.Attempt, settings.MaxAttempts, settings.BackoffSeconds, now) is { } next)
            delivery.NextAttemptAt = next;
        else
            delivery.Status = DeliveryStatus.Exhausted;
        // Only a replica still holding the lease may record the attempt (it could have expired under a stall). Once the
        // receiver answered, the answer is recorded even if the host is stopping, so a delivered event is not re-sent.
        using var recording = new CancellationTokenSource(ReleaseTimeout);
        var saved = await db.WebhookDeliveries
            .Where(d => d.Id == id && d.LeaseOwner == ReplicaId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Attempt, delivery.Attempt).SetProperty(d => d.LastAttemptAt, delivery.LastAttemptAt)
                .SetProperty(d => d.LastStatusCode, delivery.LastStatusCode).SetProperty(d => d.LastError, delivery.LastError)
                .SetProperty(d => d.Warning, delivery.Warning).SetProperty(d => d.Status, delivery.Status)
                .SetProperty(d => d.NextAttemptAt, delivery.NextAttemptAt).SetProperty(d => d.LeaseOwner, (string?)null)
                .SetProperty(d => d.LeaseUntil, (DateTime?)null).SetProperty(d => d.UpdatedAt, now), recording.Token);
        Observability.AweMetrics.WebhookAttempts.WithLabels(error is null ? "delivered" : delivery.Status == DeliveryStatus.Exhausted ? "exhausted" : "retry").Inc();
        if (saved == 0) log.LogWarning("Delivery {Id}: lease lost before the attempt was recorded; another replica will retry", id);
        else if (delivery.Status == DeliveryStatus.Exhausted)
            // An operator has to act (fix the caller, then POST /v1/awe/admin/deliveries/{id}/retry): a warning with every id needed.
            log.LogWarning("Delivery {DeliveryId} exhausted after {Attempt} attempts: request {RequestId}, event {EventId} ({EventType}), url {Url}, last error: {Error}",
                id, delivery.Attempt, delivery.RequestId, delivery.EventId, delivery.EventType, delivery.Url, error);
        else if (error is not null) log.LogInformation("Delivery {Id} attempt {Attempt} failed: {Error}", id, delivery.Attempt, error);
    }

    private async Task<(int? StatusCode, string? Error, string? Warning)> SendAsync(IServiceProvider services, AweDbContext db,
        WebhookDelivery delivery, WebhookOptions settings, CancellationToken ct)
    {
        try
        {
            var request = await db.Requests.AsNoTracking().Where(r => r.Id == delivery.RequestId)
                .Select(r => new { r.SourceService, r.CallbackSecretId }).FirstOrDefaultAsync(ct);
            if (request is null) return (null, "request no longer exists", null);
            var caller = request.SourceService;
            if (request.CallbackSecretId is { } secretId)
                caller = await db.CallbackSecrets.Where(s => s.Id == secretId).Select(s => s.CallerService).FirstOrDefaultAsync(ct) ?? caller;
            var secrets = await services.GetRequiredService<CallbackSecrets>().SigningSecretsAsync(caller, ct);
            var warning = secrets.Count == 0 ? $"sent unsigned: caller service '{caller}' has no active callback secret" : null;

            var body = Encoding.UTF8.GetBytes(delivery.Body);
            using var message = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            foreach (var (name, value) in WebhookSignatures.Headers(secrets, delivery.EventId, Clock.GetUtcNow().ToUnixTimeSeconds(), body))
                message.Headers.TryAddWithoutValidation(name, value);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
            var watch = Stopwatch.StartNew();
            try
            {
                using var response = await http.CreateClient(HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var code = (int)response.StatusCode;
                if (code is >= 200 and < 300) return (code, null, warning);
                var excerpt = await ReadExcerptAsync(response, timeout.Token);
                return (code, $"HTTP {code}: {excerpt}", warning);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (null, $"timeout: no answer within {settings.TimeoutSeconds} s ({watch.ElapsedMilliseconds} ms)", warning);
            }
            catch (HttpRequestException e)
            {
                return (null, Truncate($"{e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}", 500), warning);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogError(e, "Delivery {Id}: dispatcher error", delivery.Id);
            return (null, "internal dispatcher error", null);
        }
    }

    /// <summary>Reads at most a few KiB of the answer: a misbehaving endpoint cannot make us buffer megabytes.</summary>
    private static async Task<string> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxResponseBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += read;
        return Truncate(Encoding.UTF8.GetString(buffer, 0, total), 200);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
