using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// The harness's own PostgreSQL: initdb in a temp directory, started on a free loopback port, removed at the end.
/// Never the shared cluster. Durability settings are PostgreSQL's defaults (fsync and synchronous commit on), as in
/// production; the engine and pgbench share this one server, so their ratio does not depend on them.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private PostgresCluster(string binDir, string root, int port)
    {
        BinDir = binDir;
        Root = root;
        Port = port;
    }

    public string BinDir { get; }
    public string Root { get; }
    public int Port { get; }
    public string Version { get; private set; } = "";

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};SSL Mode=Disable";

    /// <summary>A client program of this installation (pgbench, pg_dump, psql); PATH when it has none.</summary>
    public string Tool(string name) => File.Exists(Path.Combine(BinDir, name)) ? Path.Combine(BinDir, name) : name;

    /// <summary>--pg-bin, else AWE_BENCH_PG_BIN (scripts/bench.sh sets it), else Debian's /usr/lib/postgresql/&lt;major&gt;/bin,
    /// the newest.</summary>
    public static string FindBinDir(string? given)
    {
        given ??= Environment.GetEnvironmentVariable("AWE_BENCH_PG_BIN") is { Length: > 0 } fromScript ? fromScript : null;
        if (given is not null) return given;
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).ToList()
            : [];
        return candidates.FirstOrDefault() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; run scripts/bench.sh (it installs them) or pass --pg-bin");
    }

    public static async Task<PostgresCluster> StartAsync(string binDir)
    {
        var root = Directory.CreateTempSubdirectory("awe-bench-pg.").FullName;
        if (Environment.UserName == "root") await ChildProcess.RunCheckedAsync("chown", ["postgres:postgres", root]);
        var cluster = new PostgresCluster(binDir, root, FreePort());
        await ChildProcess.RunCheckedAsync(Path.Combine(binDir, "initdb"),
            ["-D", $"{root}/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asPostgres: true);
        // listen only on loopback; the socket directory inside the temp dir; room for the host's pool plus pgbench's clients.
        await ChildProcess.RunCheckedAsync(Path.Combine(binDir, "pg_ctl"),
            ["-D", $"{root}/data", "-l", $"{root}/server.log", "-w", "-t", "60",
             "-o", $"-c listen_addresses=127.0.0.1 -p {cluster.Port} -k {root} -c max_connections=300 -c shared_buffers=256MB", "start"],
            asPostgres: true);
        await using var conn = new NpgsqlConnection(cluster.ConnectionString("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SHOW server_version", conn);
        cluster.Version = (string)(await cmd.ExecuteScalarAsync())!;
        return cluster;
    }

    public async Task CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ChildProcess.RunAsync(Path.Combine(BinDir, "pg_ctl"), ["-D", $"{Root}/data", "-m", "immediate", "-w", "stop"], asPostgres: true);
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
