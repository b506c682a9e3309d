using Awe.Activities.Model;
using Awe.Activities.Runtime;
using Awe.Activities.Webhooks;
using Awe.Host.Api;
using Awe.Host.Persistence;
using Awe.Host.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Requests;

/// <summary>Loads workflow instances under the request lock and persists what a run created.</summary>
public sealed class InstanceStore(AweDbContext db, DefinitionCache definitions,
    Microsoft.Extensions.Options.IOptionsMonitor<Configuration.AweOptions> options)
{
    /// <summary>Call inside a transaction: takes the request's lock, then reads its current state.</summary>
    public async Task<ApprovalInstance> LoadForUpdateAsync(string requestId, CancellationToken ct)
    {
        await db.LockRequestAsync(requestId, ct);
        var request = await db.Requests.Include(r => r.Tasks).Include(r => r.Decisions).AsSplitQuery()
                          .FirstOrDefaultAsync(r => r.Id == requestId, ct)
                      ?? throw RequestNotFound(requestId);
        var instance = new ApprovalInstance(request, await definitions.GetAsync(db, request.PolicyId, ct));
        instance.Timers.AddRange(await db.Timers.Where(t => t.RequestId == requestId && t.State == TimerState.Pending).ToListAsync(ct));
        return instance;
    }

    /// <summary>
    /// Adds what a run created. Each new event of a request with a callback_url also gets its webhook delivery
    /// row here, in the same transaction (transactional outbox): a rolled-back change sends nothing, and a
    /// committed one can never lose its webhook.
    /// </summary>
    public void AddCreated(ApprovalInstance instance)
    {
        // Add is a no-op for rows already tracked through the request's navigations; unlike Entry() it does not
        // scan the change tracker, which matters when a stage opens thousands of tasks.
        db.Tasks.AddRange(instance.NewTasks);
        db.Decisions.AddRange(instance.NewDecisions);
        db.Events.AddRange(instance.NewEvents);
        db.Timers.AddRange(instance.NewTimers);
        // The commit wakes this replica's scheduler if the new timer is due before it meant to look again (CommitSignalInterceptor).
        if (instance.NewTimers.Count > 0)
        {
            var earliest = instance.NewTimers.Min(t => t.DueAt);
            if (db.EarliestTimerArmed is not { } armed || earliest < armed) db.EarliestTimerArmed = earliest;
        }
        foreach (var e in instance.NewEvents)
            Observability.AweMetrics.JournalEvents.WithLabels(e.EventType).Inc();
        // The notification outbox, like the webhook one: written with the events, so mail is never lost or invented.
        if (options.CurrentValue.Notifier.Enabled)
        {
            var events = instance.NewEvents.ToDictionary(e => e.Id);
            foreach (var n in Activities.Notifications.NotificationPlanner.Plan(instance.Request, instance.NewEvents))
            {
                var at = events[n.EventId].CreatedAt;
                db.Notifications.Add(new Notifications.Notification
                {
                    RequestId = instance.Request.Id, EventId = n.EventId, Kind = n.Kind, Recipient = n.Recipient, TaskId = n.TaskId,
                    NextAttemptAt = at, CreatedAt = at, UpdatedAt = at,
                });
            }
        }
        if (instance.Request.CallbackUrl is not { } url) return;
        db.DeliveriesDue |= instance.NewEvents.Count > 0;
        foreach (var e in instance.NewEvents)
            db.WebhookDeliveries.Add(new WebhookDelivery
            {
                EventId = e.Id, RequestId = e.RequestId, EventType = e.EventType, Seq = e.Seq, Url = url, Body = WebhookBody.Build(e),
                Status = DeliveryStatus.Pending, NextAttemptAt = e.CreatedAt, CreatedAt = e.CreatedAt, UpdatedAt = e.CreatedAt,
            });
    }

    public static AweException RequestNotFound(string id) =>
        AweException.NotFound(ErrorCodes.RequestNotFound, $"request '{id}' does not exist");

    public static AweException TaskNotFound(string id) =>
        AweException.NotFound(ErrorCodes.TaskNotFound, $"task '{id}' does not exist");
}
