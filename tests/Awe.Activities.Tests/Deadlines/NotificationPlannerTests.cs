using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Notifications;

namespace Awe.Activities.Tests.Deadlines;

/// <summary>Who hears of which event: every kind, the requester rule, and one mail per person per event.</summary>
public sealed class NotificationPlannerTests
{
    private static readonly ApprovalRequest Request = new()
    {
        SourceService = "svc-loans", Requester = "u-rita",
        Tasks =
        [
            new ApprovalTask { Id = "t-a", StageOrder = 1, Assignee = "u-a", Status = "open" },
            new ApprovalTask { Id = "t-o", StageOrder = 1, Assignee = "u-o", Kind = "observer", Status = "open" },
            new ApprovalTask { Id = "t-boss", StageOrder = 1, Assignee = "u-boss", Status = "open" },
        ],
    };

    private static ApprovalEvent Event(string type, string payload) =>
        new() { Id = $"e-{type}", EventType = type, Payload = JsonNode.Parse(payload)!.AsObject() };

    public static readonly TheoryData<string, string, string[]> Cases = new()
    {
        { "stage_started", """{"stage_order": 1, "approvers": ["u-a", "u-a"], "observers": ["u-o"]}""", ["task_assigned u-a t-a", "for_information u-o t-o"] },
        { "task_reminder", """{"stage_order": 1, "assignee": "u-a", "task_id": "t-a"}""", ["reminder u-a t-a"] },
        { "task_reassigned", """{"stage_order": 1, "from": "u-a", "to": "u-b", "new_task_id": "t-b"}""", ["task_reassigned u-b t-b"] },
        { "stage_escalated", """{"stage_order": 1, "added_approvers": ["u-boss"], "added_observers": []}""", ["escalated u-boss t-boss"] },
        { "task_expired", """{"stage_order": 1, "assignee": "u-a", "task_id": "t-a"}""", ["task_expired u-a t-a"] },
        { "request_approved", """{"stage_order": 1}""", ["request_outcome u-rita -"] },
        { "request_expired", """{"stage_order": 1}""", ["request_outcome u-rita -"] },
        { "task_decided", """{"stage_order": 1, "assignee": "u-a"}""", [] },
        { "sla_breached", """{"stage_order": 1, "assignees": ["u-a"]}""", [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_event_reaches_the_people_who_must_act(string type, string payload, string[] expected)
    {
        var planned = NotificationPlanner.Plan(Request, [Event(type, payload)]);
        Assert.Equal(expected, planned.Select(p => $"{p.Kind} {p.Recipient} {p.TaskId ?? "-"}"));
        Assert.All(planned, p => Assert.Equal($"e-{type}", p.EventId));
    }

    [Fact]
    public void A_service_that_asked_for_itself_gets_no_outcome_mail()
    {
        var request = new ApprovalRequest { SourceService = "svc-loans", Requester = "svc-loans" };
        Assert.Empty(NotificationPlanner.Plan(request, [Event("request_rejected", """{"stage_order": 1}""")]));
    }
}
