using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Webhooks;

namespace Awe.Activities.Tests.Webhooks;

public class WebhookBodyTests
{
    private static ApprovalEvent Event(string type, JsonObject payload) => new()
    {
        Id = "11111111-2222-3333-4444-555555555555", RequestId = "req-1", Seq = 4, EventType = type, Payload = payload,
        CreatedAt = new DateTime(2026, 3, 1, 12, 0, 5, 123, DateTimeKind.Utc).AddTicks(4560),
    };

    [Fact]
    public void Body_has_the_reference_fields_then_seq_and_the_event_details_in_data()
    {
        var body = WebhookBody.Build(Event(EventType.TaskDecided, new JsonObject
        {
            ["task_id"] = "t-1", ["assignee"] = "u-alice", ["action"] = "approve", ["actor"] = "u-alice", ["comment"] = null,
            ["request_id"] = "req-1", ["artifact_type"] = "grant", ["artifact_id"] = "g-7", ["status"] = "in_review", ["stage_order"] = 1,
        }));

        // Compact, in a fixed field order, byte-identical on every attempt.
        Assert.Equal(
            "{\"event_id\":\"11111111-2222-3333-4444-555555555555\",\"event_type\":\"task_decided\",\"request_id\":\"req-1\"," +
            "\"artifact_type\":\"grant\",\"artifact_id\":\"g-7\",\"status\":\"in_review\",\"stage_order\":1,\"actor\":\"u-alice\"," +
            "\"occurred_at\":\"2026-03-01T12:00:05.123456Z\",\"seq\":4," +
            "\"data\":{\"task_id\":\"t-1\",\"assignee\":\"u-alice\",\"action\":\"approve\",\"actor\":\"u-alice\",\"comment\":null}}",
            body);
    }

    [Fact]
    public void Missing_envelope_fields_are_null_and_data_is_an_empty_object()
    {
        var body = JsonNode.Parse(WebhookBody.Build(Event(EventType.RequestCreated, new JsonObject())))!.AsObject();
        foreach (var field in new[] { "artifact_type", "artifact_id", "status", "stage_order", "actor" })
        {
            Assert.True(body.ContainsKey(field), field);
            Assert.Null(body[field]);
        }
        Assert.Empty(body["data"]!.AsObject());
    }

    [Fact]
    public void Building_does_not_change_the_event_payload()
    {
        var payload = new JsonObject { ["reason"] = "sla", ["artifact_id"] = "g-1", ["nested"] = new JsonObject { ["x"] = 1 } };
        var before = payload.ToJsonString();
        var e = Event(EventType.TaskExpired, payload);
        Assert.Equal(WebhookBody.Build(e), WebhookBody.Build(e));
        Assert.Equal(before, payload.ToJsonString());
    }
}
