using Awe.Activities.Model;
using Awe.Activities.Webhooks;
using Awe.Host.Configuration;
using Awe.Host.Persistence;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Awe.Host.Notifications;

/// <summary>
/// Sends the notification outbox by SMTP (MailKit). Runs in every replica when awe.notifier.enabled: each tick it
/// leases due notifications (FOR UPDATE SKIP LOCKED on PostgreSQL), sends them over one SMTP connection, and records
/// each outcome under its lease. A failed send is retried with backoff, so an SMTP outage delays mail and loses none;
/// a notification is marked sent right after the server accepted it, and its id is the Message-ID.
/// </summary>
public sealed class NotificationSender(IServiceScopeFactory scopes, IOptionsMonitor<AweOptions> options, MailTemplates templates,
    RecipientAddresses addresses, TimeProvider clock, ILogger<NotificationSender> log, Operations.DatabaseReadiness readiness)
    : Hosting.PeriodicWorker(clock, log, readiness)
{
    public string ReplicaId { get; } = Hosting.ReplicaIds.New();

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.CurrentValue.Notifier.PollIntervalSeconds);

    /// <summary>One round; returns how many notifications it worked on.</summary>
    public override async Task<int> TickAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue.Notifier;
        if (!settings.Enabled) return 0;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        // Sending stops while the claim still has time for one more mail (connect + send); the rest are released.
        var stopAt = Clock.GetUtcNow().UtcDateTime.AddSeconds(settings.LeaseSeconds - settings.TimeoutSeconds * 2);
        var ids = await ClaimAsync(db, settings, ct);
        if (ids.Count == 0) return 0;

        var batch = await db.Notifications.AsNoTracking().Where(n => ids.Contains(n.Id) && n.LeaseOwner == ReplicaId).ToListAsync(ct);
        SmtpClient? smtp = null;
        string? smtpDown = null;
        try
        {
            foreach (var n in batch.OrderBy(n => n.CreatedAt))
            {
                if (Clock.GetUtcNow().UtcDateTime > stopAt)
                {
                    // Past this point another replica could claim them when the lease ends and send them beside us.
                    await db.Notifications.Where(x => x.LeaseOwner == ReplicaId && x.Status == NotificationStatus.Pending && ids.Contains(x.Id))
                        .ExecuteUpdateAsync(u => u.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntil, (DateTime?)null), ct);
                    break;
                }
                var (address, reason, lookupError) = await AddressAsync(n.Recipient, ct);
                if (lookupError is not null)
                {
                    await RecordAsync(db, n, settings, error: lookupError, ct: ct);
                    continue;
                }
                if (address is null)
                {
                    await RecordAsync(db, n, settings, skipped: reason, ct: ct);
                    continue;
                }
                if (smtp is null && smtpDown is null)
                    (smtp, smtpDown) = await ConnectAsync(settings, ct);
                if (smtpDown is not null)
                {
                    await RecordAsync(db, n, settings, address: address, error: smtpDown, ct: ct);
                    continue;
                }
                try
                {
                    var message = await ComposeAsync(db, n, address, settings, ct);
                    await smtp!.SendAsync(message, ct);
                    // Accepted by the server: recorded even if the host is stopping, so the mail is not sent twice.
                    using var recording = new CancellationTokenSource(ReleaseTimeout);
                    await RecordAsync(db, n, settings, address: address, sent: true, ct: recording.Token);
                }
                catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or IOException or ServiceNotConnectedException)
                {
                    await RecordAsync(db, n, settings, address: address, error: $"SMTP: {e.Message}", ct: ct);
                    // A broken connection is not reused; a refused recipient leaves it usable.
                    if (e is not SmtpCommandException) { smtp!.Dispose(); smtp = null; }
                }
            }
        }
        finally
        {
            if (smtp is not null)
            {
                try { await smtp.DisconnectAsync(true, CancellationToken.None); } catch (Exception) { /* the mail is already recorded */ }
                smtp.Dispose();
            }
        }
        return batch.Count;
    }

    /// <summary>Hands back the pending notifications this replica leased but did not get to send before the stop.</summary>
    protected override async Task<int> ReleaseClaimsAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        return await db.Notifications.Where(x => x.LeaseOwner == ReplicaId && x.Status == NotificationStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntil, (DateTime?)null), ct);
    }

    private async Task<List<string>> ClaimAsync(AweDbContext db, NotifierOptions settings, CancellationToken ct)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var sql = """
            UPDATE notification SET lease_owner = {0}, lease_until = {1}
            WHERE id IN (
                SELECT n.id FROM notification n
                WHERE n.status = 'pending' AND n.next_attempt_at <= {2} AND (n.lease_until IS NULL OR n.lease_until < {2})
                ORDER BY n.next_attempt_at
                LIMIT {3}
                LOCK_CLAUSE)
            RETURNING id
            """.Replace("LOCK_CLAUSE", db.SkipLockedClause);
        return await db.Database.SqlQueryRaw<string>(sql, ReplicaId, now.AddSeconds(settings.LeaseSeconds), now, settings.BatchSize).ToListAsync(ct);
    }

    private async Task<(string? Address, string? Reason, string? LookupError)> AddressAsync(string recipient, CancellationToken ct)
    {
        try
        {
            var (address, reason) = await addresses.ResolveAsync(recipient, ct);
            return (address, reason, null);
        }
        catch (Identity.KeycloakException e)
        {
            return (null, null, $"looking up the e-mail of '{recipient}' in Keycloak failed: {e.Message}");
        }
    }

    private static async Task<(SmtpClient? Client, string? Error)> ConnectAsync(NotifierOptions settings, CancellationToken ct)
    {
        var client = new SmtpClient { Timeout = settings.TimeoutSeconds * 1000 };
        try
        {
            await client.ConnectAsync(settings.SmtpHost, settings.SmtpPort, settings.UseTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, ct);
            if (!string.IsNullOrEmpty(settings.SmtpUser)) await client.AuthenticateAsync(settings.SmtpUser, settings.SmtpPassword, ct);
            return (client, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            client.Dispose();
            return (null, $"SMTP server {settings.SmtpHost}:{settings.SmtpPort} unavailable: {e.Message}");
        }
    }

    private async Task<MimeMessage> ComposeAsync(AweDbContext db, Notification n, string address, NotifierOptions settings, CancellationToken ct)
    {
        var e = await db.Events.AsNoTracking().FirstAsync(x => x.Id == n.EventId, ct);
        var r = await db.Requests.AsNoTracking().Where(x => x.Id == n.RequestId)
            .Select(x => new { x.Id, x.ArtifactType, x.ArtifactId, x.PolicyKey, x.PolicyId, x.Status }).FirstAsync(ct);
        var stageOrder = (int?)e.Payload["stage_order"];
        var stageName = (string?)e.Payload["name"] ?? await db.Stages.AsNoTracking()
            .Where(s => s.PolicyId == r.PolicyId && s.StageOrder == stageOrder).Select(s => s.Name).FirstOrDefaultAsync(ct);
        var dueAt = n.TaskId is null ? null : await db.Tasks.AsNoTracking().Where(t => t.Id == n.TaskId).Select(t => t.DueAt).FirstOrDefaultAsync(ct);
        var model = new Dictionary<string, object?>
        {
            ["recipient"] = n.Recipient, ["stage_order"] = stageOrder, ["stage_name"] = stageName, ["task_id"] = n.TaskId,
            ["due_at"] = dueAt?.ToString("yyyy-MM-dd HH:mm"), ["reason"] = (string?)e.Payload["reason"], ["inbox_url"] = settings.InboxUrl,
            ["request"] = new Dictionary<string, object?>
            {
                ["id"] = r.Id, ["artifact_type"] = r.ArtifactType, ["artifact_id"] = r.ArtifactId, ["policy_key"] = r.PolicyKey,
                // The outcome the event announced, not a later status.
                ["status"] = (string?)e.Payload["status"] ?? r.Status,
            },
        };
        var (subject, text, html) = templates.Render(n.Kind, model);
        var message = new MimeMessage { Subject = subject, MessageId = $"{n.Id}@awe" };
        message.From.Add(MailboxAddress.Parse(settings.FromAddress));
        message.To.Add(MailboxAddress.Parse(address));
        message.Headers.Add("X-AWE-Request", n.RequestId);
        message.Headers.Add("X-AWE-Notification", n.Kind);
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }

    /// <summary>Records one outcome, only while this replica still holds the lease.</summary>
    private async Task RecordAsync(AweDbContext db, Notification n, NotifierOptions settings, string? address = null, bool sent = false,
        string? skipped = null, string? error = null, CancellationToken ct = default)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var attempt = n.Attempt + (skipped is null ? 1 : 0);
        var (status, next) = sent ? (NotificationStatus.Sent, n.NextAttemptAt)
            : skipped is not null ? (NotificationStatus.Skipped, n.NextAttemptAt)
            : Backoff.NextAttempt(attempt, settings.MaxAttempts, settings.BackoffSeconds, now) is { } retryAt ? (NotificationStatus.Pending, retryAt)
            : (NotificationStatus.Failed, n.NextAttemptAt);
        var saved = await db.Notifications.Where(x => x.Id == n.Id && x.LeaseOwner == ReplicaId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, status).SetProperty(x => x.Attempt, attempt).SetProperty(x => x.NextAttemptAt, next)
                .SetProperty(x => x.Address, address).SetProperty(x => x.LastError, skipped ?? error)
                .SetProperty(x => x.SentAt, sent ? now : null).SetProperty(x => x.LeaseOwner, (string?)null)
                .SetProperty(x => x.LeaseUntil, (DateTime?)null).SetProperty(x => x.UpdatedAt, now), ct);
        Observability.AweMetrics.Notifications.WithLabels(n.Kind, status == NotificationStatus.Pending ? "retry" : status).Inc();
        if (saved == 0) log.LogWarning("Notification {Id}: lease lost before its outcome was recorded", n.Id);
        else if (error is not null) log.LogInformation("Notification {Id} attempt {Attempt} failed: {Error}", n.Id, attempt, error);
    }
}
