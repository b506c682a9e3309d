using Awe.Host.Tests.Infrastructure;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Awe.Studio.Tests.Designer;

/// <summary>Opening the designer's pages the way its tests need: signed in at a laptop's size, waiting for the canvas.</summary>
public static class DesignerPages
{
    /// <summary>A fresh browser session at a laptop's 1366×768, signed in through Studio's dev sign-in page.</summary>
    public static async Task<IPage> SignedInPageAsync(this StudioStack studio, string userId, string role)
    {
        var context = await studio.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = StudioBrowser.Width, Height = StudioBrowser.Height }, BaseURL = studio.StudioUrl });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin");
        await page.FillAsync("#user-id", userId);
        await page.CheckAsync($"input[type=radio][value='{role}']");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("[data-testid=signed-in-user]");
        return page;
    }

    /// <summary>Goes to a Studio page and waits until Blazor's circuit runs it (the canvas renders only when interactive).</summary>
    public static async Task OpenAsync(this StudioStack studio, IPage page, string path, string readySelector)
    {
        await page.GotoAsync(path);
        try
        {
            await page.WaitForSelectorAsync(readySelector);
        }
        catch (TimeoutException e)
        {
            // What the user saw and what the host logged make the failure readable.
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "awe-designer-failure.png") });
            throw new TimeoutException($"{path}: {readySelector} did not appear. Page text:\n{await page.InnerTextAsync("body")}\nHost output:\n{studio.Host.Output}", e);
        }
    }

    /// <summary>Folds the navigation drawer and waits until the canvas has refitted the flow (Approved fully in view).</summary>
    public static async Task FoldNavigationAsync(IPage page)
    {
        if (await page.Locator(".mud-drawer--open").CountAsync() > 0) await page.GetByLabel("Toggle navigation").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-drawer--open")).ToHaveCountAsync(0);
        await Wait.UntilAsync(async () =>
        {
            var canvas = await page.GetByTestId("designer-canvas").BoundingBoxAsync();
            var approved = await page.Locator("[data-testid=designer-terminal][data-kind=approved]").BoundingBoxAsync();
            return (canvas, approved);
        }, b => b.canvas is not null && b.approved is not null && b.canvas.X < 100 && b.approved.X + b.approved.Width <= b.canvas.X + b.canvas.Width,
            "the canvas widens and shows the whole flow",
            describe: b => $"canvas {b.canvas?.X},{b.canvas?.Width}; approved {b.approved?.X},{b.approved?.Width}");
    }
}
