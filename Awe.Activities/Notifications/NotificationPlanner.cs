using System.Text.Json.Nodes;
using Awe.Activities.Model;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Notifications;

/// <summary>One e-mail to write to the outbox: who hears of which event, and why.</summary>
public sealed record PlannedNotification(string EventId, string Kind, string Recipient, string? TaskId);

public static class NotificationKind
{
    public const string TaskAssigned = "task_assigned";
    public const string ForInformation = "for_information";
    public const string Reminder = "reminder";
    public const string TaskReassigned = "task_reassigned";
    public const string Escalated = "escalated";
    public const string TaskExpired = "task_expired";
    public const string RequestOutcome = "request_outcome";

    public static readonly IReadOnlyList<string> All = [TaskAssigned, ForInformation, Reminder, TaskReassigned, Escalated, TaskExpired, RequestOutcome];
}

/// <summary>
/// Who must hear of what a run journaled: a stage's approvers that it started (its observers for information),
/// a reminded assignee, a task's new assignee, approvers added by an escalation, the assignee of an expired task,
/// and the requester of a request that ended (when the requester is a person, not the calling service).
/// One person gets at most one notification per event.
/// </summary>
public static class NotificationPlanner
{
    public static IReadOnlyList<PlannedNotification> Plan(ApprovalRequest request, IEnumerable<ApprovalEvent> events)
    {
        var planned = new List<PlannedNotification>();
        foreach (var e in events)
        {
            var p = e.Payload;
            var stageOrder = (int?)p["stage_order"];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            void Add(string kind, string? recipient, string? taskId)
            {
                if (!string.IsNullOrWhiteSpace(recipient) && seen.Add(recipient)) planned.Add(new PlannedNotification(e.Id, kind, recipient, taskId));
            }
            string? LiveTask(string assignee) => request.Tasks
                .FirstOrDefault(t => t.StageOrder == stageOrder && t.Assignee == assignee && TaskStatus.IsLive(t.Status))?.Id;

            switch (e.EventType)
            {
                case EventType.StageStarted:
                    foreach (var user in Strings(p["approvers"])) Add(NotificationKind.TaskAssigned, user, LiveTask(user));
                    foreach (var user in Strings(p["observers"])) Add(NotificationKind.ForInformation, user, LiveTask(user));
                    break;
                case EventType.TaskReminder:
                    Add(NotificationKind.Reminder, (string?)p["assignee"], (string?)p["task_id"]);
                    break;
                case EventType.TaskReassigned:
                    Add(NotificationKind.TaskReassigned, (string?)p["to"], (string?)p["new_task_id"]);
                    break;
                case EventType.StageEscalated:
                    foreach (var user in Strings(p["added_approvers"])) Add(NotificationKind.Escalated, user, LiveTask(user));
                    break;
                case EventType.TaskExpired:
                    Add(NotificationKind.TaskExpired, (string?)p["assignee"], (string?)p["task_id"]);
                    break;
                case EventType.RequestApproved or EventType.RequestRejected or EventType.RequestCancelled or EventType.RequestExpired:
                    // A service creating requests for itself has no inbox; a person named as requester does.
                    if (request.Requester is { } requester && requester != request.SourceService)
                        Add(NotificationKind.RequestOutcome, requester, null);
                    break;
            }
        }
        return planned;
    }

    private static IEnumerable<string> Strings(JsonNode? array) =>
        array is JsonArray a ? a.Select(n => (string?)n).Where(s => s is not null).Select(s => s!) : [];
}
