using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Npgsql;

namespace Awe.Benchmarks;

/// <summary>
/// The durable timers against the real host (a child process, as deployed) on a throwaway PostgreSQL database:
/// how late a deadline fires, how many timers one replica fires per second, and whether 100,000 pending timers
/// slow down request creation. Prints numbers; asserts nothing.
/// </summary>
public static class TimerBenchmark
{
    private const string Token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJiZW5jaCIsInJlYWxtX2FjY2VzcyI6eyJyb2xlcyI6WyJBV0VfQURNSU4iXX19.";

    public static async Task RunAsync(string adminConnection)
    {
        var database = "awe_bench_" + Guid.NewGuid().ToString("N")[..12];
        await ExecAsync(adminConnection, $"CREATE DATABASE {database}");
        var connection = new NpgsqlConnectionStringBuilder(adminConnection) { Database = database }.ConnectionString;
        using var host = await StartHostAsync(connection);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            await PolicyAsync(http, "bench.latency", "PT3S");
            await PolicyAsync(http, "bench.rate", "PT1H");

            // 1. Latency: 200 deadlines 3 s ahead, armed by this replica (it wakes for them).
            await CreateAsync(http, "bench.latency", 200, parallel: 4);
            var lags = await WaitForFiredAsync(connection, "bench.latency", 200);
            Console.WriteLine($"{"Timer fire lag after due time (200 deadlines)",-62} p50 {Pct(lags, 50),7:N0} ms  p99 {Pct(lags, 99),7:N0} ms  max {lags.Max(),7:N0} ms");

            // 2. Rate: 3,000 pending deadlines made due at once; one replica fires them.
            await CreateAsync(http, "bench.rate", 3000, parallel: 8);
            // Deadline and its tasks' due_at move together (one transaction, one now()): a timer that disagreed with
            // its tasks would be found moot when it fires.
            await ExecAsync(connection, """
                BEGIN;
                UPDATE approval_task SET due_at = date_trunc('milliseconds', now()) WHERE status = 'open' AND due_at IS NOT NULL;
                UPDATE approval_timer SET due_at = date_trunc('milliseconds', now()) WHERE state = 'pending';
                COMMIT;
                """);
            var watch = Stopwatch.StartNew();
            var cpuBefore = host.Cpu;
            await WaitForFiredAsync(connection, "bench.rate", 3000);
            var cpu = host.Cpu - cpuBefore;
            var span = await ScalarAsync<double>(connection,
                "SELECT EXTRACT(EPOCH FROM max(fired_at) - min(fired_at)) FROM approval_timer t JOIN approval_request r ON r.id = t.request_id WHERE r.policy_key = 'bench.rate'");
            Console.WriteLine($"{"Timers fired per second by one replica (3,000 due at once)",-62} {3000 / Math.Max(span, 0.001),12:N0} /s  (all fired {watch.Elapsed.TotalSeconds:N1} s after being made due)");
            // CPU the host spent per timer: unlike the rate, barely moved by other work on a shared machine.
            Console.WriteLine($"{"Host CPU per fired timer",-62} {cpu.TotalMilliseconds / 3000,12:N2} ms");

            // 3. Creation cost with 100,000 pending timers.
            await PolicyAsync(http, "bench.create", "PT1H");
            var empty = await CreateAsync(http, "bench.create", 300, parallel: 1);
            await ExecAsync(connection, """
                INSERT INTO approval_timer (id, request_id, node_id, stage_order, kind, due_at, state, created_at, updated_at)
                SELECT md5(g::text), (SELECT id FROM approval_request LIMIT 1), 'stage-1', 1, 'sla_breach', now() + interval '30 days' + g * interval '1 second',
                       'pending', now(), now()
                FROM generate_series(1, 100000) g
                """);
            await ExecAsync(connection, "ANALYZE approval_timer");
            var full = await CreateAsync(http, "bench.create", 300, parallel: 1);
            Console.WriteLine($"{"Request creation (HTTP, one stage, one timer), 0 pending timers",-62} {empty.TotalMilliseconds / 300,12:N2} ms/request");
            Console.WriteLine($"{"Request creation with 100,000 pending timers",-62} {full.TotalMilliseconds / 300,12:N2} ms/request");
        }
        finally
        {
            host.Kill();
            NpgsqlConnection.ClearAllPools();
            await ExecAsync(adminConnection, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private static async Task PolicyAsync(HttpClient http, string key, string sla)
    {
        var policy = new JsonObject
        {
            ["policy_key"] = key, ["name"] = key, ["artifact_type"] = "bench",
            ["stages"] = new JsonArray(new JsonObject
            {
                ["name"] = "Only", ["stage_order"] = 1, ["mode"] = "any-n", ["mode_value"] = 1, ["sla"] = sla, ["on_breach"] = "auto_reject",
                ["rules"] = new JsonArray(new JsonObject { ["rule_type"] = "user", ["rule_value"] = new JsonObject { ["user_id"] = "u-bench" } }),
            }),
        };
        (await http.PostAsJsonAsync("/v1/awe/policies", policy)).EnsureSuccessStatusCode();
        (await http.PostAsync($"/v1/awe/policies/{key}/versions/1/activate", null)).EnsureSuccessStatusCode();
    }

    private static async Task<TimeSpan> CreateAsync(HttpClient http, string key, int count, int parallel)
    {
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, ct) =>
        {
            var body = new JsonObject { ["policy_key"] = key, ["artifact_type"] = "bench", ["artifact_id"] = $"{key}-{i}", ["context"] = new JsonObject() };
            (await http.PostAsJsonAsync("/v1/awe/requests", body, ct)).EnsureSuccessStatusCode();
        });
        return watch.Elapsed;
    }

    /// <summary>Waits until every timer of the policy's requests fired; returns each one's lag in milliseconds.</summary>
    private static async Task<List<double>> WaitForFiredAsync(string connection, string policyKey, int expected)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            await using var conn = new NpgsqlConnection(connection);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "SELECT EXTRACT(EPOCH FROM t.fired_at - t.due_at) * 1000 FROM approval_timer t JOIN approval_request r ON r.id = t.request_id " +
                "WHERE r.policy_key = @k AND t.state = 'fired'", conn);
            cmd.Parameters.AddWithValue("k", policyKey);
            var lags = new List<double>();
            await using (var reader = await cmd.ExecuteReaderAsync())
                while (await reader.ReadAsync()) lags.Add(Convert.ToDouble(reader.GetValue(0)));
            if (lags.Count >= expected) return lags;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{lags.Count} of {expected} timers fired for {policyKey}");
            await Task.Delay(100);
        }
    }

    private static double Pct(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }

    private static async Task ExecAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)Convert.ChangeType((await cmd.ExecuteScalarAsync())!, typeof(T));
    }

    private sealed class HostChild(Process process, string baseUrl) : IDisposable
    {
        public string BaseUrl { get; } = baseUrl;
        public TimeSpan Cpu { get { process.Refresh(); return process.TotalProcessorTime; } }
        public void Kill() { if (!process.HasExited) process.Kill(); }
        public void Dispose() { Kill(); process.Dispose(); }
    }

    private static async Task<HostChild> StartHostAsync(string connection)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var info = new ProcessStartInfo(Environment.ProcessPath!.EndsWith("dotnet") ? Environment.ProcessPath : "dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Awe.Host.dll") },
            WorkingDirectory = AppContext.BaseDirectory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ConnectionStrings__Awe"] = connection;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["AWE__SLA__CHECK_INTERVAL_SECONDS"] = "1";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"host: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var child = new HostChild(process, $"http://127.0.0.1:{port}");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 300; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"host exited with code {process.ExitCode}");
            try
            {
                if ((await probe.GetAsync($"{child.BaseUrl}/v1/awe/health")).StatusCode == HttpStatusCode.OK) return child;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        child.Dispose();
        throw new TimeoutException("host did not start within 60 s");
    }
}
