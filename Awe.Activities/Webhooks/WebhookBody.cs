using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Activities.Webhooks;

/// <summary>
/// The body POSTed for one journal event: the reference's fields (event_id, event_type, request_id,
/// artifact_type, artifact_id, status, stage_order, actor, occurred_at) plus <c>data</c>, the event's own
/// details, so a caller needs no second call. Compact JSON; built once and sent byte-identical on every attempt.
/// </summary>
public static class WebhookBody
{
    private static readonly HashSet<string> EnvelopeFields = ["request_id", "artifact_type", "artifact_id", "status", "stage_order"];

    public static string Build(ApprovalEvent e)
    {
        var payload = e.Payload as JsonObject ?? new JsonObject();
        var data = new JsonObject();
        foreach (var (key, value) in payload)
            if (!EnvelopeFields.Contains(key)) data[key] = value?.DeepClone();
        return new JsonObject
        {
            ["event_id"] = e.Id,
            ["event_type"] = e.EventType,
            ["request_id"] = e.RequestId,
            ["artifact_type"] = payload["artifact_type"]?.DeepClone(),
            ["artifact_id"] = payload["artifact_id"]?.DeepClone(),
            ["status"] = payload["status"]?.DeepClone(),
            ["stage_order"] = payload["stage_order"]?.DeepClone(),
            ["actor"] = payload["actor"]?.DeepClone(),
            ["occurred_at"] = e.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["seq"] = e.Seq,
            ["data"] = data,
        }.ToJsonString();
    }
}
