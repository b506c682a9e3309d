using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Runtime;

namespace Awe.Host.Policies;

public sealed record RuleOut(string Id, string RuleType, JsonNode RuleValue, string Kind, bool Required);

public sealed record StageOut(
    string Id, string Name, int StageOrder, string Mode, int? ModeValue, int? SlaHours, JsonNode? SkipIf, string OnEmpty,
    int? ParallelGroup, string? OnBreach, IReadOnlyList<RuleOut> EscalationRules, IReadOnlyList<RuleOut> Rules, string? Sla,
    string? RemindEvery, string? Calendar);

public sealed record PolicyOut(
    string Id, string PolicyKey, int Version, string Name, string? Description, string Status, string ArtifactType,
    bool ForbidSelfApproval, bool ForbidRepeatApprovers, string? CreatedBy, DateTime CreatedAt, DateTime UpdatedAt,
    IReadOnlyList<StageOut> Stages, string? RequestTtl, string? Calendar)
{
    public static PolicyOut From(ApprovalPolicy p) => new(
        p.Id, p.PolicyKey, p.Version, p.Name, p.Description, p.Status, p.ArtifactType, p.ForbidSelfApproval,
        p.ForbidRepeatApprovers, p.CreatedBy, p.CreatedAt, p.UpdatedAt,
        p.Stages.OrderBy(s => s.StageOrder).Select(s => new StageOut(
            s.Id, s.Name, s.StageOrder, s.Mode, s.ModeValue, s.SlaHours, s.SkipIf, s.OnEmpty, s.ParallelGroup, s.OnBreach,
            WorkflowCompiler.EscalationRules(s).Select(r => new RuleOut(r.RuleId, r.RuleType, r.RuleValue, r.Kind, r.Required)).ToList(),
            s.Rules.OrderBy(r => r.Position).Select(r => new RuleOut(r.Id, r.RuleType, r.RuleValue, r.Kind, r.Required)).ToList(),
            s.Sla, s.RemindEvery, s.Calendar))
        .ToList(), p.RequestTtl, p.Calendar);
}

public sealed record PolicyVersionOut(string Id, string PolicyKey, int Version, string Status, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record SimulatedExclusion(string UserId, string Reason);

public sealed record SimulatedStage(
    int StageOrder, string Name, string Mode, int? ModeValue, int? ParallelGroup, IReadOnlyList<string> ResolvedApprovers,
    IReadOnlyList<string> Observers, IReadOnlyList<string> RequiredApprovers, IReadOnlyList<SimulatedDelegation> Delegations,
    IReadOnlyList<SimulatedExclusion> Excluded, bool Skipped, string? SkipReason, string? Outcome);

public sealed record SimulatedDelegation(string From, string To);

public sealed record SimulateResponse(string PolicyId, int PolicyVersion, string? Outcome, IReadOnlyList<SimulatedStage> Stages);
