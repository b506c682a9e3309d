using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class SignInTests(StudioStack stack)
{
    [UiFact]
    public async Task Dev_sign_in_shows_who_is_signed_in_their_role_and_the_dev_mode_badge()
    {
        var page = await stack.SignInAsync("u-vera", "AWE_VIEWER", "/requests");

        await Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("u-vera");
        await Expect(page.GetByTestId("signed-in-role")).ToContainTextAsync("AWE_VIEWER");
        await Expect(page.GetByTestId("dev-mode-badge")).ToBeVisibleAsync();
        // A viewer reads policies: the navigation offers them.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Policies" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/signin");
        // Signed out means signed out: the next page asks again.
        await page.GotoAsync("/requests");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/signin");
    }

    [UiFact]
    public async Task A_user_without_an_AWE_role_gets_an_inbox_but_no_policy_pages()
    {
        var page = await stack.SignInAsync("u-nora", "none", "/inbox");

        await Expect(page.GetByTestId("signed-in-role")).ToContainTextAsync("no AWE role");
        await Expect(page.GetByTestId("inbox-empty")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Policies" })).ToHaveCountAsync(0);
    }

    [UiFact]
    public async Task The_sign_in_page_refuses_an_empty_user_id_and_sends_nobody_off_site()
    {
        var context = await stack.Browser.NewContextAsync(new() { BaseURL = stack.StudioUrl });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin?ReturnUrl=https%3A%2F%2Fevil.example%2F");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator(".awe-error")).ToContainTextAsync("Enter the user id");

        await page.FillAsync("#user-id", "u-ida");
        await page.ClickAsync("button[type=submit]");
        // An off-site return address is replaced by Studio's home.
        await page.WaitForURLAsync(url => url.StartsWith(stack.StudioUrl) && new Uri(url).AbsolutePath == "/");
    }
}
