using Awe.Host.Tests.Infrastructure;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

/// <summary>Studio and an API that verifies tokens, both pointed at a Keycloak (the fake one, with its login page).</summary>
public sealed class OidcStack : IAsyncLifetime
{
    private TestDatabase? _database;
    private WebApplication? _studio;

    public FakeKeycloak Keycloak { get; private set; } = null!;
    public HostProcess Host { get; private set; } = null!;
    public string StudioUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!UiTests.Enabled) return; // every test using it is skipped: start nothing
        Keycloak = await FakeKeycloak.StartAsync();
        // Access tokens live 30 s, inside Studio's 60 s refresh margin: every use refreshes them first.
        Keycloak.TokenLifetimeSeconds = 30;
        Keycloak.AddUser("olivia", "olivia@example.org", "Olivia", "Admin");
        Keycloak.AddClientRole(FakeKeycloak.PortalClientId, "AWE_ADMIN", null, "olivia");
        _database = await TestDatabase.CreateAsync();
        Host = await HostProcess.StartAsync(_database.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:keycloak:issuer"] = Keycloak.Issuer,
            ["awe:keycloak:jwks_url"] = Keycloak.JwksUrl,
        });
        _studio = StudioApp.Build(["--environment", "Development", "--Logging:LogLevel:Default", "Warning",
                "--awe:studio:keycloak:url", Keycloak.BaseUrl, "--awe:studio:keycloak:realm", Keycloak.Realm],
            urls: "http://127.0.0.1:0", apiBaseUrl: Host.BaseUrl);
        await _studio.StartAsync();
        StudioUrl = _studio.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_studio is not null) await _studio.DisposeAsync();
        if (Host is not null) await Host.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (Keycloak is not null) await Keycloak.DisposeAsync();
    }
}

[Collection(StudioCollection.Name)]
public sealed class OidcSignInTests(StudioStack stack, OidcStack oidc) : IClassFixture<OidcStack>
{
    [UiFact]
    public async Task Keycloak_sign_in_with_PKCE_forwards_a_refreshed_token_to_the_API_and_sign_out_ends_the_session()
    {
        var context = await stack.Browser.NewContextAsync(new() { BaseURL = oidc.StudioUrl, ViewportSize = new() { Width = 1366, Height = 768 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/policies");

        // Straight to Keycloak's login page; the fake refuses a public client without a PKCE S256 challenge.
        await page.WaitForURLAsync(url => url.StartsWith(oidc.Keycloak.BaseUrl));
        await page.FillAsync("#username", "olivia");
        await page.FillAsync("#password", FakeKeycloak.DefaultPassword);
        await page.ClickAsync("#kc-login");

        await page.WaitForURLAsync(url => url.StartsWith(oidc.StudioUrl) && new Uri(url).AbsolutePath == "/policies");
        await page.WaitInteractiveAsync();
        Assert.Equal(1, oidc.Keycloak.CodeRedemptions); // the code was redeemed with its verifier
        await Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("olivia");
        await Expect(page.GetByTestId("signed-in-role")).ToHaveTextAsync("AWE_ADMIN");
        await Expect(page.GetByTestId("dev-mode-badge")).ToHaveCountAsync(0);
        // The policy list came from an API that verifies signatures: the forwarded Keycloak token was accepted.
        await Expect(page.GetByTestId("policies-table")).ToContainTextAsync("No policies yet");
        await Expect(page.GetByTestId("page-error")).ToHaveCountAsync(0);
        // The 30 s token is inside the refresh margin, so Studio refreshed it before using it.
        Assert.True(oidc.Keycloak.RefreshRedemptions >= 1, $"refreshes: {oidc.Keycloak.RefreshRedemptions}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        // Back at Keycloak's login: Studio's cookie is gone and Keycloak was told to end the session.
        await page.WaitForURLAsync(url => url.StartsWith(oidc.Keycloak.BaseUrl));
        Assert.Equal(1, oidc.Keycloak.Logouts);
        await context.CloseAsync();
    }
}
