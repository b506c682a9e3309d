using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own (initdb in a temp dir, a free loopback port), for tests that stop and start
/// the database: the shared server (AWE_TEST_PG) is never stopped. Uses Debian's binaries under
/// /usr/lib/postgresql/*/bin, as scripts/test.sh does, run as the postgres user when the tests run as root.
/// </summary>
public sealed class OwnPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _root;

    private OwnPostgres(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        Port = port;
    }

    public int Port { get; }
    private string Data => Path.Combine(_root, "data");

    /// <summary>The server's log so far (for failure messages).</summary>
    public string Log => File.Exists(Path.Combine(_root, "server.log")) ? File.ReadAllText(Path.Combine(_root, "server.log")) : "";

    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database,
        // A short connect timeout: while the server is down, calls fail in about a second, not fifteen.
        Timeout = 2, MaxPoolSize = 60,
    }.ConnectionString;

    public static async Task<OwnPostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderBy(d => d.Length).ThenBy(d => d).LastOrDefault()
            : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (scripts/test.sh installs them)");
        var root = Directory.CreateTempSubdirectory("awe-own-pg-").FullName;
        if (Environment.UserName == "root") await RunAsync("chown", ["postgres:postgres", root]);
        var pg = new OwnPostgres(bin, root, FreePort());
        await pg.AsOwnerAsync("initdb", ["-D", pg.Data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        await pg.StartServerAsync();
        return pg;
    }

    /// <summary>Starts the server (again) on the same port and data; returns once it accepts connections.</summary>
    public Task StartServerAsync() => AsOwnerAsync("pg_ctl", ["-D", Data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60",
        "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {_root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start"]);

    /// <summary>
    /// Stops the server the way an operator or a failover does: fast mode ends every session (clients see 57P01) and
    /// refuses new ones until it is started again.
    /// </summary>
    public Task StopServerAsync() => AsOwnerAsync("pg_ctl", ["-D", Data, "-m", "fast", "-w", "-t", "60", "stop"]);

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(ConnectionString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private Task AsOwnerAsync(string tool, IEnumerable<string> args) => Environment.UserName == "root"
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
        : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
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
        try { await AsOwnerAsync("pg_ctl", ["-D", Data, "-m", "immediate", "-w", "stop"]); }
        catch (InvalidOperationException) { /* already stopped */ }
        Directory.Delete(_root, recursive: true);
    }
}
