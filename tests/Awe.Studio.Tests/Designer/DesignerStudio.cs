using System.Net;
using System.Net.Sockets;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Awe.Studio.Tests.Designer;

/// <summary>
/// One real AWE for the designer tests: Awe.Host as its own process on a fresh PostgreSQL database, serving Studio
/// beside the API (awe.studio.serve, as the README's one command does), and Debian's Chromium driven by Playwright.
/// Dev mode: Studio's sign-in page names the user and role.
/// </summary>
public sealed class DesignerStudio : IAsyncLifetime
{
    private TestDatabase? _db;
    private IPlaywright? _playwright;
    private FakeKeycloak? _keycloak;

    public HostProcess Host { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public string StudioUrl { get; private set; } = "";

    /// <summary>An API client as an AWE_ADMIN (dev-mode token).</summary>
    public HttpClient Admin { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        if (!UiTests.Enabled) return; // every test using it is skipped: start nothing
        _db = await TestDatabase.CreateAsync();
        // The directory the rule editor's pickers search (through the API's /admin/keycloak/*). Tokens stay dev-mode:
        // only the resolver's admin client points at this Keycloak.
        _keycloak = await FakeKeycloak.StartAsync();
        _keycloak.AddUser("u-alice", "alice@example.org", "Alice", "Archer");
        _keycloak.AddUser("u-bob", "bob@example.org", "Bob", "Baker");
        _keycloak.AddClient("registry-portal", "Registry portal");
        _keycloak.AddClientRole("registry-portal", "FIN_OFFICER", "Finance officer");
        _keycloak.AddRealmRole("LEGAL", "Legal team");
        _keycloak.AddGroup("/states/d1/officers");
        var settings = _keycloak.ResolverSettings();
        StudioUrl = $"http://127.0.0.1:{FreePort()}";
        settings["awe:studio:serve"] = "true";
        settings["awe:studio:url"] = StudioUrl;
        Host = await HostProcess.StartAsync(_db.ConnectionString, settings);
        using var probe = new HttpClient { BaseAddress = new Uri(StudioUrl), Timeout = TimeSpan.FromSeconds(2) };
        await Wait.UntilAsync(async () =>
        {
            try { return (await probe.GetAsync("/signin")).StatusCode; }
            catch (HttpRequestException) { return (HttpStatusCode)0; }
            catch (TaskCanceledException) { return (HttpStatusCode)0; }
        }, s => s == HttpStatusCode.OK, "Studio answers /signin", describe: s => $"{s}\n{Host.Output}");
        Admin = Host.ClientFor(Tokens.Admin);

        _playwright = await Playwright.CreateAsync();
        Browser = await StudioBrowser.LaunchChromiumAsync(_playwright);
    }

    /// <summary>A fresh browser session at a laptop's 1366×768, signed in through Studio's dev sign-in page.</summary>
    public async Task<IPage> SignedInPageAsync(string userId, string role)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = StudioBrowser.Width, Height = StudioBrowser.Height }, BaseURL = StudioUrl });
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
    public async Task OpenAsync(IPage page, string path, string readySelector)
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
            throw new TimeoutException($"{path}: {readySelector} did not appear. Page text:\n{await page.InnerTextAsync("body")}\nHost output:\n{Host.Output}", e);
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Admin?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
        if (_keycloak is not null) await _keycloak.DisposeAsync();
    }
}
