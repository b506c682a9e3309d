using System.Net;
using System.Net.Sockets;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.ApiClient;
using Microsoft.Playwright;

namespace Awe.Studio.Tests.Infrastructure;

/// <summary>
/// Everything a browser test drives, all real: PostgreSQL (a fresh database), Awe.Host as its own process serving
/// Studio beside the API (awe.studio.serve, as the README's one command does; Studio still reaches the API over
/// loopback HTTP only), a directory for the rule pickers (the fake Keycloak's admin API, through the API's
/// /admin/keycloak/*; tokens stay dev-mode) and Debian's Chromium through Playwright.
/// </summary>
public sealed class StudioStack : IAsyncLifetime
{
    private TestDatabase? _database;
    private FakeKeycloak? _directory;
    private IPlaywright? _playwright;

    public HostProcess Host { get; private set; } = null!;
    public string StudioUrl { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!UiTests.Enabled) return; // every test using it is skipped: start nothing
        _database = await TestDatabase.CreateAsync();
        _directory = await FakeKeycloak.StartAsync();
        _directory.AddUser("u-alice", "alice@example.org", "Alice", "Archer");
        _directory.AddUser("u-bob", "bob.baker@example.org", "Bob", "Baker");
        _directory.AddUser("u-rita", "rita@example.org", "Rita", "Reviewer");
        _directory.AddUser("u-bea", "bea@example.org", "Beatrice", "Bauer");
        _directory.AddClient("registry-portal", "Registry portal");
        _directory.AddClientRole("registry-portal", "FIN_OFFICER", "Finance officer");
        _directory.AddRealmRole("LEGAL", "Legal team");
        _directory.AddGroup("/states/d1/officers");
        var settings = _directory.ResolverSettings();
        // One attempt, so a failing callback is exhausted at once (the retry test); callbacks go to loopback.
        settings["awe:webhook:max_attempts"] = "1";
        settings["awe:webhook:poll_interval_seconds"] = "1";
        settings["awe:outbound:allow_private_networks"] = "true";
        StudioUrl = $"http://127.0.0.1:{FreePort()}";
        settings["awe:studio:serve"] = "true";
        settings["awe:studio:url"] = StudioUrl;
        Host = await HostProcess.StartAsync(_database.ConnectionString, settings);
        using var probe = new HttpClient { BaseAddress = new Uri(StudioUrl), Timeout = TimeSpan.FromSeconds(2) };
        await Wait.UntilAsync(async () =>
        {
            try { return (await probe.GetAsync("/signin")).StatusCode; }
            catch (HttpRequestException) { return (HttpStatusCode)0; }
            catch (TaskCanceledException) { return (HttpStatusCode)0; }
        }, s => s == HttpStatusCode.OK, "Studio answers /signin", describe: s => $"{s}\n{Host.Output}");

        AdminHttp = Host.ClientFor(Tokens.Admin);

        _playwright = await Playwright.CreateAsync();
        Browser = await StudioBrowser.LaunchChromiumAsync(_playwright);
    }

    /// <summary>A client of the API for setting up data, acting with <paramref name="token"/>.</summary>
    public AweApiClient Api(string token) =>
        new(new HttpClient { BaseAddress = new Uri(Host.BaseUrl + "/") }, new FixedToken(token));

    public AweApiClient Admin => Api(Tokens.Admin);

    /// <summary>A raw HTTP client of the API as an AWE_ADMIN, for bodies the typed client does not model.</summary>
    public HttpClient AdminHttp { get; private set; } = null!;

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        AdminHttp?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_directory is not null) await _directory.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
