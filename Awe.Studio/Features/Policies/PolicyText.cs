using System.Text.Json.Nodes;
using Awe.Studio.ApiClient;

namespace Awe.Studio.Features.Policies;

/// <summary>Policy parts in plain language: how a stage decides, what a rule picks.</summary>
public static class PolicyText
{
    /// <summary>"2 approvers must approve; one reject vetoes." — the quorum rules of docs/api.md, in words.</summary>
    public static string Mode(string mode, int? modeValue) => mode switch
    {
        "all" => "Every approver must approve; one reject vetoes.",
        "any-n" or "quorum" => $"{Math.Max(1, modeValue ?? 1)} approver{(Math.Max(1, modeValue ?? 1) == 1 ? "" : "s")} must approve; one reject vetoes.",
        "percentage" => $"{modeValue ?? 100}% of the approvers (rounded up) must approve; one reject vetoes.",
        _ => $"{mode} {modeValue}",
    };

    public static string Rule(RuleOut rule)
    {
        var v = rule.RuleValue;
        var who = rule.RuleType switch
        {
            "user" => $"user {v?["user_id"]}",
            "role" => v?["client"] is { } client ? $"role {v["role"]} of client {client}" : $"realm role {v?["role"]}",
            "group" => $"group {v?["group"]}{(v?["include_subgroups"] is JsonValue s && s.TryGetValue(out bool sub) && sub ? " and subgroups" : "")}",
            "expression" => $"expression {v?["logic"]?.ToJsonString()}",
            "http" => $"HTTP resolver {v?["url"]}",
            _ => $"{rule.RuleType} {v?.ToJsonString()}",
        };
        var part = rule.Kind == "observer" ? "observer" : rule.Required ? "required approver" : "approver";
        return $"{who} — {part}";
    }
}
