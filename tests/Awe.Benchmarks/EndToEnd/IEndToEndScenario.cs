using Npgsql;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// A further measurement of the end-to-end run, found by reflection: any non-abstract class in this assembly that
/// implements this interface and has a parameterless constructor runs after the built-in parts (create, decision,
/// webhooks), against the same PostgreSQL and host, and adds its lines to the same table. <c>--only NAME</c> runs it
/// alone. The table names lines that the issue asks for but no part measured yet (see
/// <see cref="EndToEndBenchmark.ExpectedScenarios"/>): the inbox at 10k and 1M tasks (<c>inbox</c>) and the stage
/// of 5,000 approvers (<c>large-stage</c>).
/// </summary>
public interface IEndToEndScenario
{
    /// <summary>Short name for <c>--only</c>, e.g. "inbox".</summary>
    string Name { get; }

    Task RunAsync(E2eContext context);
}

/// <summary>What a part of the end-to-end run works with.</summary>
public sealed class E2eContext
{
    public required E2eOptions Options { get; init; }
    public required PostgresCluster Cluster { get; init; }
    /// <summary>The database the host runs on.</summary>
    public required string Database { get; init; }
    public string ConnectionString => Cluster.ConnectionString(Database);
    /// <summary>The measured host (direct connection to PostgreSQL, default settings except webhooks to loopback).</summary>
    public required HostUnderTest Host { get; init; }
    public required Pgbench Pgbench { get; init; }
    public required ResultTable Table { get; init; }
    /// <summary>A scratch directory (pgbench scripts and logs), removed at the end.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Runs a query on the host's database and returns its single value as a number.</summary>
    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public TimeSpan Warmup => TimeSpan.FromSeconds(Options.WarmupSeconds);
    public TimeSpan Measure => TimeSpan.FromSeconds(Options.MeasureSeconds);
}
