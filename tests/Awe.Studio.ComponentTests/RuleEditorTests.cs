using Awe.Studio.ApiClient;
using Awe.Studio.Features.Designer.Model;
using Awe.Studio.Features.Designer.Panel;

namespace Awe.Studio.ComponentTests;

/// <summary>The rule editor: one rule's fields by type, required approvers, removal, and its problems.</summary>
public sealed class RuleEditorTests : StudioComponentTest
{
    private IRenderedComponent<RuleEditor> Editor(RuleDraft rule, Action? changed = null, Action? removed = null, DraftProblems? problems = null, bool escalation = false) =>
        Render<RuleEditor>(p => p
            .Add(e => e.Rule, rule)
            .Add(e => e.Escalation, escalation)
            .Add(e => e.Problems, problems ?? DraftProblems.None)
            .Add(e => e.OnChanged, changed ?? (() => { }))
            .Add(e => e.OnRemove, removed ?? (() => { })));

    [Fact]
    public void An_http_rule_takes_its_resolver_URL()
    {
        var rule = new RuleDraft { RuleType = RuleTypes.Http };
        var changes = 0;
        var cut = Editor(rule, () => changes++);
        Assert.Equal("http", cut.Find("[data-testid=rule-editor]").GetAttribute("data-rule-type"));

        cut.Find("input[data-testid=rule-url], [data-testid=rule-url] input").Input("https://hr.example/resolve");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("https://hr.example/resolve", rule.Url);
            Assert.Equal(1, changes);
        }, Settle);
        Assert.Equal("""{"url":"https://hr.example/resolve"}""", SentValue(rule));
    }

    [Fact]
    public void Marking_an_approver_required_is_sent_and_observers_and_escalation_rules_have_no_such_box()
    {
        var rule = new RuleDraft { RuleType = RuleTypes.User, UserId = "u-boss" };
        var cut = Editor(rule);
        cut.Find("input[data-testid=rule-required], [data-testid=rule-required] input").Change(true);
        cut.WaitForAssertion(() => Assert.True(rule.Required), Settle);
        Assert.Equal("user u-boss (required)", StageSentences.Rule(rule));

        var observer = Editor(new RuleDraft { RuleType = RuleTypes.User, UserId = "u-watch", Kind = RuleKinds.Observer });
        Assert.Empty(observer.FindAll("[data-testid=rule-required]"));
        var escalation = Editor(new RuleDraft { RuleType = RuleTypes.User, UserId = "u-head" }, escalation: true);
        Assert.Empty(escalation.FindAll("[data-testid=rule-required]"));
        Assert.Empty(escalation.FindAll("[data-testid=rule-kind]"));
    }

    [Fact]
    public void An_expression_rule_edits_its_logic_in_the_JSONLogic_editor()
    {
        var rule = new RuleDraft { RuleType = RuleTypes.Expression };
        var cut = Editor(rule);
        cut.Find("[data-testid=jsonlogic-editor] textarea").Input("""{"var": "officer"}""");
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("""{"var": "officer"}""", rule.LogicText);
            Assert.NotNull(cut.Find("[data-testid=jsonlogic-valid]"));
        }, Settle);
        Assert.Equal("""{"logic":{"var":"officer"}}""", SentValue(rule));
    }

    [Fact]
    public void Remove_asks_the_stage_to_drop_the_rule()
    {
        var removed = false;
        var cut = Editor(new RuleDraft { RuleType = RuleTypes.Group, Group = "/ops" }, removed: () => removed = true);
        cut.Find("[data-testid=rule-remove]").Click();
        cut.WaitForAssertion(() => Assert.True(removed), Settle);
    }

    [Fact]
    public void A_problem_with_the_rule_marks_it_and_shows_under_its_field()
    {
        var rule = new RuleDraft { RuleType = RuleTypes.Role, Role = "" };
        var draft = new PolicyDraft();
        var stage = StageDraft.New("S");
        stage.Rules.Add(rule);
        draft.Columns.Add([stage]);
        var problems = DraftProblems.Place(draft, [new ApiError("AWE-012", "is required", "stages[0].rules[0].rule_value.role")]);

        var cut = Editor(rule, problems: problems);

        Assert.Contains("awe-rule-invalid", cut.Find("[data-testid=rule-editor]").ClassList);
        Assert.Equal("⚠ is required", cut.Find("[data-testid=field-problem][data-field='rule_value.role']").TextContent.Trim());
    }

    /// <summary>The rule_value the designer would send for this rule.</summary>
    private static string SentValue(RuleDraft rule)
    {
        var draft = new PolicyDraft { PolicyKey = "k", Name = "K", ArtifactType = "a" };
        var stage = StageDraft.New("S");
        stage.Rules.Add(rule);
        draft.Columns.Add([stage]);
        return DraftMapping.ToBody(draft).Body!["stages"]![0]!["rules"]![0]!["rule_value"]!.ToJsonString();
    }
}
