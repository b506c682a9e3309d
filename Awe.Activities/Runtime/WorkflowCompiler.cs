using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Activities.Runtime;

/// <summary>Compiles a policy version into its <see cref="WorkflowDefinition"/>. Pure: same policy, same graph.</summary>
public static class WorkflowCompiler
{
    public static WorkflowDefinition Compile(ApprovalPolicy policy, DateTime compiledAt)
    {
        var nodes = new List<WorkflowNode> { new(WorkflowDefinition.StartNodeId, NodeType.Start, "Request created") };
        var connections = new List<WorkflowConnection>();
        var previous = WorkflowDefinition.StartNodeId;

        foreach (var group in StageGroups(policy.Stages))
        {
            var first = group[0].StageOrder;
            var orders = group.Select(s => s.StageOrder).ToList();
            var groupId = $"group-{first}";
            var joinId = $"join-{first}";
            var label = group.Count == 1 ? $"Stage {first}" : $"Parallel stages {string.Join(", ", orders)}";
            nodes.Add(new WorkflowNode(groupId, NodeType.StageGroup, label, StageOrders: orders));
            connections.Add(new WorkflowConnection(previous, groupId, ConnectionOutcome.Done));

            foreach (var stage in group)
            {
                var stageId = $"stage-{stage.StageOrder}";
                nodes.Add(new WorkflowNode(stageId, NodeType.ApprovalStage, stage.Name, Stage: ToSpec(stage)));
                connections.Add(new WorkflowConnection(groupId, stageId, ConnectionOutcome.Start));
                connections.Add(new WorkflowConnection(stageId, joinId, ConnectionOutcome.Approved));
                connections.Add(new WorkflowConnection(stageId, joinId, ConnectionOutcome.Skipped));
                connections.Add(new WorkflowConnection(stageId, WorkflowDefinition.RejectedNodeId, ConnectionOutcome.Rejected));
            }
            nodes.Add(new WorkflowNode(joinId, NodeType.Join, $"All of {label.ToLowerInvariant()} complete", StageOrders: orders));
            previous = joinId;
        }

        connections.Add(new WorkflowConnection(previous, WorkflowDefinition.ApprovedNodeId, ConnectionOutcome.Done));
        nodes.Add(new WorkflowNode(WorkflowDefinition.ApprovedNodeId, NodeType.Outcome, "Approved"));
        nodes.Add(new WorkflowNode(WorkflowDefinition.RejectedNodeId, NodeType.Outcome, "Rejected"));

        return new WorkflowDefinition($"{policy.PolicyKey}:v{policy.Version}", policy.Id, policy.PolicyKey, policy.Version,
            policy.ForbidSelfApproval, policy.ForbidRepeatApprovers, compiledAt, nodes, connections, policy.RequestTtl, policy.Calendar);
    }

    /// <summary>
    /// Consecutive stages (by stage_order) sharing a non-null parallel_group form one group; a stage without a
    /// group is a group of its own.
    /// </summary>
    public static List<List<ApprovalStage>> StageGroups(IEnumerable<ApprovalStage> stages)
    {
        var groups = new List<List<ApprovalStage>>();
        foreach (var stage in stages.OrderBy(s => s.StageOrder))
        {
            var last = groups.LastOrDefault();
            if (last is not null && stage.ParallelGroup is { } g && last[^1].ParallelGroup == g)
                last.Add(stage);
            else
                groups.Add([stage]);
        }
        return groups;
    }

    private static StageSpec ToSpec(ApprovalStage stage) => new(
        stage.Id, stage.StageOrder, stage.Name, stage.Mode, stage.ModeValue, stage.SlaHours, stage.SkipIf?.DeepClone(),
        stage.OnEmpty, stage.ParallelGroup, stage.OnBreach,
        stage.Rules.OrderBy(r => r.Position)
            .Select(r => new RuleSpec(r.Id, r.RuleType, (JsonObject)r.RuleValue.DeepClone(), r.Kind, r.Required)).ToList(),
        EscalationRules(stage), stage.Sla, stage.RemindEvery, stage.Calendar);

    /// <summary>A stage's escalation rules, stored as JSON, with the synthetic ids (esc-{stage id}-{index}) the API shows.</summary>
    public static List<RuleSpec> EscalationRules(ApprovalStage stage) =>
        (stage.EscalationRulesJson as JsonArray ?? [])
        .OfType<JsonObject>()
        .Select((r, i) => new RuleSpec($"esc-{stage.Id}-{i}", (string?)r["rule_type"] ?? "",
            (JsonObject)(r["rule_value"]?.DeepClone() ?? new JsonObject()), (string?)r["kind"] ?? TaskKind.Approver,
            (bool?)r["required"] ?? false))
        .ToList();
}
