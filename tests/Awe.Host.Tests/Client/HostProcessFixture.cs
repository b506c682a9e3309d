using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Client;

/// <summary>One database and one host process (real Kestrel on loopback) per test class.</summary>
public sealed class HostProcessFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public HostProcess Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        Host = await HostProcess.StartAsync(Database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Database.DisposeAsync();
    }
}
