using Awe.Studio.Features.Designer.Diff;
using Awe.Studio.Features.Designer.Model;

namespace Awe.Studio.Tests.Designer;

/// <summary>The rules of the version diff: how stages pair across versions, and what counts as moved, regrouped or changed.</summary>
public sealed class PolicyDiffTests
{
    private static StageDraft S(string name, params string[] users)
    {
        var stage = StageDraft.New(name);
        stage.Rules.AddRange(users.Select(u => new RuleDraft { RuleType = RuleTypes.User, UserId = u }));
        return stage;
    }

    /// <summary>A draft from "A | B+C | D": columns split by '|', parallel stages joined by '+'; each stage names user u-{name}.</summary>
    private static PolicyDraft Flow(string flow)
    {
        var draft = new PolicyDraft { PolicyKey = "k", Name = "K", ArtifactType = "a" };
        foreach (var column in flow.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            draft.Columns.Add(column.Split('+', StringSplitOptions.TrimEntries).Select(n => S(n, "u-" + n.ToLowerInvariant())).ToList());
        return draft;
    }

    private static StageDiff Stage(PolicyDiff diff, string name) => diff.Stages.Single(s => s.Name == name);

    private static string Summary(PolicyDiff diff) =>
        string.Join(" ", diff.Stages.Select(s => $"{s.Name}:{s.Change.ToString().ToLowerInvariant()}{(s.Moved ? "+moved" : "")}{(s.Regrouped ? "+regrouped" : "")}{(s.Renamed ? "+renamed" : "")}"));

    [Fact]
    public void The_same_flow_is_the_same_even_with_other_spacing_in_its_JSON()
    {
        var a = Flow("A | B+C");
        var b = Flow("A | B+C");
        a.Columns[0][0].SkipIfText = """{"<": [{"var": "amount"}, 10]}""";
        b.Columns[0][0].SkipIfText = """{ "<" : [ { "var" : "amount" } , 10 ] }""";
        var diff = PolicyDiffer.Compare(a, b);
        Assert.True(diff.Same);
        Assert.Equal("A:unchanged B:unchanged C:unchanged", Summary(diff));
    }

    [Fact]
    public void A_renamed_stage_in_its_place_is_renamed_and_a_same_named_stage_elsewhere_is_moved()
    {
        // B renamed to Budget (between A and C as before, one approver kept, one added); D moved from last to first.
        var newer = Flow("D | A | Budget | C");
        newer.Columns[2][0].Rules.Insert(0, new RuleDraft { RuleType = RuleTypes.User, UserId = "u-b" });
        var diff = PolicyDiffer.Compare(Flow("A | B | C | D"), newer);
        var budget = Stage(diff, "Budget");
        Assert.True(budget.Renamed);
        Assert.Equal("B", budget.OldName);
        Assert.False(budget.Moved);
        var d = Stage(diff, "D");
        Assert.True(d.Moved);
        Assert.Equal((4, 1), (d.Old!.Step, d.New!.Step));
        Assert.Equal([Change.Unchanged, Change.Added], budget.Rules.Select(r => r.Change));
        // A and C only shifted one step because D now comes first: not moves, and nothing else changed.
        Assert.False(Stage(diff, "A").Moved);
        Assert.True(Stage(diff, "A").Shifted);
        Assert.Equal("D:changed+moved A:unchanged Budget:changed+renamed C:unchanged", Summary(diff));
    }

    [Fact]
    public void A_renamed_stage_with_everything_else_equal_pairs_wherever_it_went()
    {
        var newer = Flow("A | C | D | B");
        newer.Columns[3][0].Name = "Budget"; // B renamed and moved to the end, its rules unchanged
        var diff = PolicyDiffer.Compare(Flow("A | B | C | D"), newer);
        var budget = Stage(diff, "Budget");
        Assert.True(budget.Renamed && budget.Moved);
        Assert.Equal(0, diff.Count(Change.Added) + diff.Count(Change.Removed));
    }

    [Fact]
    public void A_renamed_stage_in_its_place_with_none_of_its_rules_is_removed_and_added()
    {
        var older = Flow("A | B");
        var newer = Flow("A | Legal");
        var diff = PolicyDiffer.Compare(older, newer);
        Assert.Equal("A:unchanged B:removed Legal:added", Summary(diff));
        Assert.Equal(Change.Removed, Stage(diff, "B").Rules.Single().Change);
    }

    [Fact]
    public void Swapping_two_stages_moves_one_of_them()
    {
        var diff = PolicyDiffer.Compare(Flow("A | B | C"), Flow("B | A | C"));
        Assert.Equal("B:unchanged A:changed+moved C:unchanged", Summary(diff));
        Assert.True(Stage(diff, "B").Shifted);
    }

    [Fact]
    public void Joining_or_leaving_a_parallel_group_is_a_regrouping_not_a_move()
    {
        var diff = PolicyDiffer.Compare(Flow("A | B | C | D"), Flow("A | B+C | D"));
        Assert.Equal("A:unchanged B:changed+regrouped C:changed+regrouped D:unchanged", Summary(diff));
        Assert.Equal(["C"], Stage(diff, "B").New!.ParallelWith);
        Assert.Empty(Stage(diff, "B").Old!.ParallelWith);
        Assert.True(Stage(diff, "D").Shifted);

        var back = PolicyDiffer.Compare(Flow("A | B+C | D"), Flow("A | B | C | D"));
        Assert.Equal("A:unchanged B:changed+regrouped C:changed+regrouped D:unchanged", Summary(back));
    }

    [Fact]
    public void A_stage_added_beside_another_regroups_it_and_says_where_it_runs()
    {
        var diff = PolicyDiffer.Compare(Flow("A | B"), Flow("A | B+Legal"));
        Assert.Equal("A:unchanged B:changed+regrouped Legal:added", Summary(diff));
        Assert.Equal(["B"], Stage(diff, "Legal").New!.ParallelWith);
        Assert.Equal(Change.Added, Stage(diff, "Legal").Rules.Single().Change);
    }

    [Fact]
    public void A_removed_stage_is_listed_where_it_used_to_be()
    {
        var diff = PolicyDiffer.Compare(Flow("A | B | C"), Flow("A | C"));
        Assert.Equal("A:unchanged B:removed C:unchanged", Summary(diff));
        Assert.Equal(2, Stage(diff, "B").Old!.Step);
        var first = PolicyDiffer.Compare(Flow("A | B"), Flow("B"));
        Assert.Equal("A:removed B:unchanged", Summary(first));
    }

    [Fact]
    public void Stage_fields_show_old_and_new_and_mode_value_counts_only_where_the_mode_reads_it()
    {
        var older = Flow("A");
        var newer = Flow("A");
        var (o, n) = (older.Columns[0][0], newer.Columns[0][0]);
        o.Mode = StageModes.All; o.ModeValue = 5; // ignored by "all"
        n.Mode = StageModes.AnyN; n.ModeValue = 2;
        o.SlaHours = 24; n.Sla = "P2D";
        n.OnBreach = "notify";
        n.OnEmpty = "skip";
        n.SkipIfText = """{"<": [{"var": "amount"}, 10]}""";
        var fields = Stage(PolicyDiffer.Compare(older, newer), "A").Fields;

        Assert.Equal(
            ["mode: all → any-n", "mode_value: – → 2", "sla: 24 h → P2D", "on_breach: – → notify", "on_empty: block → skip", """skip_if: – → {"<":[{"var":"amount"},10]}"""],
            fields.Select(f => $"{f.Field}: {f.Old ?? "–"} → {f.New ?? "–"}"));
    }

    [Fact]
    public void Rules_pair_by_who_they_name_and_kind_or_required_are_their_changes()
    {
        var older = Flow("A");
        var newer = Flow("A");
        var (o, n) = (older.Columns[0][0], newer.Columns[0][0]);
        o.Rules.Add(new RuleDraft { RuleType = RuleTypes.Role, Role = "FIN", Client = "portal" });
        o.Rules.Add(new RuleDraft { RuleType = RuleTypes.User, UserId = "u-gone" });
        n.Rules[0].Required = true; // u-a, now required
        n.Rules.Add(new RuleDraft { RuleType = RuleTypes.Role, Role = "FIN", Client = "portal", Kind = RuleKinds.Observer });
        n.Rules.Add(new RuleDraft { RuleType = RuleTypes.Role, Role = "FIN" }); // realm role FIN: another rule than the client's
        var rules = Stage(PolicyDiffer.Compare(older, newer), "A").Rules;

        Assert.Equal(
            ["Changed user u-a (required) [required no→yes]", "Changed role FIN of portal (observer) [kind approver→observer]", "Added realm role FIN []", "Removed user u-gone []"],
            rules.Select(r => $"{r.Change} {r.Rule} [{string.Join(", ", r.Fields.Select(f => $"{f.Field} {f.Old}→{f.New}"))}]"));
    }

    [Fact]
    public void Policy_level_flags_and_settings_are_compared()
    {
        var older = Flow("A");
        var newer = Flow("A");
        newer.ForbidSelfApproval = true;
        newer.Name = "K2";
        newer.RequestTtl = "P30D";
        var diff = PolicyDiffer.Compare(older, newer);
        Assert.Equal(["name: K → K2", "forbid_self_approval: no → yes", "request_ttl:  → P30D"], diff.Policy.Select(f => $"{f.Field}: {f.Old} → {f.New}"));
        Assert.False(diff.Same);
        Assert.Equal("A | B ∥ C", PolicyDiffer.Flow(Flow("A | B+C")).Replace(" → ", " | "));
    }
}
