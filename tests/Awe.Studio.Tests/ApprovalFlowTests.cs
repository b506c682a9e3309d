using System.Text.Json.Nodes;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

/// <summary>The newcomer's path: a policy with a parallel group, a request, decisions from the inbox, the result in the instance viewer.</summary>
[Collection(StudioCollection.Name)]
public sealed class ApprovalFlowTests(StudioStack stack)
{
    [UiFact]
    public async Task Approvers_decide_in_the_inbox_and_the_instance_viewer_shows_the_request_approved()
    {
        const string key = "ui.invoice.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key,
            PolicyBuilder.Stage(1, "Finance check", "u-ann", parallelGroup: 1),
            PolicyBuilder.Stage(2, "Compliance check", "u-ben", parallelGroup: 1),
            PolicyBuilder.Stage(3, "Budget owner", "u-cat")));
        await stack.Admin.ActivateAsync(key, 1);
        var created = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-2026-0042", new JsonObject
        {
            ["vendor"] = "Acme Office Supplies",
            ["amount"] = 1250.40,
            ["currency"] = "EUR",
            ["cost_centre"] = "CC-310 Operations",
        }));
        var requestId = created.RequestId;

        // Stages 1 and 2 run side by side: ann and ben each decide in their inbox, then cat.
        await DecideInInboxAsync("u-ann", "Amounts match the purchase order.", screenshot: "inbox");
        await DecideInInboxAsync("u-ben", "Vendor is on the approved list.");
        await DecideInInboxAsync("u-cat", "Within budget.", claimFirst: true);

        Assert.Equal("approved", (await stack.Admin.GetRequestAsync(requestId)).Status);

        var admin = await stack.SignInAsync("u-olga", "AWE_ADMIN", $"/requests?policy={key}");
        await admin.GetByTestId("request-link").First.ClickAsync();
        await admin.WaitForURLAsync($"**/requests/{requestId}");
        await Expect(admin.GetByTestId("request-status")).ToContainTextAsync("approved");
        await Expect(admin.Locator("[data-testid=flow-outcome][data-outcome=approved]")).ToHaveAttributeAsync("data-reached", "true");
        await Expect(admin.Locator("[data-testid=flow-outcome][data-outcome=rejected]")).ToHaveAttributeAsync("data-reached", "false");
        var nodes = admin.GetByTestId("flow-node");
        await Expect(nodes).ToHaveCountAsync(3);
        for (var i = 0; i < 3; i++) await Expect(nodes.Nth(i)).ToHaveAttributeAsync("data-state", "done");
        await Expect(admin.Locator("[data-testid=task][data-assignee=u-ben]")).ToContainTextAsync("Vendor is on the approved list.");
        await Expect(admin.Locator("[data-testid=journal-event][data-event-type=request_approved]")).ToHaveCountAsync(1);
        await admin.ScreenshotAsync("request");

        // Clicking a journal event lights up its stage on the flowchart.
        await admin.Locator("[data-testid=journal-event][data-event-type=stage_started]").Last.ClickAsync();
        await Expect(admin.Locator("[data-testid=flow-node].awe-node-highlight")).ToHaveAttributeAsync("data-stage-order", "3");

        await admin.GoAsync("/");
        await Expect(admin.GetByTestId("dashboard-card").First).ToBeVisibleAsync();
        await admin.ScreenshotAsync("dashboard");
        await admin.GoAsync($"/policies/{key}");
        await Expect(admin.GetByTestId("stage")).ToHaveCountAsync(3);
        await admin.ScreenshotAsync("policy");

        async Task DecideInInboxAsync(string user, string comment, string? screenshot = null, bool claimFirst = false)
        {
            var inbox = await stack.SignInAsync(user, "none", "/inbox");
            await Expect(inbox.GetByTestId("inbox-count")).ToHaveTextAsync("1");
            await inbox.GetByTestId("task-row").Filter(new() { HasText = "INV-2026-0042" }).ClickAsync();
            var detail = inbox.GetByTestId("task-detail");
            // What is being decided, as labelled fields.
            await Expect(detail).ToContainTextAsync("Acme Office Supplies");
            await Expect(detail).ToContainTextAsync("Cost centre");
            if (claimFirst)
            {
                await detail.GetByRole(AriaRole.Button, new() { Name = "Claim" }).ClickAsync();
                await Expect(detail).ToContainTextAsync("claimed");
                await Expect(detail.GetByRole(AriaRole.Button, new() { Name = "Claim" })).ToHaveCountAsync(0);
            }
            await inbox.GetByLabel("Comment").FillAsync(comment);
            if (screenshot is not null) await inbox.ScreenshotAsync(screenshot);
            await detail.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
            await Expect(inbox.GetByTestId("inbox-empty")).ToBeVisibleAsync();
            await Expect(inbox.GetByTestId("inbox-count")).ToHaveCountAsync(0);
            await inbox.Context.CloseAsync();
        }
    }
}
