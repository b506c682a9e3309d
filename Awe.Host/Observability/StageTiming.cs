using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Host.Observability;

/// <summary>awe_stage_duration_seconds: a stage lasts from the opening of its first task to its stage_completed event.</summary>
public static class StageTiming
{
    public static void Completed(ApprovalRequest request, ApprovalEvent completed)
    {
        if (completed.Payload["stage_order"] is not JsonValue orderValue || !orderValue.TryGetValue(out int order)) return;
        var outcome = completed.Payload["outcome"] is JsonValue o && o.TryGetValue(out string? s) ? s : "unknown";
        DateTime? opened = null;
        foreach (var task in request.Tasks)
            if (task.StageOrder == order && (opened is null || task.CreatedAt < opened)) opened = task.CreatedAt;
        // A stage rejected while opening (a required approver excluded) had no tasks and no duration worth counting.
        if (opened is null) return;
        AweMetrics.StageDuration.WithLabels(outcome).Observe(Math.Max(0, (completed.CreatedAt - opened.Value).TotalSeconds));
    }
}
