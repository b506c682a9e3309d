using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;
using Awe.Activities.Model;

namespace Awe.Activities.Policies;

/// <summary>
/// Turns a policy document (the reference's PolicyCreate body) into a <see cref="PolicyInput"/>,
/// reporting every problem at once with its JSON path, e.g. <c>stages[1].mode_value</c>.
/// </summary>
public static class PolicyReader
{
    // Fields a client may echo back from PolicyOut when it pre-fills a new version; they are ignored.
    private static readonly string[] OutputOnlyPolicyFields = ["id", "version", "status", "created_by", "created_at", "updated_at"];
    private static readonly string[] PolicyFields =
        ["policy_key", "name", "description", "artifact_type", "forbid_self_approval", "forbid_repeat_approvers", "request_ttl", "calendar", "stages",
         .. OutputOnlyPolicyFields];
    private static readonly string[] StageFields =
        ["id", "name", "stage_order", "mode", "mode_value", "sla_hours", "skip_if", "on_empty", "parallel_group", "on_breach", "escalation_rules", "rules",
         "sla", "remind_every", "calendar"];
    private static readonly string[] RuleFields = ["id", "rule_type", "rule_value", "kind", "required"];

    private static readonly Dictionary<string, string> PolicyHints = new()
    {
        ["min_approvals"] = "set a stage's mode and mode_value instead",
        ["key"] = "did you mean policy_key?",
    };
    private static readonly Dictionary<string, string> StageHints = new()
    {
        ["min_approvals"] = "use mode 'any-n' with mode_value",
        ["order"] = "did you mean stage_order?",
        ["approvers"] = "did you mean rules?",
    };

    public const int MaxSlaHours = 87_600;

    /// <param name="knownCalendars">Names of the configured business calendars (awe.calendars) a policy may name.</param>
    public static (PolicyInput? Policy, IReadOnlyList<ValidationProblem> Problems) Read(JsonNode? body, IReadOnlyCollection<string>? knownCalendars = null)
    {
        knownCalendars ??= [];
        var problems = new List<ValidationProblem>();
        var r = new JsonFieldReader(problems);
        var o = r.Object(body, "");
        if (o is null) return (null, problems);

        r.RejectUnknown(o, "", PolicyFields, PolicyHints);
        var key = r.String(o, "", "policy_key", required: true, maxLength: 128);
        if (key is not null && !IsValidKey(key))
            r.Fail("policy_key", "may contain only letters, digits and . _ - : (no spaces or slashes)");
        var name = r.String(o, "", "name", required: true, maxLength: 255);
        var description = r.String(o, "", "description", required: false, maxLength: 1024, minLength: 0);
        var artifactType = r.String(o, "", "artifact_type", required: true, maxLength: 128);
        var forbidSelf = r.Bool(o, "", "forbid_self_approval", false);
        var forbidRepeat = r.Bool(o, "", "forbid_repeat_approvers", false);
        var requestTtl = ReadDuration(r, o, "", "request_ttl");
        var calendar = ReadCalendar(r, o, "", knownCalendars);

        var stages = new List<(int Index, StageInput Stage)>();
        var stagesArray = r.Array(o, "", "stages");
        if (stagesArray is not null)
        {
            for (var i = 0; i < stagesArray.Count; i++)
            {
                var stage = ReadStage(r, stagesArray[i], $"stages[{i}]", knownCalendars);
                if (stage is not null) stages.Add((i, stage));
            }
            CheckStageOrders(r, stagesArray);
            CheckParallelGroups(r, stages);
        }

        if (problems.Count > 0) return (null, problems);
        return (new PolicyInput(key!, name!, description, artifactType!, forbidSelf, forbidRepeat,
            stages.Select(s => s.Stage).OrderBy(s => s.StageOrder).ToList(), requestTtl, calendar), problems);
    }

    public static bool IsValidKey(string key) =>
        key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':');

    private static StageInput? ReadStage(JsonFieldReader r, JsonNode? node, string path, IReadOnlyCollection<string> knownCalendars)
    {
        var o = r.Object(node, path);
        if (o is null) return null;
        var before = r.Problems.Count;
        r.RejectUnknown(o, path, StageFields, StageHints);

        var name = r.String(o, path, "name", required: true, maxLength: 255);
        var order = r.Int(o, path, "stage_order", required: true, min: 1);
        var mode = ReadMode(r, o, path);
        var modeValue = r.Int(o, path, "mode_value", required: false, min: 1);
        if (mode == "percentage" && modeValue is > 100)
            r.Fail(JsonFieldReader.Join(path, "mode_value"), $"is a percentage and must be between 1 and 100 (got {modeValue})");
        // Capped at ten years: beyond some 69 million hours now + sla_hours is past DateTime's range, and every request
        // on the stage would fail computing its deadline.
        var slaHours = r.Int(o, path, "sla_hours", required: false, min: 1, max: MaxSlaHours);
        var onEmpty = r.OneOf(o, path, "on_empty", PolicyVocabulary.OnEmpty, "block")!;
        var parallelGroup = r.Int(o, path, "parallel_group", required: false, min: int.MinValue);
        var onBreach = r.OneOf(o, path, "on_breach", PolicyVocabulary.OnBreach, null);
        var sla = ReadDuration(r, o, path, "sla");
        var remindEvery = ReadDuration(r, o, path, "remind_every");
        var calendar = ReadCalendar(r, o, path, knownCalendars);
        if (sla is not null && slaHours is not null)
            r.Fail(JsonFieldReader.Join(path, "sla"), $"and sla_hours both set a deadline ('{sla}' and {slaHours} h); keep one of them");

        JsonNode? skipIf = null;
        if (o.TryGetPropertyValue("skip_if", out var skipNode) && skipNode is not null)
        {
            if (skipNode is not JsonObject)
                r.Fail(JsonFieldReader.Join(path, "skip_if"), "must be a JSONLogic rule object, e.g. {\"==\": [{\"var\": \"amount\"}, 0]}");
            else
            {
                foreach (var problem in JsonLogicValidator.Validate(skipNode))
                    r.Fail(JsonFieldReader.Join(path, "skip_if"), $"is not valid JSONLogic: {problem}");
                skipIf = skipNode.DeepClone();
            }
        }

        var rules = ReadRules(r, o, path, "rules");
        var escalation = ReadRules(r, o, path, "escalation_rules");

        // The cross-field checks below are skipped when a field itself was wrong (their verdict could be a mere
        // echo of it), but not because of one another: each is reported in the same pass.
        var fieldsValid = r.Problems.Count == before;
        if (!rules.Any(x => x.Kind == "approver") && onEmpty != "skip" && fieldsValid)
            r.Fail(JsonFieldReader.Join(path, "rules"),
                "needs at least one approver rule (or set on_empty to 'skip' to let an empty stage pass)");
        if (onBreach == "escalate" && escalation.Count == 0 && fieldsValid)
            r.Fail(JsonFieldReader.Join(path, "escalation_rules"), "must list at least one rule when on_breach is 'escalate'");
        if (onBreach is not null && slaHours is null && sla is null && fieldsValid)
            r.Fail(JsonFieldReader.Join(path, "sla_hours"), $"is required when on_breach is set ('{onBreach}' needs a deadline): give sla_hours or sla");
        CheckReachable(r, path, mode, modeValue, rules);

        if (r.Problems.Count > before) return null;
        return new StageInput(name!, order!.Value, mode!, modeValue, slaHours, skipIf, onEmpty, parallelGroup, onBreach, escalation, rules,
            sla, remindEvery, calendar);
    }

    private static string? ReadCalendar(JsonFieldReader r, JsonObject o, string path, IReadOnlyCollection<string> known)
    {
        var name = r.String(o, path, "calendar", required: false, maxLength: 64);
        if (name is null || known.Contains(name)) return name;
        r.Fail(JsonFieldReader.Join(path, "calendar"), known.Count == 0
            ? $"'{name}' is not a configured calendar; this deployment defines none (awe.calendars)"
            : $"'{name}' is not a configured calendar; known: {string.Join(", ", known.Order())}");
        return null;
    }

    /// <summary>An optional ISO-8601 duration (PT30M, P2D, PT5S), kept as written in upper case once it parses.</summary>
    private static string? ReadDuration(JsonFieldReader r, JsonObject o, string path, string field)
    {
        var text = r.String(o, path, field, required: false, maxLength: 64);
        if (text is null) return null;
        if (!Deadlines.IsoDuration.TryParse(text, out _, out var problem))
        {
            r.Fail(JsonFieldReader.Join(path, field), problem!);
            return null;
        }
        return text.Trim().ToUpperInvariant();
    }

    private static string? ReadMode(JsonFieldReader r, JsonObject o, string path)
    {
        if (o.TryGetPropertyValue("mode", out var node) && node is JsonValue v && v.TryGetValue(out string? s) && s.Contains(':'))
        {
            r.Fail(JsonFieldReader.Join(path, "mode"),
                $"'{s}' uses a colon form; write mode '{s.Split(':')[0].Trim().ToLowerInvariant()}' and put the number in mode_value");
            return null;
        }
        return r.OneOf(o, path, "mode", PolicyVocabulary.Modes, "all");
    }

    // With only literal users a stage's maximum vote count is known: catch quorums nobody can reach.
    private static void CheckReachable(JsonFieldReader r, string path, string? mode, int? modeValue, IReadOnlyList<RuleInput> rules)
    {
        if (mode is not ("any-n" or "quorum") || modeValue is null) return;
        var approvers = rules.Where(x => x.Kind == "approver").ToList();
        if (approvers.Count == 0 || approvers.Any(x => x.RuleType != "user")) return;
        // In canonical form as resolution sees them: " u-a" and "U-A" are one approver.
        var distinct = approvers.Select(x => x.RuleValue["user_id"] is JsonValue v && v.TryGetValue(out string? id) && UserIds.Problem(id) is null
            ? UserIds.Canonical(id) : null).Distinct().Count();
        if (modeValue > distinct)
            r.Fail(JsonFieldReader.Join(path, "mode_value"),
                $"needs {modeValue} approvals but the stage names only {distinct} approver(s); lower mode_value or add approvers");
    }

    private static List<RuleInput> ReadRules(JsonFieldReader r, JsonObject stage, string stagePath, string field)
    {
        var result = new List<RuleInput>();
        var array = r.Array(stage, stagePath, field);
        if (array is null) return result;
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"{JsonFieldReader.Join(stagePath, field)}[{i}]";
            var o = r.Object(array[i], path);
            if (o is null) continue;
            var before = r.Problems.Count;
            r.RejectUnknown(o, path, RuleFields);
            var type = r.OneOf(o, path, "rule_type", PolicyVocabulary.RuleTypes, null);
            // Absent and null alike: OneOf reports only values it could not accept, and a null one is not reported there.
            if (type is null && o["rule_type"] is null) r.Fail(JsonFieldReader.Join(path, "rule_type"), "is required");
            var kind = r.OneOf(o, path, "kind", PolicyVocabulary.RuleKinds, "approver")!;
            var required = r.Bool(o, path, "required", false);
            if (required && kind == "observer")
                r.Fail(JsonFieldReader.Join(path, "required"), "cannot be true for an observer (observers never vote)");
            var value = r.Object(o["rule_value"], JsonFieldReader.Join(path, "rule_value"));
            if (type is not null && value is not null)
                CheckRuleValue(r, JsonFieldReader.Join(path, "rule_value"), type, value);
            if (r.Problems.Count == before)
                result.Add(new RuleInput(type!, (JsonObject)value!.DeepClone(), kind, required));
        }
        return result;
    }

    private static void CheckRuleValue(JsonFieldReader r, string path, string type, JsonObject value)
    {
        switch (type)
        {
            case "user":
                r.UserId(value, path, "user_id", required: true);
                break;
            case "role":
                r.String(value, path, "role", required: true, maxLength: 255);
                r.String(value, path, "client", required: false, maxLength: 255);
                break;
            case "group":
                r.String(value, path, "group", required: true, maxLength: 1024);
                r.Bool(value, path, "include_subgroups", false);
                break;
            case "expression":
                if (!value.TryGetPropertyValue("logic", out var logic) || logic is null)
                    r.Fail(JsonFieldReader.Join(path, "logic"), "is required: a JSONLogic rule that yields a user id or a list of user ids");
                else
                    foreach (var problem in JsonLogicValidator.Validate(logic))
                        r.Fail(JsonFieldReader.Join(path, "logic"), $"is not valid JSONLogic: {problem}");
                break;
            case "http":
                var url = r.String(value, path, "url", required: true, maxLength: 2048);
                if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
                    r.Fail(JsonFieldReader.Join(path, "url"), $"must be an absolute http(s) URL (got '{url}')");
                break;
        }
    }

    private static void CheckStageOrders(JsonFieldReader r, JsonArray stages)
    {
        var seen = new Dictionary<decimal, int>();
        for (var i = 0; i < stages.Count; i++)
        {
            // Read the number as JsonFieldReader.Int accepts it: 1.0 is stage 1 too, so it must collide with 1.
            if (stages[i] is not JsonObject o || o["stage_order"] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number
                || !v.TryGetValue(out decimal order) || order != decimal.Truncate(order)) continue;
            if (seen.TryGetValue(order, out var first))
                r.Fail($"stages[{i}].stage_order", $"{decimal.Truncate(order)} is already used by stages[{first}]; stage_order must be unique");
            else
                seen[order] = i;
        }
    }

    // A parallel group is a run of consecutive stages sharing a number; the same number reappearing later
    // would silently form a second group, which is almost certainly a mistake.
    private static void CheckParallelGroups(JsonFieldReader r, List<(int Index, StageInput Stage)> stages)
    {
        var closed = new HashSet<int>();
        int? current = null;
        foreach (var (index, stage) in stages.OrderBy(s => s.Stage.StageOrder))
        {
            if (stage.ParallelGroup != current && current is not null) closed.Add(current.Value);
            if (stage.ParallelGroup is { } g && g != current && closed.Contains(g))
                r.Fail($"stages[{index}].parallel_group",
                    $"group {g} is split by other stages; stages of one parallel group must have consecutive stage_order values");
            current = stage.ParallelGroup;
        }
    }
}
