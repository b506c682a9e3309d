using System.Text.Json.Nodes;
using Awe.Activities.Deadlines;
using Awe.Activities.Model;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Runtime;

/// <summary>
/// Deadlines: stage SLAs and their breach actions, reminders, request expiry, and the durable timers that make them
/// act. Timers are derived from the instance at the end of every run (like bookmarks), so a timer is armed in the
/// transaction of the change that needs it and made moot in the one that ends what it watched.
/// </summary>
public sealed partial class ApprovalRunner
{
    /// <summary>Actor of everything a deadline does (auto decisions, expiries, escalations).</summary>
    public const string SlaActor = "sla-monitor";

    /// <summary>Node id of request-level timers (expiry).</summary>
    public const string RequestNodeId = "request";

    /// <summary>
    /// Fires a claimed timer. Call under the request lock, inside a transaction: the timer is re-checked against the
    /// instance as it is now (a decision may have made it moot a moment ago) and acts at most once.
    /// </summary>
    /// <returns>What happened: "moot", "not_due", "expired", "reminded", or the breach action taken.</returns>
    public async Task<string> FireTimerAsync(ApprovalInstance instance, string timerId, CancellationToken ct)
    {
        var timer = instance.Timers.FirstOrDefault(t => t.Id == timerId);
        if (timer is null || timer.State != TimerState.Pending) return TimerOutcome.Moot;
        var now = Now;
        if (timer.DueAt > now) return TimerOutcome.NotDue;
        instance.DeferResolutionFailures = true;
        timer.State = TimerState.Fired;
        // lease_owner stays: it tells operators which replica fired the timer.
        timer.FiredAt = timer.UpdatedAt = now;
        timer.LeaseUntil = null;

        var outcome = RequestStatus.IsTerminal(instance.Request.Status) ? TimerOutcome.Moot : timer.Kind switch
        {
            TimerKind.RequestExpiry => ExpireRequest(instance),
            TimerKind.SlaBreach => await BreachStageAsync(instance, timer.NodeId, now, ct),
            TimerKind.Reminder => Remind(instance, timer.NodeId, now),
            _ => TimerOutcome.Moot,
        };
        if (outcome == TimerOutcome.Moot) timer.State = TimerState.Cancelled;
        else Touch(instance);
        SaveState(instance);
        return outcome;
    }

    /// <summary>
    /// Gives up on a timer whose firing kept throwing: marks it failed and journals timer_failed, so the request's
    /// page, its webhooks and the metrics show that it waits on an operator. Nothing else changes — in particular
    /// the timers are not derived again here, which would arm the same deadline at once.
    /// </summary>
    public void FailTimer(ApprovalInstance instance, string timerId, int attempts, string error)
    {
        var timer = instance.Timers.FirstOrDefault(t => t.Id == timerId);
        if (timer is null || timer.State != TimerState.Pending) return;
        var now = Now;
        timer.State = TimerState.Failed;
        timer.Attempts = attempts;
        timer.LastError = error;
        timer.LeaseUntil = null;
        timer.UpdatedAt = now;
        instance.Request.UpdatedAt = now;
        Emit(instance, EventType.TimerFailed, new JsonObject
        {
            ["timer_id"] = timer.Id, ["kind"] = timer.Kind, ["node_id"] = timer.NodeId, ["due_at"] = timer.DueAt, ["attempts"] = attempts,
            ["error"] = error,
        }, timer.StageOrder);
    }

    private DateTime? StageDueAt(WorkflowDefinition definition, StageSpec stage, DateTime now) =>
        stage.SlaDuration is { } span ? Deadline.Whole(Deadline.After(now, span, CalendarOf(definition, stage))) : null;

    /// <summary>
    /// The stage's calendar, else the policy's, else none (elapsed time). A calendar removed from configuration
    /// after activation counts elapsed time rather than leaving the deadline unset.
    /// </summary>
    private BusinessCalendar? CalendarOf(WorkflowDefinition definition, StageSpec stage) =>
        (stage.Calendar ?? definition.Calendar) is { } name && _settings.Calendars?.TryGetValue(name, out var calendar) == true ? calendar : null;

    private void ArmReminders(ApprovalInstance instance, WorkflowNode node, DateTime now)
    {
        if (node.Stage!.ReminderInterval is { } every)
            instance.State.NextReminders[node.Id] = Deadline.Whole(Deadline.After(now, every, CalendarOf(instance.Definition, node.Stage)));
        else
            instance.State.NextReminders.Remove(node.Id);
    }

    private string ExpireRequest(ApprovalInstance instance)
    {
        var closed = CloseLiveTasks(instance, instance.Request.Tasks);
        CloseActiveNodes(instance);
        instance.State.ResolutionRetries.Clear();
        Finish(instance, RequestStatus.Expired);
        Emit(instance, EventType.RequestExpired, new JsonObject
        {
            ["actor"] = SlaActor, ["expires_at"] = instance.Request.ExpiresAt, ["closed_task_ids"] = Strings(closed.Select(t => t.Id)),
        });
        return TimerOutcome.Expired;
    }

    private string Remind(ApprovalInstance instance, string nodeId, DateTime now)
    {
        var node = instance.Definition.Node(nodeId);
        var live = instance.StageTasks(node.Stage!.StageOrder).Where(t => t.Kind == TaskKind.Approver && TaskStatus.IsLive(t.Status)).ToList();
        if (instance.State.NodeState(nodeId) != NodeStates.Active || live.Count == 0) return TimerOutcome.Moot;
        foreach (var task in live)
            Emit(instance, EventType.TaskReminder, new JsonObject
            {
                ["task_id"] = task.Id, ["assignee"] = task.Assignee, ["due_at"] = task.DueAt, ["name"] = node.Stage.Name,
            }, node.Stage.StageOrder);
        ArmReminders(instance, node, now);
        return TimerOutcome.Reminded;
    }

    /// <summary>
    /// The stage's deadline passed with approver tasks still open: applies its on_breach (notify by default), journals
    /// it, and evaluates the stage as after any decision, so the request advances or ends (never waits on nothing).
    /// </summary>
    private async Task<string> BreachStageAsync(ApprovalInstance instance, string nodeId, DateTime now, CancellationToken ct)
    {
        var node = instance.Definition.Node(nodeId);
        var stage = node.Stage!;
        var overdue = instance.StageTasks(stage.StageOrder)
            .Where(t => t.Kind == TaskKind.Approver && TaskStatus.IsLive(t.Status) && t.DueAt <= now).ToList();
        if (instance.State.NodeState(nodeId) != NodeStates.Active || overdue.Count == 0) return TimerOutcome.Moot;

        var configured = stage.OnBreach ?? OnBreach.Notify;
        var escalations = instance.State.Escalations.GetValueOrDefault(nodeId);
        var action = configured == OnBreach.Escalate && escalations >= _settings.MaxEscalations ? OnBreach.Notify : configured;
        Emit(instance, EventType.SlaBreached, new JsonObject
        {
            ["name"] = stage.Name, ["on_breach"] = configured, ["action"] = action, ["due_at"] = overdue.Min(t => t.DueAt),
            ["task_ids"] = Strings(overdue.Select(t => t.Id)), ["assignees"] = Strings(overdue.Select(t => t.Assignee)),
            ["escalations"] = escalations,
        }, stage.StageOrder);

        switch (action)
        {
            case OnBreach.AutoApprove or OnBreach.AutoReject:
                var decision = action == OnBreach.AutoApprove ? DecisionAction.Approve : DecisionAction.Reject;
                foreach (var task in overdue)
                    RecordDecision(instance, task, SlaActor, decision,
                        $"SLA breached: no decision by {task.DueAt:yyyy-MM-dd'T'HH:mm:ss'Z'}; stage '{stage.Name}' has on_breach {action}", null, now);
                await ContinueAfterBreachAsync(instance, node, rejectReason: null, ct);
                break;

            case OnBreach.Escalate:
                await EscalateAsync(instance, node, overdue, escalations + 1, now, ct);
                break;

            default:
                foreach (var task in overdue)
                {
                    task.Status = TaskStatus.Expired;
                    task.CompletedAt = task.UpdatedAt = now;
                    Emit(instance, EventType.TaskExpired, new JsonObject
                    {
                        ["task_id"] = task.Id, ["assignee"] = task.Assignee, ["due_at"] = task.DueAt, ["kind"] = task.Kind,
                    }, stage.StageOrder);
                }
                // A stage that can no longer reach its quorum is rejected as sla_expired, not with the quorum's own reason.
                await ContinueAfterBreachAsync(instance, node, rejectReason: "sla_expired", ct);
                break;
        }
        return action;
    }

    private async Task ContinueAfterBreachAsync(ApprovalInstance instance, WorkflowNode node, string? rejectReason, CancellationToken ct)
    {
        var outcome = EvaluateStage(instance, node, SlaActor, rejectReason);
        if (outcome is not null)
            await RunAsync(instance, instance.Definition.Targets(node.Id, outcome), SlaActor, ct);
        UpdateCurrentStage(instance);
    }

    /// <summary>
    /// Resolves the escalation rules as a stage's own rules are resolved (delegations and segregation of duties apply),
    /// adds tasks for the people not already on the stage, and gives every live approver task a fresh deadline.
    /// </summary>
    private async Task EscalateAsync(ApprovalInstance instance, WorkflowNode node, List<ApprovalTask> overdue, int escalation,
        DateTime now, CancellationToken ct)
    {
        var stage = node.Stage!;
        var plan = await PlanStageAsync(stage with { Rules = stage.EscalationRules }, instance.Request, SegregationOfDuties.For(instance), ct);
        var onStage = instance.StageTasks(stage.StageOrder)
            .Where(t => TaskStatus.IsLive(t.Status) || t.Status == TaskStatus.Completed).Select(t => t.Assignee).ToHashSet();
        var dueAt = StageDueAt(instance.Definition, stage, now);
        var added = new List<ApprovalTask>();
        foreach (var a in plan.Approvers.Where(a => !onStage.Contains(a.Assignee)))
            added.Add(NewTask(instance.Request, stage, a.Assignee, TaskKind.Approver, a.DelegatedFrom, a.RequiredSlot, dueAt, now));
        foreach (var o in plan.Observers.Where(o => !onStage.Contains(o.Assignee)))
            added.Add(NewTask(instance.Request, stage, o.Assignee, TaskKind.Observer, o.DelegatedFrom, null, null, now));
        foreach (var task in added) AddTask(instance, task);
        foreach (var task in instance.StageTasks(stage.StageOrder).Where(t => t.Kind == TaskKind.Approver && TaskStatus.IsLive(t.Status)))
        {
            task.DueAt = dueAt;
            task.UpdatedAt = now;
        }
        instance.State.Escalations[node.Id] = escalation;
        Emit(instance, EventType.StageEscalated, new JsonObject
        {
            ["name"] = stage.Name, ["escalation"] = escalation, ["max_escalations"] = _settings.MaxEscalations, ["due_at"] = dueAt,
            ["overdue_task_ids"] = Strings(overdue.Select(t => t.Id)),
            ["added_approvers"] = Strings(added.Where(t => t.Kind == TaskKind.Approver).Select(t => t.Assignee)),
            ["added_observers"] = Strings(added.Where(t => t.Kind == TaskKind.Observer).Select(t => t.Assignee)),
            ["excluded"] = Excluded(plan),
        }, stage.StageOrder);
    }

    /// <summary>
    /// Makes the request's pending timers match what it waits for now: its expiry, each active stage's deadline (the
    /// earliest due_at of its live approver tasks) and next reminder. Moot timers are cancelled, missing ones armed.
    /// </summary>
    private void SyncTimers(ApprovalInstance instance)
    {
        var request = instance.Request;
        var desired = new List<(string Kind, string NodeId, int? StageOrder, DateTime DueAt)>();
        if (!RequestStatus.IsTerminal(request.Status))
        {
            if (request.ExpiresAt is { } expiresAt) desired.Add((TimerKind.RequestExpiry, RequestNodeId, null, expiresAt));
            foreach (var node in instance.Definition.StageNodes.Where(n => instance.State.NodeState(n.Id) == NodeStates.Active))
            {
                var order = node.Stage!.StageOrder;
                var live = instance.StageTasks(order).Where(t => t.Kind == TaskKind.Approver && TaskStatus.IsLive(t.Status)).ToList();
                if (live.Where(t => t.DueAt is not null).Select(t => t.DueAt!.Value).DefaultIfEmpty().Min() is var due && due != default)
                    desired.Add((TimerKind.SlaBreach, node.Id, order, due));
                if (live.Count > 0 && instance.State.NextReminders.TryGetValue(node.Id, out var remindAt))
                    desired.Add((TimerKind.Reminder, node.Id, order, remindAt));
            }
        }

        var now = Now;
        static bool Same(ApprovalTimer t, (string Kind, string NodeId, int? StageOrder, DateTime DueAt) d) =>
            t.Kind == d.Kind && t.NodeId == d.NodeId && Math.Abs((t.DueAt - d.DueAt).TotalMilliseconds) < 1;
        foreach (var timer in instance.Timers.Where(t => t.State == TimerState.Pending && !desired.Any(d => Same(t, d))).ToList())
        {
            if (instance.NewTimers.Remove(timer)) instance.Timers.Remove(timer); // armed and made moot within one run
            else
            {
                timer.State = TimerState.Cancelled;
                timer.UpdatedAt = now;
            }
        }
        foreach (var d in desired.Where(d => !instance.Timers.Any(t => t.State == TimerState.Pending && Same(t, d))))
        {
            var timer = new ApprovalTimer
            {
                RequestId = request.Id, NodeId = d.NodeId, StageOrder = d.StageOrder, Kind = d.Kind, DueAt = d.DueAt,
                CreatedAt = now, UpdatedAt = now,
            };
            instance.Timers.Add(timer);
            instance.NewTimers.Add(timer);
        }
    }
}

public static class OnBreach
{
    public const string Notify = "notify";
    public const string AutoApprove = "auto_approve";
    public const string AutoReject = "auto_reject";
    public const string Escalate = "escalate";
}

public static class TimerOutcome
{
    public const string Moot = "moot";
    public const string NotDue = "not_due";
    public const string Expired = "expired";
    public const string Reminded = "reminded";
}
