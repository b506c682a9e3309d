using Awe.Host.Tests.Infrastructure;
using Awe.Studio;
using Awe.Studio.ApiClient;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Awe.Studio.Tests.Infrastructure;

/// <summary>
/// Everything a browser test drives, all real: PostgreSQL (a fresh database), Awe.Host as its own process, Studio on
/// Kestrel (in this process, talking to the host over HTTP only) and Debian's Chromium through Playwright.
/// </summary>
public sealed class StudioStack : IAsyncLifetime
{
    private TestDatabase? _database;
    private WebApplication? _studio;
    private IPlaywright? _playwright;

    public HostProcess Host { get; private set; } = null!;
    public string StudioUrl { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!UiTests.Enabled) return; // every test using it is skipped: start nothing
        _database = await TestDatabase.CreateAsync();
        Host = await HostProcess.StartAsync(_database.ConnectionString, new Dictionary<string, string?>
        {
            // One attempt, so a failing callback is exhausted at once (the retry test); callbacks go to loopback.
            ["awe:webhook:max_attempts"] = "1",
            ["awe:webhook:poll_interval_seconds"] = "1",
            ["awe:outbound:allow_private_networks"] = "true",
        });

        _studio = StudioApp.Build(["--environment", "Development", "--Logging:LogLevel:Default", "Warning"],
            urls: "http://127.0.0.1:0", apiBaseUrl: Host.BaseUrl);
        await _studio.StartAsync();
        StudioUrl = _studio.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        _playwright = await Playwright.CreateAsync();
        Browser = await StudioBrowser.LaunchChromiumAsync(_playwright);
    }

    /// <summary>A client of the API for setting up data, acting with <paramref name="token"/>.</summary>
    public AweApiClient Api(string token) =>
        new(new HttpClient { BaseAddress = new Uri(Host.BaseUrl + "/") }, new FixedToken(token));

    public AweApiClient Admin => Api(Tokens.Admin);

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_studio is not null) await _studio.DisposeAsync();
        if (Host is not null) await Host.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    private sealed class FixedToken(string token) : IAweTokenSource
    {
        public ValueTask<string?> GetAccessTokenAsync(CancellationToken ct) => ValueTask.FromResult<string?>(token);
    }
}

[CollectionDefinition(Name)]
public sealed class StudioCollection : ICollectionFixture<StudioStack>
{
    // One stack for all browser tests: they run one after another and keep to their own policies and users.
    public const string Name = "studio";
}
