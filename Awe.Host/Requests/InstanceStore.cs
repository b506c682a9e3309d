using Awe.Activities.Model;
using Awe.Activities.Runtime;
using Awe.Activities.Webhooks;
using Awe.Host.Api;
using Awe.Host.Persistence;
using Awe.Host.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Awe.Host.Requests;

/// <summary>Loads workflow instances under the request lock and persists what a run created.</summary>
public sealed class InstanceStore(AweDbContext db, DefinitionCache definitions, Delegations.DatabaseDelegationLookup delegations, TimeProvider clock,
    Microsoft.Extensions.Options.IOptionsMonitor<Configuration.AweOptions> options)
{
    /// <summary>Call inside a transaction: takes the request's lock, then reads its current state.</summary>
    public async Task<ApprovalInstance> LoadForUpdateAsync(string requestId, CancellationToken ct)
    {
        if (db.IsPostgres) return await LockAndLoadAsync("$1", requestId, ct) ?? throw RequestNotFound(requestId);
        await db.LockRequestAsync(requestId, ct);
        var request = await db.Requests.Include(r => r.Tasks).Include(r => r.Decisions).AsSplitQuery()
                          .FirstOrDefaultAsync(r => r.Id == requestId, ct)
                      ?? throw RequestNotFound(requestId);
        var instance = new ApprovalInstance(request, await definitions.GetAsync(db, request.PolicyId, ct));
        instance.Timers.AddRange(await db.Timers.Where(t => t.RequestId == requestId && t.State == TimerState.Pending).ToListAsync(ct));
        return instance;
    }

    /// <summary>As <see cref="LoadForUpdateAsync"/> for the request of a task (404 naming the task if there is none).</summary>
    public async Task<ApprovalInstance> LoadForUpdateByTaskAsync(string taskId, CancellationToken ct)
    {
        if (db.IsPostgres) return await LockAndLoadAsync("(SELECT request_id FROM approval_task WHERE id = $1)", taskId, ct) ?? throw TaskNotFound(taskId);
        var requestId = await db.Tasks.Where(t => t.Id == taskId).Select(t => t.RequestId).FirstOrDefaultAsync(ct) ?? throw TaskNotFound(taskId);
        return await LoadForUpdateAsync(requestId, ct);
    }

    private static readonly object RowsGate = new();
    private static (EntityRows<ApprovalRequest> Requests, EntityRows<ApprovalTask> Tasks, EntityRows<ApprovalDecision> Decisions, EntityRows<ApprovalTimer> Timers)? _rows;

    /// <summary>
    /// PostgreSQL: locks the request and reads it, its tasks, decisions and pending timers, and whether anyone's
    /// delegation is active around now, in one round trip. The statements of a batch run in order, so every read after
    /// the first sees the request as its lock holder does. <paramref name="requestIdSql"/> is the request id in SQL, a
    /// constant of this class over parameter $1. Null when no request matches.
    /// </summary>
    private async Task<ApprovalInstance?> LockAndLoadAsync(string requestIdSql, string id, CancellationToken ct)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction
                          ?? throw new InvalidOperationException("an instance is loaded for update inside a transaction");
        var rows = Rows(db.Model);
        var now = clock.GetUtcNow().UtcDateTime;
        var (from, until) = (now - Delegations.DatabaseDelegationLookup.Margin, now + Delegations.DatabaseDelegationLookup.Margin);
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction)
        {
            BatchCommands =
            {
                Command($"SELECT {rows.Requests.Columns} FROM approval_request WHERE id = {requestIdSql} FOR UPDATE", id),
                Command($"SELECT {rows.Tasks.Columns} FROM approval_task WHERE request_id = {requestIdSql}", id),
                Command($"SELECT {rows.Decisions.Columns} FROM approval_decision WHERE request_id = {requestIdSql}", id),
                Command($"SELECT {rows.Timers.Columns} FROM approval_timer WHERE request_id = {requestIdSql} AND state = $2", id, TimerState.Pending),
                Command("SELECT EXISTS (SELECT 1 FROM user_delegation WHERE starts_at < $1 AND ends_at > $2)", until, from),
            },
        };
        ApprovalRequest? request;
        List<ApprovalTimer> pending;
        bool delegationsNearby;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            request = (await rows.Requests.ReadAllAsync(reader, ct)).SingleOrDefault();
            await reader.NextResultAsync(ct);
            var tasks = await rows.Tasks.ReadAllAsync(reader, ct);
            await reader.NextResultAsync(ct);
            var decisions = await rows.Decisions.ReadAllAsync(reader, ct);
            await reader.NextResultAsync(ct);
            pending = await rows.Timers.ReadAllAsync(reader, ct);
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            delegationsNearby = reader.GetBoolean(0);
            if (request is null) return null;
            request.Tasks.AddRange(tasks);
            request.Decisions.AddRange(decisions);
        }
        // Tracked from here as if EF had loaded them: the run's changes to them are saved as updates.
        db.Requests.Attach(request);
        db.Timers.AttachRange(pending);
        if (!delegationsNearby) delegations.NoneActiveBetween(from, until);
        var instance = new ApprovalInstance(request, await definitions.GetAsync(db, request.PolicyId, ct));
        instance.Timers.AddRange(pending);
        return instance;
    }

    private static (EntityRows<ApprovalRequest> Requests, EntityRows<ApprovalTask> Tasks, EntityRows<ApprovalDecision> Decisions, EntityRows<ApprovalTimer> Timers) Rows(
        Microsoft.EntityFrameworkCore.Metadata.IModel model)
    {
        lock (RowsGate)
            // search_text is written once, at creation, and never read back by a run.
            return _rows ??= (new(model, nameof(ApprovalRequest.SearchText)), new(model), new(model), new(model));
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return command;
    }

    /// <summary>
    /// Saves a new request (see <see cref="AweDbContext.SaveAtomicallyAsync"/>). The save is its own commit, which
    /// <see cref="Persistence.CommitSignalInterceptor"/> sees: it wakes the dispatcher and the timer scheduler then.
    /// </summary>
    public Task SaveCreatedAsync(CancellationToken ct) => db.SaveAtomicallyAsync(ct);

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
        {
            Observability.AweMetrics.JournalEvents.WithLabels(e.EventType).Inc();
            if (e.EventType == EventType.StageCompleted) Observability.StageTiming.Completed(instance.Request, e);
        }
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
