using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Activities.Policies;

public static class PolicyMapping
{
    /// <summary>Writes a validated document onto a policy row, replacing its metadata and all its stages.</summary>
    public static void Apply(ApprovalPolicy policy, PolicyInput input, DateTime now)
    {
        policy.Name = input.Name;
        policy.Description = input.Description;
        policy.ArtifactType = input.ArtifactType;
        policy.ForbidSelfApproval = input.ForbidSelfApproval;
        policy.ForbidRepeatApprovers = input.ForbidRepeatApprovers;
        policy.RequestTtl = input.RequestTtl;
        policy.Calendar = input.Calendar;
        policy.UpdatedAt = now;
        policy.Stages = input.Stages.Select(s =>
        {
            var stage = new ApprovalStage
            {
                PolicyId = policy.Id, StageOrder = s.StageOrder, Name = s.Name, Mode = s.Mode, ModeValue = s.ModeValue,
                SlaHours = s.SlaHours, ParallelGroup = s.ParallelGroup, SkipIf = s.SkipIf?.DeepClone(), OnEmpty = s.OnEmpty,
                OnBreach = s.OnBreach, Sla = s.Sla, RemindEvery = s.RemindEvery, Calendar = s.Calendar, CreatedAt = now, UpdatedAt = now,
                EscalationRulesJson = s.EscalationRules.Count == 0 ? null : new JsonArray(s.EscalationRules.Select(r => (JsonNode)new JsonObject
                {
                    ["rule_type"] = r.RuleType, ["rule_value"] = r.RuleValue.DeepClone(), ["kind"] = r.Kind, ["required"] = r.Required,
                }).ToArray()),
            };
            stage.Rules = s.Rules.Select((r, i) => new ApproverRule
            {
                StageId = stage.Id, RuleType = r.RuleType, RuleValue = r.RuleValue.DeepClone(), Kind = r.Kind, Required = r.Required,
                Position = i, CreatedAt = now, UpdatedAt = now,
            }).ToList();
            return stage;
        }).ToList();
    }
}
