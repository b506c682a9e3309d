using Awe.Studio.ApiClient;
using Awe.Studio.Features.Designer.Canvas;
using Awe.Studio.Features.Designer.Model;
using Blazor.Diagrams.Core.Geometry;

namespace Awe.Studio.ComponentTests;

/// <summary>A stage card on the canvas: its name in full on hover, its problem badge, and the decision rule it states.</summary>
public sealed class StageNodeWidgetTests : StudioComponentTest
{
    [Fact]
    public void A_card_names_its_stage_in_full_on_hover_counts_its_problems_and_warns_about_an_unreachable_quorum()
    {
        const string name = "Regional finance officer countersignature and budget line check";
        var stage = StageDraft.New(name);
        stage.Rules.Add(new RuleDraft { RuleType = RuleTypes.User, UserId = "u-rfo" });
        stage.Mode = StageModes.AnyN;
        stage.ModeValue = 2;
        var node = new StageNodeModel(stage, 0, new Point(0, 0))
        {
            StageOrder = 1,
            Problems = [new ApiError("AWE-012", "needs 2 approvals", "stages[0].mode_value"), new ApiError("AWE-012", "blank", "stages[0].rules[0].rule_value.user_id")],
        };

        var cut = Render<StageNodeWidget>(p => p.Add(w => w.Node, node));

        var title = cut.Find("[data-testid=stage-title]");
        Assert.Equal(name, title.GetAttribute("title"));
        Assert.Equal(name, title.TextContent);
        var badge = cut.Find("[data-testid=stage-problem-badge]");
        Assert.Equal("⚠ 2", badge.TextContent.Trim());
        Assert.Equal("2 problems", badge.GetAttribute("aria-label"));
        Assert.Equal("⚠ Needs 2 approvals but only 1 approver is named.", cut.Find("[data-testid=stage-mode-warning]").TextContent.Trim());
        Assert.DoesNotContain("2 of 1", cut.Markup);
    }

    [Fact]
    public void A_reachable_rule_is_stated_in_words_and_a_duration_deadline_is_shown()
    {
        var stage = StageDraft.New("Finance");
        stage.Rules.AddRange(new[] { "u-1", "u-2", "u-3" }.Select(u => new RuleDraft { RuleType = RuleTypes.User, UserId = u }));
        stage.Mode = StageModes.Quorum;
        stage.ModeValue = 2;
        stage.Sla = "P2D";
        var cut = Render<StageNodeWidget>(p => p.Add(w => w.Node, new StageNodeModel(stage, 0, new Point(0, 0)) { StageOrder = 1 }));

        Assert.Equal("2 of 3 approvers must approve", cut.Find(".awe-stage-mode").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=stage-mode-warning]"));
        Assert.Empty(cut.FindAll("[data-testid=stage-problem-badge]"));
        Assert.Contains("SLA P2D", cut.Find(".awe-stage-flags").TextContent);
        Assert.Equal("user u-1, user u-2 +1", cut.Find(".awe-stage-rules").TextContent.Trim());
    }
}
