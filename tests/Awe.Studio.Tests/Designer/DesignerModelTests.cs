using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Runtime;
using Awe.Studio.ApiClient;
using Awe.Studio.Features.Designer.Model;

namespace Awe.Studio.Tests.Designer;

/// <summary>The designer's pure parts: draft ↔ API body, editing the columns, layout and drops, sentences, problems.</summary>
public sealed class DesignerModelTests
{
    private static StageDraft Users(string name, params string[] users)
    {
        var stage = StageDraft.New(name);
        stage.Rules.AddRange(users.Select(u => new RuleDraft { RuleType = RuleTypes.User, UserId = u }));
        return stage;
    }

    private static PolicyDraft Draft(params List<StageDraft>[] columns)
    {
        var draft = new PolicyDraft { PolicyKey = "k", Name = "K", ArtifactType = "a" };
        draft.Columns.AddRange(columns);
        return draft;
    }

    private static string Names(PolicyDraft d) => string.Join(" | ", d.Columns.Select(c => string.Join("+", c.Select(s => s.Name))));

    // ---- draft → body ----

    [Fact]
    public void Columns_become_stage_orders_and_a_column_of_several_stages_one_parallel_group()
    {
        var draft = Draft([Users("A", "u1")], [Users("B", "u2"), Users("C", "u3")], [Users("D", "u4")]);
        var (body, problems) = DraftMapping.ToBody(draft);

        Assert.Empty(problems);
        var stages = body!["stages"]!.AsArray();
        Assert.Equal(["A", "B", "C", "D"], stages.Select(s => (string)s!["name"]!));
        Assert.Equal([1, 2, 3, 4], stages.Select(s => (int)s!["stage_order"]!));
        Assert.Equal([null, 2, 2, null], stages.Select(s => (int?)s!["parallel_group"]));
        // What the API's reader accepts (from the wire) is what was drawn.
        var (input, apiProblems) = PolicyReader.Read(JsonNode.Parse(body.ToJsonString()));
        Assert.Empty(apiProblems);
        Assert.Equal([null, 2, 2, null], input!.Stages.Select(s => s.ParallelGroup));
    }

    [Fact]
    public void Each_rule_type_sends_only_its_own_fields_and_observers_are_never_required()
    {
        var stage = StageDraft.New("S");
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.User, UserId = " u-a ", Role = "stale", Required = true });
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.Role, Role = "FIN", Client = "portal" });
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.Role, Role = "OPS", Client = " " });
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.Group, Group = "/a/b", IncludeSubgroups = true, Kind = RuleKinds.Observer, Required = true });
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.Expression, LogicText = """{"var": "officer"}""" });
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.Http, Url = "https://x.example/resolve" });
        var rules = DraftMapping.ToBody(Draft([stage])).Body!["stages"]![0]!["rules"]!.AsArray();

        Assert.Equal("""{"user_id":"u-a"}""", rules[0]!["rule_value"]!.ToJsonString());
        Assert.True((bool)rules[0]!["required"]!);
        Assert.Equal("""{"role":"FIN","client":"portal"}""", rules[1]!["rule_value"]!.ToJsonString());
        Assert.Equal("""{"role":"OPS"}""", rules[2]!["rule_value"]!.ToJsonString());
        Assert.Equal("""{"group":"/a/b","include_subgroups":true}""", rules[3]!["rule_value"]!.ToJsonString());
        Assert.Equal("observer", (string)rules[3]!["kind"]!);
        Assert.False((bool)rules[3]!["required"]!);
        Assert.Equal("""{"logic":{"var":"officer"}}""", rules[4]!["rule_value"]!.ToJsonString());
        Assert.Equal("""{"url":"https://x.example/resolve"}""", rules[5]!["rule_value"]!.ToJsonString());
    }

    [Fact]
    public void Mode_value_is_left_out_for_all_and_escalation_rules_unless_the_breach_action_is_escalate()
    {
        var stage = Users("S", "u1");
        stage.ModeValue = 3;
        stage.EscalationRules.Add(new RuleDraft { UserId = "boss" });
        stage.SlaHours = 4;
        stage.OnBreach = "notify";
        var o = DraftMapping.ToBody(Draft([stage])).Body!["stages"]![0]!.AsObject();
        Assert.False(o.ContainsKey("mode_value"));
        Assert.Empty(o["escalation_rules"]!.AsArray());

        stage.Mode = StageModes.Quorum;
        stage.OnBreach = "escalate";
        o = DraftMapping.ToBody(Draft([stage])).Body!["stages"]![0]!.AsObject();
        Assert.Equal(3, (int)o["mode_value"]!);
        Assert.Equal("boss", (string)o["escalation_rules"]![0]!["rule_value"]!["user_id"]!);
    }

    [Fact]
    public void Text_that_is_not_JSON_is_a_problem_at_the_path_the_API_would_name_and_nothing_is_sent()
    {
        var second = Users("B", "u2");
        second.SkipIfText = "{not json";
        second.Rules.Add(new RuleDraft { RuleType = RuleTypes.Expression, LogicText = "" });
        var (body, problems) = DraftMapping.ToBody(Draft([Users("A", "u1")], [second]));

        Assert.Null(body);
        Assert.Equal(["stages[1].skip_if", "stages[1].rules[1].rule_value.logic"], problems.Select(p => p.Path));
    }

    // ---- opening: live draft and compiled definition ----

    private static readonly JsonObject Sample = JsonNode.Parse("""
        {
          "policy_key": "grant", "name": "Grant", "artifact_type": "grant", "forbid_self_approval": true, "forbid_repeat_approvers": false,
          "stages": [
            { "name": "Officer", "stage_order": 1, "mode": "all", "on_empty": "block", "escalation_rules": [],
              "rules": [ { "rule_type": "user", "rule_value": { "user_id": "u-o" }, "kind": "approver", "required": false } ] },
            { "name": "Finance", "stage_order": 2, "mode": "any-n", "mode_value": 2, "on_empty": "block", "parallel_group": 7, "escalation_rules": [],
              "rules": [ { "rule_type": "user", "rule_value": { "user_id": "u-1" }, "kind": "approver", "required": false },
                         { "rule_type": "user", "rule_value": { "user_id": "u-2" }, "kind": "approver", "required": true },
                         { "rule_type": "group", "rule_value": { "group": "/fin" }, "kind": "observer", "required": false } ] },
            { "name": "Legal", "stage_order": 3, "mode": "percentage", "mode_value": 50, "on_empty": "skip", "parallel_group": 7,
              "skip_if": { "<": [ { "var": "amount" }, 1000 ] }, "sla_hours": 24, "on_breach": "escalate",
              "escalation_rules": [ { "rule_type": "role", "rule_value": { "role": "LEGAL_HEAD" }, "kind": "approver", "required": false } ],
              "rules": [ { "rule_type": "role", "rule_value": { "role": "LEGAL", "client": "portal" }, "kind": "approver", "required": false } ] },
            { "name": "Director", "stage_order": 4, "mode": "all", "on_empty": "block", "escalation_rules": [],
              "rules": [ { "rule_type": "expression", "rule_value": { "logic": { "var": "director" } }, "kind": "approver", "required": false } ] }
          ]
        }
        """)!.AsObject();

    private static ApprovalPolicy Compiled(out PolicyOut output)
    {
        var (input, problems) = PolicyReader.Read(Sample);
        Assert.Empty(problems);
        var policy = new ApprovalPolicy { PolicyKey = "grant", Version = 1 };
        PolicyMapping.Apply(policy, input!, DateTime.UtcNow);
        output = new PolicyOut(policy.Id, "grant", 1, policy.Name, null, "active", policy.ArtifactType, policy.ForbidSelfApproval,
            policy.ForbidRepeatApprovers, null, DateTime.UtcNow, DateTime.UtcNow,
            policy.Stages.OrderBy(s => s.StageOrder).Select(s => new StageOut(s.Id, s.Name, s.StageOrder, s.Mode, s.ModeValue, s.SlaHours, s.SkipIf,
                s.OnEmpty, s.ParallelGroup, s.OnBreach,
                WorkflowCompiler.EscalationRules(s).Select(r => new RuleOut(r.RuleId, r.RuleType, r.RuleValue, r.Kind, r.Required)).ToList(),
                s.Rules.OrderBy(r => r.Position).Select(r => new RuleOut(r.Id, r.RuleType, r.RuleValue, r.Kind, r.Required)).ToList())).ToList());
        return policy;
    }

    /// <summary>The sample as the designer saves it: parallel group 7 is renumbered to its column, 2.</summary>
    private static JsonArray ExpectedStages()
    {
        var stages = Sample["stages"]!.DeepClone().AsArray();
        foreach (var s in stages.OfType<JsonObject>().Where(s => s.ContainsKey("parallel_group"))) s["parallel_group"] = 2;
        return stages;
    }

    private static JsonArray Normalised(JsonNode stages) =>
        new(stages.AsArray().Select(s => (JsonNode?)new JsonObject(s!.AsObject().OrderBy(p => p.Key).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())))).ToArray());

    [Fact]
    public void A_compiled_definition_opens_as_the_draft_it_came_from()
    {
        var policy = Compiled(out var output);
        var definition = WorkflowCompiler.Compile(policy, DateTime.UtcNow).ToJsonNode();

        var draft = DraftMapping.FromDefinition(definition, output);

        Assert.Equal("Officer | Finance+Legal | Director", Names(draft));
        Assert.True(draft.ForbidSelfApproval);
        var body = DraftMapping.ToBody(draft).Body!;
        Assert.True(JsonNode.DeepEquals(Normalised(ExpectedStages()), Normalised(body["stages"]!)),
            $"expected {Normalised(ExpectedStages())}\nactual   {Normalised(body["stages"]!)}");
    }

    [Fact]
    public void A_live_draft_opens_as_itself()
    {
        Compiled(out var output);
        var draft = DraftMapping.FromPolicy(output);
        Assert.Equal("Officer | Finance+Legal | Director", Names(draft));
        Assert.True(JsonNode.DeepEquals(Normalised(ExpectedStages()), Normalised(DraftMapping.ToBody(draft).Body!["stages"]!)));
    }

    [Fact]
    public void Deadline_settings_the_designer_does_not_draw_are_kept_when_a_version_is_saved_again()
    {
        var stage = new StageOut("s1", "Director", 1, "all", null, null, null, "block", null, "notify", [],
            [new RuleOut("r1", "user", new JsonObject { ["user_id"] = "u-dir" }, "approver", false)], Sla: "P1DT4H", RemindEvery: "PT8H", Calendar: "office");
        var policy = new PolicyOut("p1", "grant", 2, "Grant", null, "active", "grant", false, false, null, DateTime.UtcNow, DateTime.UtcNow, [stage],
            RequestTtl: "P30D", Calendar: "office");

        var body = DraftMapping.ToBody(DraftMapping.FromPolicy(policy)).Body!;

        Assert.Equal(("P30D", "office"), ((string?)body["request_ttl"], (string?)body["calendar"]));
        var sent = body["stages"]![0]!;
        Assert.Equal(("P1DT4H", "PT8H", "office", "notify"), ((string?)sent["sla"], (string?)sent["remind_every"], (string?)sent["calendar"], (string?)sent["on_breach"]));
        Assert.Null(sent["sla_hours"]);
        Assert.Contains("Due P1DT4H after the stage starts; then notify (an event, nothing else changes).", StageSentences.Notes(DraftMapping.FromPolicy(policy).Stages.Single()));
    }

    [Fact]
    public void Only_consecutive_stages_of_one_group_share_a_column()
    {
        StageDraft S(string n) => StageDraft.New(n);
        var columns = DraftMapping.ColumnsByParallelGroup([(null, S("a")), (null, S("b")), (1, S("c")), (1, S("d")), (2, S("e")), (null, S("f"))]);
        Assert.Equal("a | b | c+d | e | f", string.Join(" | ", columns.Select(c => string.Join("+", c.Select(s => s.Name)))));
    }

    // ---- editing ----

    [Fact]
    public void Shifting_a_lone_stage_swaps_columns_and_shifting_a_parallel_one_gives_it_its_own_step()
    {
        var a = Users("A"); var b = Users("B"); var c = Users("C");
        var draft = Draft([a], [b, c]);

        draft.Shift(a.Key, +1);
        Assert.Equal("B+C | A", Names(draft));
        draft.Shift(a.Key, +1);
        Assert.Equal("B+C | A", Names(draft));
        draft.Shift(c.Key, -1);
        Assert.Equal("C | B | A", Names(draft));
        draft.Shift(b.Key, +1);
        Assert.Equal("C | A | B", Names(draft));
    }

    [Fact]
    public void Joining_and_moving_to_a_gap_regroup_without_leaving_empty_columns()
    {
        var a = Users("A"); var b = Users("B"); var c = Users("C");
        var draft = Draft([a], [b], [c]);

        draft.JoinColumn(c.Key, 0);
        Assert.Equal("A+C | B", Names(draft));
        draft.MoveToGap(a.Key, 2);
        Assert.Equal("C | B | A", Names(draft));
        draft.MoveToGap(a.Key, 2); // beside itself: nothing changes
        Assert.Equal("C | B | A", Names(draft));
        draft.MoveToGap(a.Key, 0);
        Assert.Equal("A | C | B", Names(draft));
        Assert.True(draft.Remove(c.Key));
        Assert.Equal("A | B", Names(draft));
        Assert.False(draft.Remove(c.Key));
    }

    [Fact]
    public void New_stages_get_unused_names_and_land_where_asked()
    {
        var draft = new PolicyDraft();
        var first = draft.AddStage();
        var beside = draft.AddParallelStage(0);
        var before = draft.AddStage(0);
        Assert.Equal("Stage 3 | Stage 1+Stage 2", Names(draft));
        Assert.Equal((1, 1), draft.Locate(beside.Key));
        Assert.Equal((0, 0), draft.Locate(before.Key));
        Assert.Equal((1, 0), draft.Locate(first.Key));
    }

    // ---- layout and drops ----

    [Fact]
    public void The_layout_stacks_parallel_stages_in_one_column_between_a_fork_and_a_join()
    {
        var layout = CanvasLayout.For([1, 2, 1]);

        Assert.Equal(3, layout.Columns.Count);
        Assert.Null(layout.Gateways[0]);
        Assert.NotNull(layout.Gateways[1]);
        var (fork, join) = layout.Gateways[1]!.Value;
        var top = layout.Columns[1][0];
        var bottom = layout.Columns[1][1];
        Assert.Equal(top.X, bottom.X);
        Assert.True(bottom.Y >= top.Y + CanvasLayout.StageHeight);
        Assert.True(fork.X + fork.Width < top.X && join.X > top.X + top.Width);
        Assert.True(layout.Columns[0][0].X + CanvasLayout.StageWidth < fork.X);
        Assert.True(layout.Columns[2][0].X > join.X + join.Width);
        // All on one centre line; the outcomes after the last column; the reject line below everything.
        Assert.Equal(layout.Start.CenterY, layout.Columns[0][0].CenterY, 3);
        Assert.Equal(layout.Start.CenterY, (top.CenterY + bottom.CenterY) / 2, 3);
        Assert.True(layout.Approved.X > layout.Columns[2][0].X + CanvasLayout.StageWidth);
        Assert.True(layout.RejectLineY > bottom.Y + bottom.Height && layout.RejectLineY < layout.Height);
    }

    [Fact]
    public void A_drop_over_a_column_joins_it_and_a_drop_elsewhere_opens_a_step_in_the_nearest_gap()
    {
        var layout = CanvasLayout.For([1, 1]);
        var first = layout.Columns[0][0];
        var second = layout.Columns[1][0];

        Assert.Equal(new Drop(DropKind.IntoColumn, 1), layout.DropAt(second.CenterX));
        Assert.Equal(new Drop(DropKind.IntoColumn, 0), layout.DropAt(first.X + 1));
        Assert.Equal(new Drop(DropKind.BetweenColumns, 0), layout.DropAt(first.X - 5));
        Assert.Equal(new Drop(DropKind.BetweenColumns, 1), layout.DropAt((first.X + first.Width + second.X) / 2));
        Assert.Equal(new Drop(DropKind.BetweenColumns, 2), layout.DropAt(second.X + second.Width + 5));

        var a = Users("A"); var b = Users("B");
        var draft = Draft([a], [b]);
        draft.Apply(b.Key, layout.DropAt(first.CenterX));
        Assert.Equal("A+B", Names(draft));
    }

    // ---- sentences ----

    [Theory]
    [InlineData("any-n", 2, 3, "2 of 3 approvers must approve; one reject vetoes.")]
    [InlineData("quorum", null, 2, "1 of 2 approvers must approve; one reject vetoes.")]
    [InlineData("all", null, 3, "All 3 approvers must approve; one reject vetoes.")]
    [InlineData("all", null, 1, "The approver must approve; one reject vetoes.")]
    [InlineData("percentage", 60, 3, "60% of the approvers (2 of 3) must approve; one reject vetoes.")]
    [InlineData("any-n", 2, 1, "2 approvers must approve; one reject vetoes.")]
    [InlineData("any-n", 1, 1, "1 of 1 approver must approve; one reject vetoes.")]
    public void The_mode_sentence_counts_named_approvers(string mode, int? value, int users, string expected)
    {
        var stage = Users("S", Enumerable.Range(1, users).Select(i => $"u{i}").ToArray());
        stage.Mode = mode;
        stage.ModeValue = value;
        Assert.Equal(expected, StageSentences.Mode(stage));
    }

    [Theory]
    [InlineData("any-n", 2, 1, "Needs 2 approvals but only 1 approver is named.")]
    [InlineData("quorum", 3, 2, "Needs 3 approvals but only 2 approvers are named.")]
    [InlineData("any-n", 2, 2, null)]
    [InlineData("all", 5, 1, null)]
    [InlineData("percentage", 100, 1, null)]
    public void More_approvals_needed_than_approvers_named_is_a_warning(string mode, int? value, int users, string? expected)
    {
        var stage = Users("S", Enumerable.Range(1, users).Select(i => $"u{i}").ToArray());
        stage.Mode = mode;
        stage.ModeValue = value;
        Assert.Equal(expected, StageSentences.ModeWarning(stage));
        // A role rule makes the count unknown until a request: then nothing to warn about.
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.Role, Role = "FIN" });
        Assert.Null(StageSentences.ModeWarning(stage));
    }

    [Fact]
    public void With_directory_rules_the_total_stays_open_and_required_approvers_are_named()
    {
        var stage = Users("S", "u-boss");
        stage.Rules[0].Required = true;
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.Role, Role = "FIN" });
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.User, UserId = "u-watch", Kind = RuleKinds.Observer });
        stage.Mode = StageModes.AnyN;
        stage.ModeValue = 2;
        Assert.Equal("2 approvers must approve, including user u-boss; one reject vetoes.", StageSentences.Mode(stage));
        stage.Mode = StageModes.All;
        Assert.Equal("Every approver must approve, including user u-boss; one reject vetoes.", StageSentences.Mode(stage));
        Assert.Contains("1 observer rule: informed, never vote.", StageSentences.Notes(stage));
    }

    // ---- problems ----

    [Fact]
    public void The_APIs_problem_paths_land_on_the_stage_rule_and_field_they_name()
    {
        var a = Users("A", "u1");
        var b = Users("B", "u2", "u3");
        b.OnBreach = "escalate";
        b.EscalationRules.Add(new RuleDraft { UserId = "boss" });
        var draft = Draft([a], [b]);
        var problems = DraftProblems.Place(draft, [
            new ApiError("AWE-012", "stages[0].mode_value: needs 2", "stages[0].mode_value"), // the API repeats the path: not under the field
            new ApiError("AWE-012", "is required", "stages[1].rules[1].rule_value.user_id"),
            new ApiError("AWE-012", "bad", "stages[1].escalation_rules[0].rule_value.user_id"),
            new ApiError("AWE-012", "taken", "policy_key"),
            new ApiError("AWE-012", "whole stage", "stages[1]"),
            new ApiError("AWE-012", "no such stage", "stages[9].name"),
            new ApiError("AWE-013", "no path", null),
        ]);

        Assert.Equal(["needs 2"], problems.ForStage(a.Key, "mode_value"));
        Assert.Equal(["is required"], problems.ForRule(b.Rules[1].Key, "rule_value.user_id"));
        Assert.Empty(problems.ForRule(b.Rules[0].Key, "rule_value.user_id"));
        Assert.Equal(["bad"], problems.ForRule(b.EscalationRules[0].Key, "rule_value.user_id"));
        Assert.Equal(["taken"], problems.ForPolicy("policy_key"));
        Assert.Equal(["whole stage"], problems.ForStage(b.Key, ""));
        Assert.Equal(1, problems.CountForStage(a.Key));
        Assert.Equal(3, problems.CountForStage(b.Key));
        Assert.Equal(["no such stage", "no path"], problems.Unplaced.Select(e => e.Message));
    }

    // ---- JSONLogic ----

    [Fact]
    public void JSONLogic_is_checked_with_the_engines_rules_and_tried_against_a_sample()
    {
        Assert.Empty(JsonLogicCheck.Problems("", requireObject: true));
        Assert.StartsWith("Not valid JSON", JsonLogicCheck.Problems("{", requireObject: true).Single());
        Assert.StartsWith("Must be a JSONLogic rule object", JsonLogicCheck.Problems("true", requireObject: true).Single());
        Assert.Empty(JsonLogicCheck.Problems("true", requireObject: false));
        Assert.Contains("unknown operator 'nope'", JsonLogicCheck.Problems("""{"and": [{"nope": 1}]}""", requireObject: true).Single());

        var skip = JsonLogicCheck.Try("""{"<": [{"var": "amount"}, 1000]}""", """{"amount": 200}""");
        Assert.True(skip.Ok && skip.Truthy);
        Assert.Equal("true", skip.Text);
        var users = JsonLogicCheck.Try("""{"var": "officers"}""", """{"officers": ["u-a", "u-b"]}""");
        Assert.Equal("""["u-a","u-b"]""", users.Text);
        Assert.False(JsonLogicCheck.Try("""{"var": "x"}""", "[1]").Ok);
        Assert.False(JsonLogicCheck.Try("""{"var": "x"}""", "{oops").Ok);
    }
}
