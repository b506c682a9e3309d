using System.Text.Json.Nodes;

namespace Awe.Studio.Features.Requests;

/// <summary>One line of plain language per journal event, so the timeline reads without opening payloads.</summary>
public static class EventText
{
    public static string Describe(string type, JsonNode? p)
    {
        string S(string key) => p?[key]?.ToString() ?? "";
        string List(string key) => p?[key] is JsonArray a && a.Count > 0 ? string.Join(", ", a.Select(x => x?.ToString())) : "nobody";
        var stage = $"Stage {S("stage_order")}";
        return type switch
        {
            "request_created" => $"Request created on policy {S("policy_key")} v{S("policy_version")}",
            "stage_started" => $"{stage} “{S("name")}” started; approvers: {List("approvers")}",
            "task_decided" => $"{S("actor")} {Verb(S("action"))}" + (string.IsNullOrEmpty(S("comment")) ? "" : $": “{S("comment")}”"),
            "stage_quorum_skipped" => $"{stage} decided; open tasks of {List("skipped_assignees")} no longer needed",
            "stage_completed" => $"{stage} “{S("name")}” {S("outcome")}" + (string.IsNullOrEmpty(S("reason")) ? "" : $" ({S("reason")})"),
            "stage_skipped" => $"{stage} skipped ({S("reason")})",
            "task_reassigned" => $"Task reassigned from {S("from")} to {S("to")} by {S("actor")}" + (string.IsNullOrEmpty(S("reason")) ? "" : $": “{S("reason")}”"),
            "stage_resolution_failed" => $"{stage}: approvers could not be resolved ({S("reason")}); attempt {S("attempt")}, next retry {S("next_retry_at")}",
            "request_approved" => "Request approved",
            "request_rejected" => $"Request rejected ({S("reason")})",
            "request_cancelled" => $"Request cancelled by {S("actor")}" + (string.IsNullOrEmpty(S("reason")) ? "" : $": “{S("reason")}”"),
            _ => type.Replace('_', ' '),
        };
    }

    private static string Verb(string action) => action switch
    {
        "approve" => "approved",
        "reject" => "rejected",
        "abstain" => "abstained",
        _ => action,
    };
}
