namespace Awe.Studio.Features.Designer.Model;

/// <summary>
/// A stage's decision rule in words, as docs/api.md "How a stage decides" has it: "2 of 3 approvers must approve;
/// one reject vetoes." The number of approvers is only known when every approver rule names one user; role, group,
/// expression and HTTP rules resolve at request time, so then the sentence leaves the total open.
/// </summary>
public static class StageSentences
{
    public static string Mode(StageDraft stage)
    {
        var known = KnownApproverCount(stage);
        var sentence = stage.Mode switch
        {
            StageModes.All => known switch
            {
                1 => "The approver must approve",
                { } n => $"All {n} approvers must approve",
                null => "Every approver must approve",
            },
            StageModes.AnyN or StageModes.Quorum => Needed(Math.Max(1, stage.ModeValue ?? 1), known),
            StageModes.Percentage => Percentage(Math.Clamp(stage.ModeValue ?? 100, 1, 100), known),
            _ => $"Mode '{stage.Mode}'",
        };
        var required = stage.Rules.Where(r => r.Kind == RuleKinds.Approver && r.Required).Select(Who).ToList();
        if (required.Count > 0) sentence += $", including {Join(required)}";
        return sentence + "; one reject vetoes.";
    }

    /// <summary>
    /// Why the stage cannot decide as drawn, when the designer can tell before the API does: more approvals needed than
    /// approvers named. Null when nothing is wrong or the number of approvers is only known per request.
    /// </summary>
    public static string? ModeWarning(StageDraft stage)
    {
        if (stage.Mode is not (StageModes.AnyN or StageModes.Quorum)) return null;
        var needed = Math.Max(1, stage.ModeValue ?? 1);
        if (KnownApproverCount(stage) is not { } known || needed <= known) return null;
        return $"Needs {Count(needed, "approval")} but only {Count(known, "approver")} {(known == 1 ? "is" : "are")} named.";
    }

    /// <summary>What happens around the vote: skip_if, no approvers found, observers, deadline.</summary>
    public static IEnumerable<string> Notes(StageDraft stage)
    {
        if (!string.IsNullOrWhiteSpace(stage.SkipIfText)) yield return "Skipped when its skip_if condition holds.";
        yield return stage.OnEmpty == "skip" ? "If nobody is found to ask, the stage is skipped." : "If nobody is found to ask, the request is rejected.";
        var observers = stage.Rules.Count(r => r.Kind == RuleKinds.Observer);
        if (observers > 0) yield return $"{Count(observers, "observer rule")}: informed, never vote.";
        if (Deadline(stage) is { } due)
            yield return $"Due {due} after the stage starts" + (stage.OnBreach is { Length: > 0 } b ? $"; then {BreachText(b)}." : ".");
        if (!string.IsNullOrWhiteSpace(stage.RemindEvery)) yield return $"Open tasks are reminded every {stage.RemindEvery}.";
        if (!string.IsNullOrWhiteSpace(stage.Calendar)) yield return $"Deadlines count in business calendar “{stage.Calendar}”.";
    }

    /// <summary>The stage's deadline as set: "48 h" (sla_hours) or the ISO-8601 duration of sla; null without one.</summary>
    public static string? Deadline(StageDraft stage) =>
        stage.SlaHours is { } h ? $"{h} h" : string.IsNullOrWhiteSpace(stage.Sla) ? null : stage.Sla.Trim();

    /// <summary>"1 approver", "2 approvers".</summary>
    public static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    public static string BreachText(string onBreach) => onBreach switch
    {
        "notify" => "notify (an event, nothing else changes)",
        "auto_approve" => "approve automatically",
        "auto_reject" => "reject automatically",
        "escalate" => "hand the stage to the escalation approvers",
        _ => onBreach,
    };

    /// <summary>Distinct users of the approver rules when every approver rule names one user; else null.</summary>
    public static int? KnownApproverCount(StageDraft stage)
    {
        var approvers = stage.Rules.Where(r => r.Kind == RuleKinds.Approver).ToList();
        if (approvers.Count == 0 || approvers.Any(r => r.RuleType != RuleTypes.User)) return null;
        return approvers.Select(r => r.UserId.Trim()).Distinct().Count();
    }

    /// <summary>A rule in a few words, e.g. "user u-alice", "realm role FINANCE", "group /ops and subgroups".</summary>
    public static string Rule(RuleDraft rule)
    {
        var who = Who(rule);
        return rule.Kind == RuleKinds.Observer ? $"{who} (observer)" : rule.Required ? $"{who} (required)" : who;
    }

    private static string Who(RuleDraft rule) => rule.RuleType switch
    {
        RuleTypes.User => $"user {Blank(rule.UserId)}",
        RuleTypes.Role => string.IsNullOrWhiteSpace(rule.Client) ? $"realm role {Blank(rule.Role)}" : $"role {Blank(rule.Role)} of {rule.Client}",
        RuleTypes.Group => $"group {Blank(rule.Group)}{(rule.IncludeSubgroups ? " and subgroups" : "")}",
        RuleTypes.Expression => "users from an expression",
        RuleTypes.Http => $"users from {Blank(rule.Url)}",
        _ => rule.RuleType,
    };

    // "2 of 3 approvers", never "2 of 1 approver": with fewer named than needed the total is left out (ModeWarning says why).
    private static string Needed(int needed, int? known) =>
        known is { } n && needed <= n ? $"{needed} of {Count(n, "approver")} must approve" : $"{Count(needed, "approver")} must approve";

    private static string Percentage(int percent, int? known)
    {
        if (known is { } n) return $"{percent}% of the approvers ({(int)Math.Ceiling(percent * n / 100.0)} of {n}) must approve";
        return $"{percent}% of the approvers (rounded up) must approve";
    }

    private static string Blank(string? s) => string.IsNullOrWhiteSpace(s) ? "…" : s.Trim();

    private static string Join(IReadOnlyList<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];
}
