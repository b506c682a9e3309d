using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Studio.Features.Designer.Model;

namespace Awe.Studio.Features.Designer.Diff;

public enum Change { Unchanged, Added, Removed, Changed }

/// <summary>One field that differs: its API name, a label for people, and both values as text (null: not set).</summary>
public sealed record FieldChange(string Field, string Label, string? Old, string? New);

/// <summary>A rule added, removed, or kept with other kind / required (<see cref="Fields"/>).</summary>
public sealed record RuleChange(Change Change, string Rule, IReadOnlyList<FieldChange> Fields);

/// <summary>
/// Where a stage sits in the flow: its step (column, 1-based), and the stages it runs in parallel with there.
/// </summary>
public sealed record StagePlace(int Step, int Order, IReadOnlyList<string> ParallelWith);

/// <summary>
/// One stage across two versions. <see cref="Old"/>/<see cref="New"/> are null for an added / removed stage.
/// <see cref="Moved"/>: it runs before or after other kept stages it did not run before or after (a reorder, not a
/// step number shifted by a stage added or removed elsewhere). <see cref="Regrouped"/>: the stages it runs in
/// parallel with changed.
/// </summary>
public sealed record StageDiff(
    Change Change, string? OldName, string? NewName, StagePlace? Old, StagePlace? New,
    bool Renamed, bool Moved, bool Regrouped, IReadOnlyList<FieldChange> Fields, IReadOnlyList<RuleChange> Rules, IReadOnlyList<RuleChange> EscalationRules)
{
    public string Name => NewName ?? OldName ?? "";
    /// <summary>Its step number differs only because stages were added or removed before it.</summary>
    public bool Shifted => Old is not null && New is not null && Old.Step != New.Step && !Moved;
}

/// <summary>Two versions compared: policy-level fields, then every stage of both in the new version's order (a removed
/// stage where it used to be).</summary>
public sealed record PolicyDiff(IReadOnlyList<FieldChange> Policy, IReadOnlyList<StageDiff> Stages)
{
    public bool Same => Policy.Count == 0 && Stages.All(s => s.Change == Change.Unchanged);
    public int Count(Change change) => Stages.Count(s => s.Change == change);
}

/// <summary>
/// The designer's diff of two policy versions, stage by stage. Stages have no identity across versions (every version
/// stores its own), so they are paired, in this order of preference:
/// <list type="number">
/// <item>by name (case and surrounding spaces ignored; repeated names pair in flow order);</item>
/// <item>a stage renamed but otherwise identical (every field and rule) is the same stage, wherever it moved;</item>
/// <item>a stage renamed in the same place (between the same paired stages) that keeps at least one of its rules is
/// the same stage;</item>
/// </list>
/// anything left is removed or added. Rules pair by who they name (type and value); kind and required are their
/// changes. The result only reads the drafts, so it can compare a saved version with unsaved edits too.
/// </summary>
public static class PolicyDiffer
{
    public static PolicyDiff Compare(PolicyDraft older, PolicyDraft newer)
    {
        var policy = new List<FieldChange>();
        Field(policy, "name", "Name", older.Name, newer.Name);
        Field(policy, "description", "Description", Blank(older.Description), Blank(newer.Description));
        Field(policy, "artifact_type", "Artifact type", older.ArtifactType, newer.ArtifactType);
        Field(policy, "forbid_self_approval", "Requester and creator may not approve", YesNo(older.ForbidSelfApproval), YesNo(newer.ForbidSelfApproval));
        Field(policy, "forbid_repeat_approvers", "One approval per person", YesNo(older.ForbidRepeatApprovers), YesNo(newer.ForbidRepeatApprovers));
        Field(policy, "request_ttl", "Request lifetime", Blank(older.RequestTtl), Blank(newer.RequestTtl));
        Field(policy, "calendar", "Business calendar", Blank(older.Calendar), Blank(newer.Calendar));

        var olds = InFlowOrder(older);
        var news = InFlowOrder(newer);
        var pairs = Pair(olds, news);
        // Identity of each stage for "parallel with": a pair shares one, unpaired stages their own.
        var oldId = new Dictionary<StageDraft, int>();
        var newId = new Dictionary<StageDraft, int>();
        var id = 0;
        foreach (var (o, n) in pairs) { oldId[o.Stage] = id; newId[n.Stage] = id; id++; }
        foreach (var o in olds.Where(o => !oldId.ContainsKey(o.Stage))) oldId[o.Stage] = id++;
        foreach (var n in news.Where(n => !newId.ContainsKey(n.Stage))) newId[n.Stage] = id++;

        var moved = Moved(pairs);
        var diffs = new List<(double Sort, StageDiff Diff)>();
        foreach (var (o, n) in pairs)
        {
            var fields = StageFields(o.Stage, n.Stage);
            var rules = Rules(o.Stage.Rules, n.Stage.Rules);
            var escalation = Rules(o.Stage.EscalationRules, n.Stage.EscalationRules);
            var renamed = !string.Equals(o.Stage.Name, n.Stage.Name, StringComparison.Ordinal);
            var oldPeers = Peers(older, o, oldId);
            var newPeers = Peers(newer, n, newId);
            var regrouped = !oldPeers.SetEquals(newPeers);
            var isMoved = moved.Contains(n.Stage);
            var changed = renamed || isMoved || regrouped || fields.Count > 0 || rules.Any(r => r.Change != Change.Unchanged)
                          || escalation.Any(r => r.Change != Change.Unchanged);
            diffs.Add((n.Index, new StageDiff(changed ? Change.Changed : Change.Unchanged, o.Stage.Name, n.Stage.Name,
                Place(older, o), Place(newer, n), renamed, isMoved, regrouped, fields, rules, escalation)));
        }
        foreach (var n in news.Where(n => pairs.All(p => p.New.Stage != n.Stage)))
            diffs.Add((n.Index, new StageDiff(Change.Added, null, n.Stage.Name, null, Place(newer, n), false, false, false, [],
                n.Stage.Rules.Select(r => new RuleChange(Change.Added, StageSentences.Rule(r), [])).ToList(),
                n.Stage.EscalationRules.Select(r => new RuleChange(Change.Added, StageSentences.Rule(r), [])).ToList())));
        foreach (var o in olds.Where(o => pairs.All(p => p.Old.Stage != o.Stage)))
        {
            // Where it used to be: just after the new position of the kept stage that preceded it (or first).
            var before = pairs.Where(p => p.Old.Index < o.Index).Select(p => (double)p.New.Index).DefaultIfEmpty(-1).Max();
            diffs.Add((before + 0.5 + o.Index / 1000.0, new StageDiff(Change.Removed, o.Stage.Name, null, Place(older, o), null, false, false, false, [],
                o.Stage.Rules.Select(r => new RuleChange(Change.Removed, StageSentences.Rule(r), [])).ToList(),
                o.Stage.EscalationRules.Select(r => new RuleChange(Change.Removed, StageSentences.Rule(r), [])).ToList())));
        }
        return new PolicyDiff(policy, diffs.OrderBy(d => d.Sort).Select(d => d.Diff).ToList());
    }

    /// <summary>A version's flow in one line: "Officer → Finance ∥ Legal → Director".</summary>
    public static string Flow(PolicyDraft draft) =>
        draft.Columns.Count == 0 ? "(no stages)" : string.Join(" → ", draft.Columns.Select(c => string.Join(" ∥ ", c.Select(s => s.Name))));

    // ---- pairing ----

    private sealed record Placed(StageDraft Stage, int Index, int Column, int Row);

    private static List<Placed> InFlowOrder(PolicyDraft draft) =>
        draft.Columns.SelectMany((column, c) => column.Select((stage, row) => (stage, c, row)))
            .Select((x, i) => new Placed(x.stage, i, x.c, x.row)).ToList();

    private static List<(Placed Old, Placed New)> Pair(List<Placed> olds, List<Placed> news)
    {
        var pairs = new List<(Placed Old, Placed New)>();
        var freeOld = new List<Placed>(olds);
        var freeNew = new List<Placed>(news);
        void Take(Placed o, Placed n)
        {
            pairs.Add((o, n));
            freeOld.Remove(o);
            freeNew.Remove(n);
        }
        foreach (var n in news)
            if (freeOld.FirstOrDefault(o => NameKey(o.Stage) == NameKey(n.Stage)) is { } o) Take(o, n);
        foreach (var n in freeNew.ToList())
            if (freeOld.FirstOrDefault(o => SameContent(o.Stage, n.Stage)) is { } o) Take(o, n);
        foreach (var n in freeNew.ToList())
        {
            var gap = Gap(pairs, n.Index, p => p.New.Index);
            if (freeOld.FirstOrDefault(o => Gap(pairs, o.Index, p => p.Old.Index) == gap && SharesARule(o.Stage, n.Stage)) is { } o) Take(o, n);
        }
        return pairs.OrderBy(p => p.New.Index).ToList();
    }

    /// <summary>The place of a stage among the stages paired so far: the pairs just before and just after it.</summary>
    private static (int Before, int After) Gap(List<(Placed Old, Placed New)> pairs, int index, Func<(Placed Old, Placed New), int> indexOf)
    {
        var before = pairs.Select((p, i) => (p, i)).Where(x => indexOf(x.p) < index).OrderByDescending(x => indexOf(x.p)).Select(x => x.i).DefaultIfEmpty(-1).First();
        var after = pairs.Select((p, i) => (p, i)).Where(x => indexOf(x.p) > index).OrderBy(x => indexOf(x.p)).Select(x => x.i).DefaultIfEmpty(-1).First();
        return (before, after);
    }

    private static string NameKey(StageDraft stage) => stage.Name.Trim().ToLowerInvariant();

    private static bool SameContent(StageDraft a, StageDraft b) =>
        StageFields(a, b).Count == 0
        && Rules(a.Rules, b.Rules).All(r => r.Change == Change.Unchanged)
        && Rules(a.EscalationRules, b.EscalationRules).All(r => r.Change == Change.Unchanged);

    private static bool SharesARule(StageDraft a, StageDraft b) =>
        a.Rules.Select(RuleKey).Intersect(b.Rules.Select(RuleKey)).Any();

    /// <summary>
    /// Kept stages that changed their order relative to others: all but the largest set whose old steps rise with the
    /// new ones (a longest non-decreasing subsequence of old steps, in new order). Running in parallel is neither
    /// before nor after, so joining or leaving a group is a regrouping, not a move.
    /// </summary>
    private static HashSet<StageDraft> Moved(List<(Placed Old, Placed New)> pairs)
    {
        var sequence = pairs.OrderBy(p => p.New.Column).ThenBy(p => p.Old.Column).ThenBy(p => p.Old.Index).ToList();
        var length = new int[sequence.Count];
        var previous = new int[sequence.Count];
        for (var i = 0; i < sequence.Count; i++)
        {
            length[i] = 1;
            previous[i] = -1;
            for (var j = 0; j < i; j++)
                if (sequence[j].Old.Column <= sequence[i].Old.Column && length[j] + 1 > length[i])
                {
                    length[i] = length[j] + 1;
                    previous[i] = j;
                }
        }
        var kept = new HashSet<StageDraft>();
        // The first longest chain: of two stages swapped, the one now later counts as moved.
        var end = sequence.Count == 0 ? -1 : Enumerable.Range(0, sequence.Count).OrderByDescending(i => length[i]).ThenBy(i => i).First();
        for (var i = end; i >= 0; i = previous[i]) kept.Add(sequence[i].New.Stage);
        return sequence.Where(p => !kept.Contains(p.New.Stage)).Select(p => p.New.Stage).ToHashSet();
    }

    private static HashSet<int> Peers(PolicyDraft draft, Placed p, Dictionary<StageDraft, int> ids) =>
        draft.Columns[p.Column].Where(s => s != p.Stage).Select(s => ids[s]).ToHashSet();

    private static StagePlace Place(PolicyDraft draft, Placed p) =>
        new(p.Column + 1, p.Index + 1, draft.Columns[p.Column].Where(s => s != p.Stage).Select(s => s.Name).ToList());

    // ---- fields and rules ----

    private static List<FieldChange> StageFields(StageDraft o, StageDraft n)
    {
        var fields = new List<FieldChange>();
        Field(fields, "name", "Name", o.Name, n.Name);
        Field(fields, "mode", "Decides when", o.Mode, n.Mode);
        Field(fields, "mode_value", n.Mode == StageModes.Percentage ? "Percent" : "Approvals needed", ModeValue(o), ModeValue(n));
        Field(fields, "sla", "SLA", StageSentences.Deadline(o), StageSentences.Deadline(n));
        Field(fields, "on_breach", "When the SLA is missed", Blank(o.OnBreach), Blank(n.OnBreach));
        Field(fields, "remind_every", "Reminders", Blank(o.RemindEvery), Blank(n.RemindEvery));
        Field(fields, "calendar", "Business calendar", Blank(o.Calendar), Blank(n.Calendar));
        Field(fields, "on_empty", "If nobody resolves", o.OnEmpty, n.OnEmpty);
        Field(fields, "skip_if", "Skip if", Json(o.SkipIfText), Json(n.SkipIfText));
        // The name is shown as the stage's title (renamed), not as a field.
        fields.RemoveAll(f => f.Field == "name");
        return fields;
    }

    /// <summary>mode_value only means something beside a mode that reads it (the API ignores it for "all").</summary>
    private static string? ModeValue(StageDraft s) => s.Mode == StageModes.All ? null : s.ModeValue?.ToString();

    private static List<RuleChange> Rules(List<RuleDraft> olds, List<RuleDraft> news)
    {
        var result = new List<RuleChange>();
        var free = new List<RuleDraft>(olds);
        foreach (var n in news)
        {
            var o = free.FirstOrDefault(r => RuleKey(r) == RuleKey(n));
            if (o is null)
            {
                result.Add(new RuleChange(Change.Added, StageSentences.Rule(n), []));
                continue;
            }
            free.Remove(o);
            var fields = new List<FieldChange>();
            Field(fields, "kind", "Takes part as", o.Kind, n.Kind);
            Field(fields, "required", "Required", YesNo(Required(o)), YesNo(Required(n)));
            result.Add(new RuleChange(fields.Count == 0 ? Change.Unchanged : Change.Changed, StageSentences.Rule(n), fields));
        }
        result.AddRange(free.Select(o => new RuleChange(Change.Removed, StageSentences.Rule(o), [])));
        return result;
    }

    private static bool Required(RuleDraft r) => r.Kind == RuleKinds.Approver && r.Required;

    /// <summary>Who a rule names, as the API would send it: its type and the value fields of that type.</summary>
    private static string RuleKey(RuleDraft r) => r.RuleType switch
    {
        RuleTypes.User => $"user:{r.UserId.Trim().ToLowerInvariant()}",
        RuleTypes.Role => $"role:{r.Client?.Trim()}:{r.Role.Trim()}",
        RuleTypes.Group => $"group:{r.Group.Trim()}:{r.IncludeSubgroups}",
        RuleTypes.Expression => $"expression:{Json(r.LogicText)}",
        RuleTypes.Http => $"http:{r.Url.Trim()}",
        _ => $"{r.RuleType}:",
    };

    private static void Field(List<FieldChange> into, string field, string label, string? old, string? @new)
    {
        if (!string.Equals(old, @new, StringComparison.Ordinal)) into.Add(new FieldChange(field, label, old, @new));
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static string YesNo(bool b) => b ? "yes" : "no";

    /// <summary>JSON text compared by value (spacing and key order of the author's typing do not count).</summary>
    private static string? Json(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return Canonical(JsonNode.Parse(text))?.ToJsonString(DraftMapping.Readable) ?? "null";
        }
        catch (JsonException)
        {
            return text.Trim();
        }
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        _ => node?.DeepClone(),
    };
}
