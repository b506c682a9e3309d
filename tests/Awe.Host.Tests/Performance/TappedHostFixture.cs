using Awe.Host.Tests.Infrastructure;
using Npgsql;

namespace Awe.Host.Tests.Performance;

/// <summary>
/// A host process (real Kestrel on loopback) whose database connections pass through a <see cref="PgWireTap"/>, on
/// its own database. The background workers poll once at start and then only hourly, so what the tap records while
/// a test's call runs is that call's own traffic (a test still takes the fewest of several runs, in case a worker's
/// first poll lands inside one).
/// </summary>
public sealed class TappedHostFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public PgWireTap Tap { get; private set; } = null!;
    public HostProcess Host { get; private set; } = null!;

    public static readonly IReadOnlyDictionary<string, string?> QuietWorkers = new Dictionary<string, string?>
    {
        ["awe:webhook:poll_interval_seconds"] = "3600",
        ["awe:resolver:retry_poll_seconds"] = "3600",
        ["awe:sla:check_interval_seconds"] = "3600",
        ["awe:retention:check_interval_seconds"] = "3600",
    };

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var target = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        Tap = new PgWireTap(target.Host!, target.Port);
        var tapped = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Host = "127.0.0.1", Port = Tap.Port };
        Host = await HostProcess.StartAsync(tapped.ConnectionString, QuietWorkers);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Tap.DisposeAsync();
        await Database.DisposeAsync();
    }
}
