using Awe.Host.Persistence;
using Awe.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Tests.Identity;

/// <summary>One fake Keycloak, one database and one AWE host (dev-mode inbound auth, resolver pointed at the fake) per test class.</summary>
public class KeycloakAppFixture : IAsyncLifetime
{
    public FakeKeycloak Keycloak { get; private set; } = null!;
    public TestDatabase Database { get; private set; } = null!;
    public AweApp App { get; private set; } = null!;

    /// <summary>Resolver timeout of the host; short so timeout tests are quick.</summary>
    public const int TimeoutSeconds = 2;

    protected virtual bool KeycloakConfigured => true;
    protected virtual bool AllowPrivateNetworks => true;

    public async Task InitializeAsync()
    {
        Keycloak = await FakeKeycloak.StartAsync();
        Database = await TestDatabase.CreateAsync();
        var settings = KeycloakConfigured ? Keycloak.ResolverSettings() : [];
        settings["awe:resolver:http_timeout_seconds"] = TimeoutSeconds.ToString();
        settings["awe:outbound:allow_private_networks"] = AllowPrivateNetworks ? "true" : "false";
        App = new AweApp(Database.ConnectionString, settings);
        _ = App.Server;
    }

    public HttpClient Admin => App.ClientFor(Tokens.Admin);
    public HttpClient Viewer => App.ClientFor(Tokens.Viewer);
    public HttpClient As(string username, params string[] roles) => App.ClientFor(Tokens.User(username, roles));

    /// <summary>Rows that exist for an artifact: proves a refused creation wrote nothing.</summary>
    public async Task<(int Requests, int Tasks, int Events)> RowsForArtifactAsync(string artifactId)
    {
        using var scope = App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
        var ids = await db.Requests.Where(r => r.ArtifactId == artifactId).Select(r => r.Id).ToListAsync();
        return (ids.Count, await db.Tasks.CountAsync(t => ids.Contains(t.RequestId)), await db.Events.CountAsync(e => ids.Contains(e.RequestId)));
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
        await Keycloak.DisposeAsync();
    }
}

/// <summary>AWE without Keycloak and with the outbound address policy on (private destinations refused).</summary>
public sealed class UnconfiguredKeycloakFixture : KeycloakAppFixture
{
    protected override bool KeycloakConfigured => false;
    protected override bool AllowPrivateNetworks => false;
}

/// <summary>A fake Keycloak and a database, but no host: tests start hosts with the settings they need (a cold token cache each).</summary>
public class KeycloakDatabaseFixture : IAsyncLifetime
{
    public FakeKeycloak Keycloak { get; private set; } = null!;
    public TestDatabase Database { get; private set; } = null!;

    protected virtual bool Https => false;

    public async Task InitializeAsync()
    {
        Keycloak = await FakeKeycloak.StartAsync(https: Https);
        Database = await TestDatabase.CreateAsync();
    }

    /// <summary>A host resolving through the fake; <paramref name="change"/> may alter the settings first.</summary>
    public AweApp StartApp(Action<Dictionary<string, string?>>? change = null, Action<IServiceCollection>? services = null)
    {
        var settings = Keycloak.ResolverSettings();
        settings["awe:resolver:http_timeout_seconds"] = KeycloakAppFixture.TimeoutSeconds.ToString();
        change?.Invoke(settings);
        var app = new AweApp(Database.ConnectionString, settings, services);
        _ = app.Server;
        return app;
    }

    public async Task DisposeAsync()
    {
        await Database.DisposeAsync();
        await Keycloak.DisposeAsync();
    }
}

/// <summary>The same over HTTPS, with a self-signed certificate.</summary>
public sealed class HttpsKeycloakDatabaseFixture : KeycloakDatabaseFixture
{
    protected override bool Https => true;
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
