using Microsoft.Playwright;

namespace Awe.Studio.Tests.Infrastructure;

/// <summary>Signing in and moving around Studio the way a person does, with waits on what the page shows.</summary>
public static class StudioBrowser
{
    public const int Width = 1366, Height = 768;

    public const string ChromiumPath = "/usr/bin/chromium";

    static StudioBrowser() => Assertions.SetDefaultExpectTimeout(20_000);

    /// <summary>Debian's Chromium, headless; Playwright never downloads a browser here.</summary>
    public static async Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (scripts/test.sh does) — Playwright never downloads a browser here");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    /// <summary>A fresh browser context (no cookies) signed in through the dev sign-in page.</summary>
    /// <param name="timeZone">the browser's IANA time zone, which Studio shows every time in</param>
    public static Task<IPage> SignInAsync(this StudioStack stack, string userId, string role, string path = "/", string timeZone = "UTC") =>
        SignInAsync(stack.Browser, stack.StudioUrl, userId, role, path, timeZone);

    public static async Task<IPage> SignInAsync(IBrowser browser, string studioUrl, string userId, string role, string path = "/", string timeZone = "UTC")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = studioUrl,
            ViewportSize = new ViewportSize { Width = Width, Height = Height },
            TimezoneId = timeZone,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        // Not signed in: every page sends the browser to the sign-in page, remembering where it wanted to go.
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/signin");
        await page.FillAsync("#user-id", userId);
        await page.CheckAsync($"input[type=radio][value={role}]");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == path.Split('?')[0]);
        await page.WaitInteractiveAsync();
        return page;
    }

    /// <summary>Waits until Blazor's circuit runs the page: before that, clicks on the prerendered HTML do nothing.</summary>
    public static Task WaitInteractiveAsync(this IPage page) =>
        page.Locator("[data-testid=interactive]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 30_000 });

    public static async Task GoAsync(this IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.WaitInteractiveAsync();
    }

    /// <summary>
    /// A 1366×768 screenshot to AWE_SCREENSHOTS_DIR (e.g. docs/images to refresh the README's), else to the test
    /// output folder, so every run leaves pictures of what it saw.
    /// </summary>
    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        var dir = Environment.GetEnvironmentVariable("AWE_SCREENSHOTS_DIR") is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png") });
    }
}
