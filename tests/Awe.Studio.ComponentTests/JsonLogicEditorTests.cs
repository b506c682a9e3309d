using Awe.Studio.Features.Designer.Panel;

namespace Awe.Studio.ComponentTests;

/// <summary>The JSONLogic editor: checks as the author types, with the engine's validator, and tries the rule on a sample.</summary>
public sealed class JsonLogicEditorTests : StudioComponentTest
{
    private IRenderedComponent<JsonLogicEditor> Editor(string text, Action<string> changed, bool requireObject = true) => Render<JsonLogicEditor>(p => p
        .Add(e => e.Text, text)
        .Add(e => e.TextChanged, changed)
        .Add(e => e.Field, "skip_if")
        .Add(e => e.RequireObject, requireObject)
        .Add(e => e.SampleContext, """{"amount": 200}""")
        .Add(e => e.TrialMeaning, t => t.Truthy ? "the stage would be skipped" : "the stage would run"));

    [Fact]
    public void Typing_checks_the_text_on_every_keystroke_and_passes_it_on()
    {
        var emitted = new List<string>();
        var cut = Editor("", emitted.Add);
        Assert.Empty(cut.FindAll("[data-testid=field-problem]"));
        Assert.Empty(cut.FindAll("[data-testid=jsonlogic-valid]"));

        cut.Find("textarea").Input("""{"<": [{"var": "amount"}""");
        cut.WaitForAssertion(() =>
        {
            Assert.StartsWith("⚠ Not valid JSON", cut.Find("[data-testid=field-problem][data-field=skip_if]").TextContent.Trim());
            Assert.Empty(cut.FindAll("[data-testid=jsonlogic-try]"));
        }, Settle);

        cut.Find("textarea").Input("""{"nope": [1]}""");
        cut.WaitForAssertion(() => Assert.Contains("unknown operator 'nope'", cut.Find("[data-testid=field-problem]").TextContent), Settle);

        cut.Find("textarea").Input("true");
        cut.WaitForAssertion(() => Assert.Contains("Must be a JSONLogic rule object", cut.Find("[data-testid=field-problem]").TextContent), Settle);

        cut.Find("textarea").Input("""{"<": [{"var": "amount"}, 1000]}""");
        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll("[data-testid=field-problem]"));
            Assert.Equal("✓ valid JSONLogic", cut.Find("[data-testid=jsonlogic-valid]").TextContent.Trim());
        }, Settle);
        Assert.Equal(["""{"<": [{"var": "amount"}""", """{"nope": [1]}""", "true", """{"<": [{"var": "amount"}, 1000]}"""], emitted);
    }

    [Fact]
    public void Trying_the_rule_evaluates_it_against_the_sample_context_and_says_what_it_means()
    {
        var cut = Editor("""{"<": [{"var": "amount"}, 1000]}""", _ => { });
        cut.Find("[data-testid=jsonlogic-try]").Click();
        cut.WaitForAssertion(() => Assert.Equal("Result true — the stage would be skipped", cut.Find("[data-testid=jsonlogic-result]").TextContent.Trim()), Settle);

        // Editing forgets the old result: it may no longer hold.
        cut.Find("textarea").Input("""{">": [{"var": "amount"}, 1000]}""");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=jsonlogic-result]")), Settle);
        cut.Find("[data-testid=jsonlogic-try]").Click();
        cut.WaitForAssertion(() => Assert.Equal("Result false — the stage would run", cut.Find("[data-testid=jsonlogic-result]").TextContent.Trim()), Settle);
    }

    [Fact]
    public void The_APIs_problems_for_the_field_are_shown_under_it()
    {
        var cut = Render<JsonLogicEditor>(p => p
            .Add(e => e.Text, """{"var": "x"}""")
            .Add(e => e.Field, "skip_if")
            .Add(e => e.ServerProblems, ["is not allowed here"]));
        Assert.Equal("⚠ is not allowed here", cut.Find("[data-testid=field-problem][data-field=skip_if]").TextContent.Trim());
    }
}
