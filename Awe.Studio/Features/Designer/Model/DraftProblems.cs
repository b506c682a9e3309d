using System.Text.RegularExpressions;
using Awe.Studio.ApiClient;

namespace Awe.Studio.Features.Designer.Model;

/// <summary>Where a problem belongs in the designer: a policy field (Stage null), a stage field, or a rule's field.</summary>
public sealed record ProblemPlace(Guid? Stage, Guid? Rule, string Field);

/// <summary>
/// The API's validation problems (422, each with a JSON path such as <c>stages[1].rules[0].rule_value.user_id</c>)
/// placed on the stage, rule and field of the draft they were sent from. Paths index the body's stages array, which
/// <see cref="DraftMapping.ToBody"/> builds in <see cref="PolicyDraft.Stages"/> order.
/// </summary>
public sealed partial class DraftProblems
{
    private readonly List<(ProblemPlace? Place, ApiError Error)> _all = [];

    public static readonly DraftProblems None = new();

    public int Count => _all.Count;
    public IEnumerable<ApiError> All => _all.Select(p => p.Error);

    /// <summary>Problems whose path names nothing in the draft (or no path at all): shown in the banner.</summary>
    public IEnumerable<ApiError> Unplaced => _all.Where(p => p.Place is null).Select(p => p.Error);

    public static DraftProblems Place(PolicyDraft draft, IEnumerable<ApiError> errors)
    {
        var result = new DraftProblems();
        var stages = draft.Stages.ToList();
        foreach (var error in errors)
            result._all.Add((Locate(stages, error.Path), error));
        return result;
    }

    /// <summary>Messages for a policy-level field (e.g. "policy_key").</summary>
    public IEnumerable<string> ForPolicy(string field) =>
        _all.Where(p => p.Place is { Stage: null } place && place.Field == field).Select(p => AtField(p.Error));

    /// <summary>Messages for a stage's own field (e.g. "mode_value"; "" = the stage as a whole).</summary>
    public IEnumerable<string> ForStage(Guid stage, string field) =>
        _all.Where(p => p.Place is { Rule: null } place && place.Stage == stage && place.Field == field).Select(p => AtField(p.Error));

    /// <summary>Messages for a rule's field (e.g. "rule_value.user_id", "required"; "" = the rule as a whole).</summary>
    public IEnumerable<string> ForRule(Guid rule, string field) =>
        _all.Where(p => p.Place is { } place && place.Rule == rule && place.Field == field).Select(p => AtField(p.Error));

    /// <summary>Under its field the message goes without the path the API may repeat in front of it ("stages[0].mode_value: …").</summary>
    private static string AtField(ApiError error) =>
        error.Path is { Length: > 0 } path && error.Message.StartsWith(path + ": ", StringComparison.Ordinal)
            ? error.Message[(path.Length + 2)..]
            : error.Message;

    /// <summary>Any problem within a rule, whichever field.</summary>
    public bool AnyForRule(Guid rule) => _all.Any(p => p.Place?.Rule == rule);

    /// <summary>How many problems concern a stage (its fields and its rules): the badge on its canvas node.</summary>
    public int CountForStage(Guid stage) => _all.Count(p => p.Place?.Stage == stage);

    /// <summary>Every problem of a stage with its path inside the stage, for the node's tooltip and the panel's list.</summary>
    public IEnumerable<ApiError> OfStage(Guid stage) => _all.Where(p => p.Place?.Stage == stage).Select(p => p.Error);

    public static ProblemPlace? Locate(IReadOnlyList<StageDraft> stages, string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        var m = StagePath().Match(path);
        if (!m.Success) return path.StartsWith("stages", StringComparison.Ordinal) ? null : new ProblemPlace(null, null, path);
        var index = int.Parse(m.Groups["i"].Value);
        if (index >= stages.Count) return null;
        var stage = stages[index];
        var rest = m.Groups["rest"].Value;
        var rule = RulePath().Match(rest);
        if (rule.Success)
        {
            var list = rule.Groups["list"].Value == "rules" ? stage.Rules : stage.EscalationRules;
            var r = int.Parse(rule.Groups["i"].Value);
            if (r < list.Count) return new ProblemPlace(stage.Key, list[r].Key, rule.Groups["rest"].Value);
        }
        return new ProblemPlace(stage.Key, null, rest);
    }

    [GeneratedRegex(@"^stages\[(?<i>\d+)\]\.?(?<rest>.*)$")]
    private static partial Regex StagePath();

    [GeneratedRegex(@"^(?<list>rules|escalation_rules)\[(?<i>\d+)\]\.?(?<rest>.*)$")]
    private static partial Regex RulePath();
}
