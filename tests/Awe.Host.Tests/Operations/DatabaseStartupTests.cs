using System.Net;
using Awe.Host.Tests.Infrastructure;
using Npgsql;

namespace Awe.Host.Tests.Operations;

/// <summary>
/// Start-up against a database that is not there yet, goes away, or is migrated by several replicas at once: the
/// host is a real process, PostgreSQL is real and sits behind a gate the test opens and closes.
/// </summary>
public sealed class DatabaseStartupTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private TcpGate GateToServer()
    {
        var server = new NpgsqlConnectionStringBuilder(_db.ConnectionString);
        return new TcpGate(server.Host!, server.Port);
    }

    private string ThroughGate(TcpGate gate) =>
        new NpgsqlConnectionStringBuilder(_db.ConnectionString) { Host = "127.0.0.1", Port = gate.Port, Timeout = 5 }.ConnectionString;

    private static readonly Dictionary<string, string?> InfoLogs = new() { ["Logging:LogLevel:Awe.Host.Operations"] = "Information" };

    [Fact]
    public async Task A_host_started_while_the_database_is_down_becomes_ready_when_it_comes_up_without_a_restart()
    {
        await using var gate = GateToServer();
        await using var host = await HostProcess.StartAsync(ThroughGate(gate), InfoLogs, readyPath: "/v1/awe/health/live");
        using var anonymous = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };

        // Waiting, and saying so in one line, instead of exiting.
        await Wait.UntilAsync(() => Task.FromResult(host.Output), o => o.Contains("Database not usable yet (attempt 2)"),
            "the host to log its second attempt to reach the database", describe: o => o);
        Assert.False(host.HasExited);
        (await anonymous.GetJson("/v1/awe/health/live")).Expect(HttpStatusCode.OK);
        var ready = (await anonymous.GetJson("/v1/awe/health/ready")).Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-006", ready.ErrorCode);
        // Anonymous and routed by the gateway: no host or port of the database in the answer.
        Assert.DoesNotContain(gate.Port.ToString(), ready.Raw);
        Assert.DoesNotContain("127.0.0.1", ready.Raw);
        Assert.Equal("AWE-006", (await anonymous.GetJson("/v1/awe/health")).Expect(HttpStatusCode.ServiceUnavailable).ErrorCode);

        gate.Open();
        await Wait.UntilAsync(() => anonymous.GetJson("/v1/awe/health/ready"), r => r.Status == HttpStatusCode.OK,
            "readiness once the database is reachable", seconds: 60, describe: r => r.Raw + "\n" + host.Output);
        Assert.False(host.HasExited);
        Assert.Contains("schema up to date", host.Output);
        // The schema is there and the API works: the same process, never restarted.
        using var admin = host.ClientFor(Tokens.Admin);
        (await admin.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK);

        // The database goes away again: not ready, still alive; back again: ready.
        gate.Close();
        await Wait.UntilAsync(() => anonymous.GetJson("/v1/awe/health/ready"), r => r.Status == HttpStatusCode.ServiceUnavailable,
            "readiness to fail while the database is down", describe: r => r.Raw);
        (await anonymous.GetJson("/v1/awe/health/live")).Expect(HttpStatusCode.OK);
        gate.Open();
        await Wait.UntilAsync(() => anonymous.GetJson("/v1/awe/health/ready"), r => r.Status == HttpStatusCode.OK,
            "readiness once the database is back", describe: r => r.Raw);
        Assert.False(host.HasExited);
    }

    [Fact]
    public async Task Replicas_starting_together_migrate_once_under_the_lock()
    {
        var starts = Enumerable.Range(0, 3).Select(_ => HostProcess.StartAsync(_db.ConnectionString, InfoLogs)).ToList();
        var hosts = await Task.WhenAll(starts);
        try
        {
            var applied = hosts.Count(h => h.Output.Contains("Applying "));
            Assert.True(applied == 1, "exactly one replica should migrate:\n" + string.Join("\n----\n", hosts.Select(h => h.Output)));
            // Nobody failed a first attempt on a half-migrated schema.
            Assert.All(hosts, h => Assert.DoesNotContain("Database not usable yet", h.Output));
        }
        finally
        {
            foreach (var h in hosts) await h.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_replica_that_finds_the_migration_lock_held_stays_live_and_becomes_ready_when_it_is_released()
    {
        // Another "replica" in the middle of migrating: it holds the lock.
        // Unpooled, so that closing it ends the session (and its lock).
        var holder = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_db.ConnectionString) { Pooling = false }.ConnectionString);
        await holder.OpenAsync();
        await using (var lockIt = new NpgsqlCommand("SELECT pg_advisory_lock(18391828647200594)", holder))
            await lockIt.ExecuteNonQueryAsync();

        await using var host = await HostProcess.StartAsync(_db.ConnectionString, InfoLogs, readyPath: "/v1/awe/health/live");
        using var anonymous = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        Assert.Contains("Another replica holds the migration lock", host.Output);
        Assert.Equal("AWE-006", (await anonymous.GetJson("/v1/awe/health/ready")).Expect(HttpStatusCode.ServiceUnavailable).ErrorCode);

        await holder.DisposeAsync(); // the lock goes with the session
        await Wait.UntilAsync(() => anonymous.GetJson("/v1/awe/health/ready"), r => r.Status == HttpStatusCode.OK,
            "readiness once the lock is released", describe: r => r.Raw + "\n" + host.Output);
        Assert.Contains("Applying ", host.Output);
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_version_is_used_side_by_side()
    {
        await (await HostProcess.StartAsync(_db.ConnectionString)).DisposeAsync();
        await using (var conn = new NpgsqlConnection(_db.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "INSERT INTO __ef_migrations_history (\"MigrationId\", \"ProductVersion\") VALUES ('29991231000000_FromANewerVersion', '10.0.0')", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        await using var host = await HostProcess.StartAsync(_db.ConnectionString, InfoLogs);

        Assert.Contains("29991231000000_FromANewerVersion", host.Output);
        Assert.Contains("running side by side", host.Output);
        (await host.ClientFor(Tokens.Admin).GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK);
    }
}

/// <summary>awe.logging.format: json gives one JSON object per line, for log collectors.</summary>
public sealed class JsonLoggingTests
{
    [Fact]
    public async Task Json_logs_are_one_object_per_line()
    {
        await using var gate = new TcpGate("127.0.0.1", 1); // never opened: the database stays down
        var connection = $"Host=127.0.0.1;Port={gate.Port};Username=postgres;Database=nowhere;Timeout=5";
        await using var host = await HostProcess.StartAsync(connection, new Dictionary<string, string?> { ["awe:logging:format"] = "json" },
            readyPath: "/v1/awe/health/live");

        await Wait.UntilAsync(() => Task.FromResult(host.Output), o => o.Contains("Database not usable yet (attempt 2)"),
            "the second start-up attempt logged", describe: o => o);
        var lines = host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            var entry = System.Text.Json.Nodes.JsonNode.Parse(line)!; // throws on anything but one JSON object per line
            Assert.NotNull(entry["Timestamp"]);
            Assert.NotNull(entry["Message"]);
        }
        var warning = lines.Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).First(e => ((string)e["Message"]!).Contains("attempt 2"));
        Assert.Equal("Warning", (string)warning["LogLevel"]!);
        Assert.Equal("Awe.Host.Operations.DatabaseStartup", (string)warning["Category"]!);
    }
}
