using System.Text.Json.Nodes;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class SimulateTests(StudioStack stack)
{
    [UiFact]
    public async Task A_viewer_simulates_a_version_and_sees_who_would_decide_and_what_is_skipped()
    {
        const string key = "ui.simulate.v1";
        var smallAmounts = PolicyBuilder.Stage(2, "Director", "u-dan");
        smallAmounts["skip_if"] = JsonNode.Parse("""{"<": [{"var": "amount"}, 1000]}""");
        var policy = PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Finance check", "u-ann"), smallAmounts);
        policy["forbid_self_approval"] = true;
        await stack.Admin.CreatePolicyAsync(policy);

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/policies/{key}");
        var panel = viewer.GetByTestId("simulate");
        await panel.GetByLabel("Context (JSON)").FillAsync("""{"amount": 250}""");
        await panel.GetByLabel("Requester (optional)").FillAsync("u-ann");
        await panel.GetByRole(AriaRole.Button, new() { Name = "Simulate" }).ClickAsync();

        var first = panel.Locator("[data-testid=simulated-stage][data-stage-order='1']");
        // The requester may not approve their own request: excluded, with the reason.
        await Expect(first).ToContainTextAsync("u-ann (");
        await Expect(panel.Locator("[data-testid=simulated-stage][data-stage-order='2']")).ToContainTextAsync("skipped");
        await panel.ScrollIntoViewIfNeededAsync();
        await viewer.ScreenshotAsync("simulate");

        await panel.GetByLabel("Context (JSON)").FillAsync("{not json");
        await panel.GetByRole(AriaRole.Button, new() { Name = "Simulate" }).ClickAsync();
        await Expect(panel).ToContainTextAsync("not valid JSON");
    }
}
