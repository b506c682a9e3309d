namespace Awe.Host.Tests.Infrastructure;

/// <summary>One database and one running host per test class (xunit IClassFixture).</summary>
public class PostgresAppFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public AweApp App { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        App = new AweApp(Database.ConnectionString, Settings);
        _ = App.Server; // starts the host and applies migrations now, not inside the first test
    }

    public HttpClient Admin => App.ClientFor(Tokens.Admin);
    public HttpClient Viewer => App.ClientFor(Tokens.Viewer);
    public HttpClient As(string username, params string[] roles) => App.ClientFor(Tokens.User(username, roles));

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
    }
}
