using System.Text.Json.Nodes;

namespace Awe.Activities.Policies;

/// <summary>A policy as authors write it (the reference's PolicyCreate), after validation.</summary>
public sealed record PolicyInput(
    string PolicyKey,
    string Name,
    string? Description,
    string ArtifactType,
    bool ForbidSelfApproval,
    bool ForbidRepeatApprovers,
    IReadOnlyList<StageInput> Stages,
    string? RequestTtl = null,
    string? Calendar = null);

public sealed record StageInput(
    string Name,
    int StageOrder,
    string Mode,
    int? ModeValue,
    int? SlaHours,
    JsonNode? SkipIf,
    string OnEmpty,
    int? ParallelGroup,
    string? OnBreach,
    IReadOnlyList<RuleInput> EscalationRules,
    IReadOnlyList<RuleInput> Rules,
    string? Sla = null,
    string? RemindEvery = null,
    string? Calendar = null);

public sealed record RuleInput(string RuleType, JsonObject RuleValue, string Kind, bool Required);

/// <summary>One problem found in a document, with the JSON path of the offending value.</summary>
public sealed record ValidationProblem(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}

public static class PolicyVocabulary
{
    public static readonly IReadOnlyList<string> Modes = ["all", "any-n", "quorum", "percentage"];
    public static readonly IReadOnlyList<string> OnEmpty = ["skip", "block"];
    public static readonly IReadOnlyList<string> OnBreach = ["notify", "auto_approve", "auto_reject", "escalate"];
    public static readonly IReadOnlyList<string> RuleTypes = ["user", "role", "group", "expression", "http"];
    public static readonly IReadOnlyList<string> RuleKinds = ["approver", "observer"];
}
