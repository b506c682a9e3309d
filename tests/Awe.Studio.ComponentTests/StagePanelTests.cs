using Awe.Studio.ApiClient;
using Awe.Studio.Features.Designer.Model;
using Awe.Studio.Features.Designer.Panel;

namespace Awe.Studio.ComponentTests;

/// <summary>The stage editor: what it shows of a stage, how edits reach the draft, and where problems appear.</summary>
public sealed class StagePanelTests : StudioComponentTest
{
    private static (PolicyDraft Draft, StageDraft Stage) OneStage(params string[] users)
    {
        var draft = new PolicyDraft { PolicyKey = "k", Name = "K", ArtifactType = "a" };
        var stage = StageDraft.New("Finance");
        stage.Rules.AddRange(users.Select(u => new RuleDraft { RuleType = RuleTypes.User, UserId = u }));
        draft.Columns.Add([stage]);
        return (draft, stage);
    }

    private IRenderedComponent<StagePanel> Panel(PolicyDraft draft, StageDraft stage, Action? changed = null, DraftProblems? problems = null, bool readOnly = false) =>
        Render<StagePanel>(p => p
            .Add(s => s.Draft, draft)
            .Add(s => s.Stage, stage)
            .Add(s => s.Problems, problems ?? DraftProblems.None)
            .Add(s => s.ReadOnly, readOnly)
            .Add(s => s.OnChanged, changed ?? (() => { })));

    [Fact]
    public void Renaming_the_stage_changes_the_draft_and_tells_the_designer()
    {
        var (draft, stage) = OneStage("u-a");
        var changes = 0;
        var cut = Panel(draft, stage, () => changes++);

        cut.Find("input[data-testid=stage-name], [data-testid=stage-name] input").Input("Finance review");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Finance review", stage.Name);
            Assert.Equal(1, changes);
            Assert.Equal("Finance review", cut.Find("[data-testid=stage-panel]").GetAttribute("data-stage-name"));
        }, Settle);
    }

    [Fact]
    public void The_mode_sentence_follows_approvals_needed_and_warns_when_more_are_needed_than_named()
    {
        var (draft, stage) = OneStage("u-a", "u-b");
        stage.Mode = StageModes.AnyN;
        stage.ModeValue = 1;
        var cut = Panel(draft, stage);
        Assert.Equal("1 of 2 approvers must approve; one reject vetoes.", cut.Find("[data-testid=mode-sentence]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=mode-warning]"));

        cut.Find("input[data-testid=stage-mode-value], [data-testid=stage-mode-value] input").Input("3");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(3, stage.ModeValue);
            Assert.Equal("3 approvers must approve; one reject vetoes.", cut.Find("[data-testid=mode-sentence]").TextContent.Trim());
            Assert.Equal("⚠ Needs 3 approvals but only 2 approvers are named.", cut.Find("[data-testid=mode-warning]").TextContent.Trim());
        }, Settle);
    }

    [Fact]
    public void The_APIs_problems_appear_under_the_fields_they_name()
    {
        var (draft, stage) = OneStage("u-a");
        stage.Mode = StageModes.AnyN;
        stage.ModeValue = 2;
        var problems = DraftProblems.Place(draft, [
            new ApiError("AWE-012", "stages[0].mode_value: needs 2 approvals but the stage names only 1 approver(s)", "stages[0].mode_value"),
            new ApiError("AWE-012", "must not be blank", "stages[0].rules[0].rule_value.user_id"),
        ]);
        var cut = Panel(draft, stage, problems: problems);

        Assert.Equal("⚠ needs 2 approvals but the stage names only 1 approver(s)",
            cut.Find("[data-testid=field-problem][data-field=mode_value]").TextContent.Trim());
        var rule = cut.Find("[data-testid=rule-editor]");
        Assert.Contains("awe-rule-invalid", rule.ClassList);
        Assert.Equal("⚠ must not be blank", rule.QuerySelector("[data-testid=field-problem][data-field='rule_value.user_id']")!.TextContent.Trim());
        // The API said it at the field: the designer's own warning would only repeat it.
        Assert.Empty(cut.FindAll("[data-testid=mode-warning]"));
        cut.Render(p => p.Add(s => s.Problems, DraftProblems.None));
        Assert.Equal("⚠ Needs 2 approvals but only 1 approver is named.", cut.Find("[data-testid=mode-warning]").TextContent.Trim());
    }

    [Fact]
    public void Adding_and_removing_rules_edits_the_stages_rule_list()
    {
        var (draft, stage) = OneStage("u-a");
        var changes = 0;
        var cut = Panel(draft, stage, () => changes++);

        cut.Find("[data-testid=add-rule] button").Click();
        Popovers.WaitForElement("[data-testid=add-rule-group]", Settle).Click();
        cut.WaitForAssertion(() =>
        {
            Assert.Equal([RuleTypes.User, RuleTypes.Group], stage.Rules.Select(r => r.RuleType));
            Assert.Equal(2, cut.FindAll("[data-testid=rule-editor]").Count);
        }, Settle);

        cut.FindAll("[data-testid=rule-remove]")[0].Click();
        cut.WaitForAssertion(() =>
        {
            Assert.Equal([RuleTypes.Group], stage.Rules.Select(r => r.RuleType));
            Assert.Equal("group", cut.Find("[data-testid=rule-editor]").GetAttribute("data-rule-type"));
            Assert.Equal(2, changes);
        }, Settle);
    }

    [Fact]
    public void Read_only_shows_the_stage_without_any_way_to_change_it()
    {
        var (draft, stage) = OneStage("u-a");
        var cut = Panel(draft, stage, readOnly: true);
        Assert.Empty(cut.FindAll("[data-testid=stage-delete]"));
        Assert.Empty(cut.FindAll("[data-testid=add-rule]"));
        Assert.Empty(cut.FindAll("[data-testid=rule-remove]"));
        Assert.True(cut.Find("input[data-testid=stage-name], [data-testid=stage-name] input").HasAttribute("readonly"));
        Assert.Equal("The approver must approve; one reject vetoes.", cut.Find("[data-testid=mode-sentence]").TextContent.Trim());
    }
}
