using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Studio.ApiClient;

namespace Awe.Studio.Features.Designer.Model;

/// <summary>
/// Between the designer's <see cref="PolicyDraft"/> and the API: the PolicyCreate body it saves (POST / PUT / PATCH),
/// and the drafts it opens — from a live draft version (PolicyOut) or from an active version's compiled workflow
/// definition (what requests actually run).
/// </summary>
public static class DraftMapping
{
    /// <summary>
    /// The API body of a draft. Stage orders count 1.. column by column; a column of several stages gets
    /// parallel_group = its column number. Text the author typed as JSON (skip_if, expression logic) that does not
    /// parse is reported as a problem at the path the API would use, and the body is null.
    /// </summary>
    public static (JsonObject? Body, IReadOnlyList<ApiError> Problems) ToBody(PolicyDraft draft)
    {
        var problems = new List<ApiError>();
        var stages = new JsonArray();
        var order = 0;
        for (var c = 0; c < draft.Columns.Count; c++)
        {
            var column = draft.Columns[c];
            foreach (var stage in column)
            {
                var path = $"stages[{order}]";
                order++;
                var o = new JsonObject
                {
                    ["name"] = stage.Name,
                    ["stage_order"] = order,
                    ["mode"] = stage.Mode,
                };
                if (stage.Mode != StageModes.All && stage.ModeValue is { } mv) o["mode_value"] = mv;
                if (stage.SlaHours is { } slaHours) o["sla_hours"] = slaHours;
                if (!string.IsNullOrWhiteSpace(stage.Sla)) o["sla"] = stage.Sla.Trim();
                if (!string.IsNullOrWhiteSpace(stage.RemindEvery)) o["remind_every"] = stage.RemindEvery.Trim();
                if (!string.IsNullOrWhiteSpace(stage.Calendar)) o["calendar"] = stage.Calendar.Trim();
                if (!string.IsNullOrWhiteSpace(stage.SkipIfText))
                    o["skip_if"] = ParseJson(stage.SkipIfText, $"{path}.skip_if", problems);
                o["on_empty"] = stage.OnEmpty;
                if (column.Count > 1) o["parallel_group"] = c + 1;
                if (!string.IsNullOrEmpty(stage.OnBreach)) o["on_breach"] = stage.OnBreach;
                o["escalation_rules"] = stage.OnBreach == "escalate"
                    ? RulesBody(stage.EscalationRules, $"{path}.escalation_rules", problems)
                    : new JsonArray();
                o["rules"] = RulesBody(stage.Rules, $"{path}.rules", problems);
                stages.Add(o);
            }
        }
        var body = new JsonObject
        {
            ["policy_key"] = draft.PolicyKey.Trim(),
            ["name"] = draft.Name,
            ["artifact_type"] = draft.ArtifactType.Trim(),
            ["forbid_self_approval"] = draft.ForbidSelfApproval,
            ["forbid_repeat_approvers"] = draft.ForbidRepeatApprovers,
            ["stages"] = stages,
        };
        if (!string.IsNullOrWhiteSpace(draft.Description)) body["description"] = draft.Description;
        if (!string.IsNullOrWhiteSpace(draft.RequestTtl)) body["request_ttl"] = draft.RequestTtl.Trim();
        if (!string.IsNullOrWhiteSpace(draft.Calendar)) body["calendar"] = draft.Calendar.Trim();
        return (problems.Count == 0 ? body : null, problems);
    }

    private static JsonObject RuleValue(RuleDraft rule, string path, List<ApiError> problems) => rule.RuleType switch
    {
        RuleTypes.User => new JsonObject { ["user_id"] = rule.UserId.Trim() },
        RuleTypes.Role => string.IsNullOrWhiteSpace(rule.Client)
            ? new JsonObject { ["role"] = rule.Role.Trim() }
            : new JsonObject { ["role"] = rule.Role.Trim(), ["client"] = rule.Client.Trim() },
        RuleTypes.Group => rule.IncludeSubgroups
            ? new JsonObject { ["group"] = rule.Group.Trim(), ["include_subgroups"] = true }
            : new JsonObject { ["group"] = rule.Group.Trim() },
        RuleTypes.Expression => new JsonObject { ["logic"] = ParseJson(rule.LogicText, $"{path}.logic", problems) },
        RuleTypes.Http => new JsonObject { ["url"] = rule.Url.Trim() },
        _ => new JsonObject(),
    };

    private static JsonArray RulesBody(List<RuleDraft> rules, string path, List<ApiError> problems)
    {
        var array = new JsonArray();
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var o = new JsonObject
            {
                ["rule_type"] = rule.RuleType,
                ["rule_value"] = RuleValue(rule, $"{path}[{i}].rule_value", problems),
                ["kind"] = rule.Kind,
                ["required"] = rule.Kind == RuleKinds.Approver && rule.Required,
            };
            array.Add(o);
        }
        return array;
    }

    private static JsonNode? ParseJson(string text, string path, List<ApiError> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add(new ApiError("local", "is required", path));
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            problems.Add(new ApiError("local", $"is not valid JSON: {e.Message}", path));
            return null;
        }
    }

    // ---- opening ----

    /// <summary>A draft from a policy version as the API returns it (the live draft).</summary>
    public static PolicyDraft FromPolicy(PolicyOut policy)
    {
        var draft = Header(policy);
        var stages = policy.Stages.OrderBy(s => s.StageOrder).Select(s => (s.StageOrder, s.ParallelGroup, Stage: new StageDraft
        {
            Name = s.Name,
            Mode = s.Mode,
            ModeValue = s.ModeValue,
            SlaHours = s.SlaHours,
            Sla = s.Sla,
            RemindEvery = s.RemindEvery,
            Calendar = s.Calendar,
            OnBreach = s.OnBreach,
            OnEmpty = s.OnEmpty,
            SkipIfText = Pretty(s.SkipIf),
        }.WithRules(s.Rules.Select(r => Rule(r.RuleType, r.RuleValue, r.Kind, r.Required)),
            s.EscalationRules.Select(r => Rule(r.RuleType, r.RuleValue, r.Kind, r.Required))))).ToList();
        foreach (var column in ColumnsByParallelGroup(stages.Select(s => (s.ParallelGroup, s.Stage))))
            draft.Columns.Add(column);
        return draft;
    }

    /// <summary>
    /// A draft from a compiled workflow definition (GET …/workflow): its stage nodes, grouped as its stage_group
    /// nodes say. <paramref name="policy"/> supplies what the definition does not carry (name, artifact type).
    /// </summary>
    public static PolicyDraft FromDefinition(JsonNode definition, PolicyOut policy)
    {
        var draft = Header(policy);
        draft.ForbidSelfApproval = (bool?)definition["forbid_self_approval"] ?? policy.ForbidSelfApproval;
        draft.ForbidRepeatApprovers = (bool?)definition["forbid_repeat_approvers"] ?? policy.ForbidRepeatApprovers;
        draft.RequestTtl = (string?)definition["request_ttl"] ?? policy.RequestTtl;
        draft.Calendar = (string?)definition["calendar"] ?? policy.Calendar;
        var nodes = (definition["nodes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var stages = new SortedDictionary<int, (int? Group, StageDraft Stage)>();
        foreach (var node in nodes.Where(n => (string?)n["type"] == "approval_stage"))
        {
            if (node["stage"] is not JsonObject s) continue;
            var order = (int?)s["stage_order"] ?? 0;
            stages[order] = ((int?)s["parallel_group"], new StageDraft
            {
                Name = (string?)s["name"] ?? (string?)node["label"] ?? "",
                Mode = (string?)s["mode"] ?? StageModes.All,
                ModeValue = (int?)s["mode_value"],
                SlaHours = (int?)s["sla_hours"],
                Sla = (string?)s["sla"],
                RemindEvery = (string?)s["remind_every"],
                Calendar = (string?)s["calendar"],
                OnBreach = (string?)s["on_breach"],
                OnEmpty = (string?)s["on_empty"] ?? "block",
                SkipIfText = Pretty(s["skip_if"]),
            }.WithRules(SpecRules(s["rules"]), SpecRules(s["escalation_rules"])));
        }

        var groups = nodes.Where(n => (string?)n["type"] == "stage_group")
            .Select(g => (g["stage_orders"] as JsonArray ?? []).Select(o => (int?)o ?? 0).Where(stages.ContainsKey).OrderBy(o => o).ToList())
            .Where(g => g.Count > 0)
            .OrderBy(g => g[0])
            .ToList();
        var placed = groups.SelectMany(g => g).ToHashSet();
        if (groups.Count > 0 && placed.Count == stages.Count)
            foreach (var group in groups)
                draft.Columns.Add(group.Select(o => stages[o].Stage).ToList());
        else
            foreach (var column in ColumnsByParallelGroup(stages.Values))
                draft.Columns.Add(column);
        return draft;
    }

    /// <summary>Consecutive stages sharing a parallel_group form one column, as the API groups them.</summary>
    public static IEnumerable<List<StageDraft>> ColumnsByParallelGroup(IEnumerable<(int? Group, StageDraft Stage)> stagesInOrder)
    {
        List<StageDraft>? current = null;
        int? currentGroup = null;
        foreach (var (group, stage) in stagesInOrder)
        {
            if (current is not null && group is not null && group == currentGroup)
            {
                current.Add(stage);
                continue;
            }
            if (current is not null) yield return current;
            current = [stage];
            currentGroup = group;
        }
        if (current is not null) yield return current;
    }

    private static PolicyDraft Header(PolicyOut policy) => new()
    {
        PolicyKey = policy.PolicyKey,
        Name = policy.Name,
        Description = policy.Description,
        ArtifactType = policy.ArtifactType,
        ForbidSelfApproval = policy.ForbidSelfApproval,
        ForbidRepeatApprovers = policy.ForbidRepeatApprovers,
        RequestTtl = policy.RequestTtl,
        Calendar = policy.Calendar,
    };

    private static IEnumerable<RuleDraft> SpecRules(JsonNode? rules) =>
        (rules as JsonArray)?.OfType<JsonObject>().Select(r =>
            Rule((string?)r["rule_type"] ?? "", r["rule_value"], (string?)r["kind"] ?? RuleKinds.Approver, (bool?)r["required"] ?? false)) ?? [];

    public static RuleDraft Rule(string type, JsonNode? value, string kind, bool required) => new()
    {
        RuleType = type,
        Kind = kind,
        Required = required,
        UserId = Text(value?["user_id"]),
        Role = Text(value?["role"]),
        Client = value?["client"] is null ? null : Text(value["client"]),
        Group = Text(value?["group"]),
        IncludeSubgroups = value?["include_subgroups"] is JsonValue v && v.TryGetValue(out bool b) && b,
        LogicText = Pretty(value?["logic"]),
        Url = Text(value?["url"]),
    };

    private static StageDraft WithRules(this StageDraft stage, IEnumerable<RuleDraft> rules, IEnumerable<RuleDraft> escalation)
    {
        stage.Rules.AddRange(rules);
        stage.EscalationRules.AddRange(escalation);
        return stage;
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : node?.ToJsonString() ?? "";

    /// <summary>JSON as an author reads it: "<" stays "<" (the default writer escapes it for HTML as \u003C).</summary>
    public static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Pretty(JsonNode? node) => node is null ? "" : node.ToJsonString(Readable);
}
