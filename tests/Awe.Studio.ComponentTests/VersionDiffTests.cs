using Awe.Studio.Features.Designer.Diff;
using Awe.Studio.Features.Designer.Model;

namespace Awe.Studio.ComponentTests;

/// <summary>The diff view: every stage with what changed about it, old struck through and new marked.</summary>
public sealed class VersionDiffTests : StudioComponentTest
{
    private static StageDraft S(string name, params string[] users)
    {
        var stage = StageDraft.New(name);
        stage.Rules.AddRange(users.Select(u => new RuleDraft { RuleType = RuleTypes.User, UserId = u }));
        return stage;
    }

    private IRenderedComponent<VersionDiff> Render(PolicyDraft older, PolicyDraft newer) => Render<VersionDiff>(p => p
        .Add(d => d.Diff, PolicyDiffer.Compare(older, newer))
        .Add(d => d.OldLabel, "v1").Add(d => d.NewLabel, "v2")
        .Add(d => d.OldFlow, PolicyDiffer.Flow(older)).Add(d => d.NewFlow, PolicyDiffer.Flow(newer)));

    [Fact]
    public void Each_stage_shows_its_change_and_changed_fields_read_old_to_new()
    {
        var older = new PolicyDraft { Name = "Grant" };
        older.Columns.Add([S("Officer", "u-o")]);
        older.Columns.Add([S("Finance", "u-f1", "u-f2")]);
        older.Columns.Add([S("Legal", "u-l")]);
        var newer = new PolicyDraft { Name = "Grant", ForbidSelfApproval = true };
        var finance = S("Finance check", "u-f1", "u-f3");
        finance.Mode = StageModes.AnyN;
        finance.ModeValue = 1;
        newer.Columns.Add([S("Officer", "u-o")]);
        newer.Columns.Add([finance, S("Audit", "u-a")]);

        var cut = Render(older, newer);

        Assert.Equal("Officer → Finance → Legal", cut.Find("[data-testid=diff-flow-old]").TextContent);
        Assert.Equal("Officer → Finance check ∥ Audit", cut.Find("[data-testid=diff-flow-new]").TextContent);
        Assert.Equal("From v1 to v2: 1 stage changed, 1 stage added, 1 stage removed, 1 policy setting changed; 1 unchanged.",
            cut.Find("[data-testid=diff-summary]").TextContent.Trim());
        Assert.Equal(["unchanged:Officer", "changed:Finance check", "removed:Legal", "added:Audit"],
            cut.FindAll("[data-testid=diff-stage]").Select(e => $"{e.GetAttribute("data-change")}:{e.GetAttribute("data-name")}"));

        var changed = cut.Find("[data-testid=diff-stage][data-change=changed]");
        Assert.Equal("Finance → Finance check", changed.QuerySelector("[data-testid=diff-renamed]")!.TextContent.Trim());
        Assert.Contains("Runs in parallel with Audit now (was on its own).", changed.QuerySelectorAll("[data-testid=diff-place]").Select(e => e.TextContent));
        var mode = changed.QuerySelector("[data-testid=diff-field][data-field=mode]")!;
        Assert.Equal("all", mode.QuerySelector("del")!.TextContent);
        Assert.Equal("any-n", mode.QuerySelector("ins")!.TextContent);
        Assert.Equal("not set", changed.QuerySelector("[data-field=mode_value] del")!.TextContent);
        Assert.Equal(["unchanged", "added", "removed"], changed.QuerySelectorAll("[data-testid=diff-rule]").Select(r => r.GetAttribute("data-change")));

        var policy = cut.Find("[data-testid=diff-policy] [data-field=forbid_self_approval]");
        Assert.Equal("no", policy.QuerySelector("del")!.TextContent);
        Assert.Equal("yes", policy.QuerySelector("ins")!.TextContent);
        Assert.Contains("Was step 3.", cut.Find("[data-testid=diff-stage][data-change=removed]").TextContent);
    }

    [Fact]
    public void Two_equal_versions_say_so()
    {
        var a = new PolicyDraft();
        a.Columns.Add([S("A", "u-a")]);
        var b = new PolicyDraft();
        b.Columns.Add([S("A", "u-a")]);
        var cut = Render(a, b);
        Assert.Contains("nothing differs", cut.Find("[data-testid=diff-same]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=diff-summary]"));
    }
}
