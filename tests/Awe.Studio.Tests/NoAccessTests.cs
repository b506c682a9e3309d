using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

/// <summary>A signed-in person without AWE_VIEWER or AWE_ADMIN: their inbox works, operators' pages say what is missing.</summary>
[Collection(StudioCollection.Name)]
public sealed class NoAccessTests(StudioStack stack)
{
    [UiFact]
    public async Task Operators_pages_say_which_role_is_needed_instead_of_showing_the_APIs_403()
    {
        var page = await stack.SignInAsync("u-nora", "none", "/");
        // The dashboard loads without an error and without the card only readers may count.
        await Expect(page.GetByTestId("dashboard-card").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("page-error")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("dashboard-card")).Not.ToContainTextAsync(["Exhausted deliveries"]);
        var nav = page.Locator(".mud-navmenu");
        await Expect(nav).ToContainTextAsync("Inbox");
        foreach (var hidden in new[] { "Policies", "Deliveries", "Delegations", "Callback secrets", "Audit" })
            await Expect(nav.GetByRole(AriaRole.Link, new() { Name = hidden })).ToHaveCountAsync(0);

        // Typed into the address bar (a full page load): the page that explains, never the API's 403.
        foreach (var (path, name) in new[] { ("/audit", "The audit trail"), ("/deliveries", "The webhook deliveries page"), ("/callback-secrets", "The callback secrets page"), ("/delegations", "The delegations page"), ("/policies", "The policies page"), ("/policies/any.policy/compare", "The policies page") })
        {
            await page.GoAsync(path);
            var notice = page.GetByTestId("no-access");
            await Expect(notice).ToContainTextAsync("You need AWE_VIEWER or AWE_ADMIN");
            await Expect(notice).ToContainTextAsync(name);
            await Expect(notice).ToContainTextAsync("u-nora");
            await Expect(page.GetByTestId("page-error")).ToHaveCountAsync(0);
        }
        await page.ScreenshotAsync("no-access");

        // Navigating inside Studio (no page load): the same page, at the address asked for.
        await page.EvaluateAsync("Blazor.navigateTo('/deliveries?status=exhausted')");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/deliveries");
        await Expect(page.GetByTestId("no-access")).ToContainTextAsync("The webhook deliveries page");

        // Its way out works: the inbox.
        await page.GetByTestId("no-access").GetByRole(AriaRole.Link, new() { Name = "Your inbox" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/inbox");
        await Expect(page.GetByTestId("inbox-empty")).ToBeVisibleAsync();
    }
}
