using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// The end-to-end benchmark (<c>scripts/bench.sh</c>, or <c>dotnet run -c Release --project tests/Awe.Benchmarks -- e2e</c>):
/// its own PostgreSQL, the built host on it, the SQL of a create and of its decisions captured and replayed by pgbench
/// in the same run, the engine measured over HTTP at several concurrencies, webhook dispatch, the host's memory; one
/// table printed and written to docs/performance.md. See docs/performance.md for the method.
/// </summary>
public static class EndToEndBenchmark
{
    /// <summary>Measurements the issue asks for that another part adds (an <see cref="IEndToEndScenario"/> of that name);
    /// until it exists, the table says they were not measured.</summary>
    public static readonly IReadOnlyList<(string Scenario, string Measurement, string Target)> ExpectedScenarios =
    [
        ("inbox", "Inbox GET /tasks?assignee=…&status=open p99, 1M tasks vs 10k", "≤ 1.5×"),
        ("large-stage", "Stage opening 5,000 tasks over HTTP (create), and closing them", "≤ 0.5 s"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = E2eOptions.Parse(args);
        var total = Stopwatch.StartNew();
        var work = Directory.CreateTempSubdirectory("awe-bench.").FullName;
        var table = new ResultTable();
        var scenarios = Assembly.GetExecutingAssembly().GetTypes()
            .Where(t => typeof(IEndToEndScenario).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IEndToEndScenario)Activator.CreateInstance(t)!).OrderBy(s => s.Name).ToList();
        try
        {
            Log($"PostgreSQL: initdb in a temp directory ({PostgresCluster.FindBinDir(options.PgBinDir)})");
            await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.FindBinDir(options.PgBinDir));
            const string database = "awe_bench";
            await cluster.CreateDatabaseAsync(database);
            Log($"PostgreSQL {cluster.Version} on 127.0.0.1:{cluster.Port}; capturing the SQL of a create and its decisions");
            var captured = await SqlCapture.RunAsync(cluster, database, work);
            Log($"create: {PgbenchScript.Describe(captured.Create)}; decisions: {string.Join(" / ", captured.Decisions.Select(PgbenchScript.Describe))}");

            await using var host = await HostUnderTest.StartAsync(cluster.ConnectionString(database),
                new Dictionary<string, string> { ["AWE__OUTBOUND__ALLOW_PRIVATE_NETWORKS"] = "true" }); // the webhook receiver is on loopback
            Log($"host pid {host.ProcessId} at {host.BaseUrl}");
            var ctx = new E2eContext
            {
                Options = options, Cluster = cluster, Database = database, Host = host, Table = table, WorkDirectory = work,
                Pgbench = new Pgbench(cluster, database, work),
            };
            var errors = 0L;
            if (options.Runs("create") || options.Runs("decision")) errors += await CreateAndDecideAsync(ctx, captured);
            if (options.Runs("webhooks")) { Log("webhooks"); await WebhookBenchmark.RunAsync(ctx); }
            foreach (var scenario in scenarios.Where(s => options.Runs(s.Name)))
            {
                Log($"scenario {scenario.Name}");
                await scenario.RunAsync(ctx);
            }
            foreach (var (name, measurement, target) in ExpectedScenarios.Where(e => scenarios.All(s => s.Name != e.Scenario)))
                table.AddUnmeasured(measurement, target, $"not measured (no `{name}` scenario yet)");

            table.Add(new ResultRow("Host RSS, peak (VmRSS sampled every 100 ms, and VmHWM)", ResultTable.Number(host.PeakRssMb, "MiB"), "–", "–", "≤ 300 MiB",
                host.PeakRssMb <= 300));
            var logErrors = host.ErrorLines;
            table.Add(new ResultRow("Failed HTTP calls under load / error-level host log lines", $"{errors} / {logErrors.Count}", "–", "–", "0 / 0",
                errors == 0 && logErrors.Count == 0));
            foreach (var line in logErrors.Take(5)) table.Detail($"Host error line: `{line}`");

            Console.WriteLine();
            Console.WriteLine(table.Plain());
            Log($"finished in {total.Elapsed.TotalMinutes:N1} min");
            await PerformanceReport.WriteAsync(options, cluster, captured, table, total.Elapsed);
            return 0;
        }
        finally
        {
            if (options.KeepWork) Log($"scratch directory kept: {work}");
            else try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Create and decision at each concurrency: the engine over HTTP, then pgbench on the captured SQL.</summary>
    private static async Task<long> CreateAndDecideAsync(E2eContext ctx, CapturedWorkload captured)
    {
        var errors = 0L;
        var pool = new ConcurrentQueue<CreatedRequest>();
        var createRates = new Dictionary<int, (double Engine, double Pgbench)>();
        var tags = 0;
        string NextTag() => $"a{++tags:x3}";

        foreach (var c in ctx.Options.Concurrencies)
        {
            Log($"create, c={c}");
            var engine = await LoadGenerator.RunAsync(c, ctx.Warmup, ctx.Measure, EngineWorkload.CreateOperation(ctx.Host, pool));
            errors += engine.Errors;
            var createTag = NextTag();
            var pg = await Verified(ctx, await ctx.Pgbench.RunAsync(captured.CreateScriptPath, c, createTag, seconds: ctx.Options.MeasureSeconds),
                "SELECT count(*) FROM approval_request WHERE id LIKE '00000001-' || @tag || '-%'", createTag, 1);
            createRates[c] = (engine.PerSecond, pg.Tps);
            Report(ctx, "Request creation (one stage, three approvers)", c, engine, pg, latencyTarget: null);
        }
        if (!ctx.Options.Runs("decision")) return errors;

        foreach (var c in ctx.Options.Concurrencies)
        {
            Log($"decision, c={c}");
            // Enough open requests for the warm-up and the window if decisions run at up to 3× the create rate.
            var needed = (int)Math.Ceiling(createRates.GetValueOrDefault(c).Engine * 3 * (ctx.Options.WarmupSeconds + ctx.Options.MeasureSeconds) / 3) + 2 * c;
            if (pool.Count < needed)
                await Parallel.ForEachAsync(Enumerable.Range(0, needed - pool.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 },
                    async (_, ct) => pool.Enqueue(await EngineWorkload.CreateAsync(ctx.Host, ct: ct)));
            var engine = await LoadGenerator.RunAsync(c, ctx.Warmup, ctx.Measure, EngineWorkload.DecideOperation(ctx.Host, pool, c));
            errors += engine.Errors;

            // pgbench: first its own requests (same client count, one tag), then three decisions per request; as many as
            // last about the window if decisions run at pgbench's create rate (a fixed count, so that no client runs
            // out of requests; they have run at 0.7× that rate, so the run lasts a little longer).
            var perClient = Math.Max(5, (int)Math.Ceiling(createRates.GetValueOrDefault(c).Pgbench * ctx.Options.MeasureSeconds / 3 / c));
            var tag = NextTag();
            var setup = await ctx.Pgbench.RunAsync(captured.CreateScriptPath, c, tag, transactionsPerClient: perClient);
            var pg = setup.Ok ? await ctx.Pgbench.RunAsync(captured.DecisionScriptPath, c, tag, transactionsPerClient: perClient * 3) : setup;
            // Each decision found its task (one decision row each), and every third approved its request.
            pg = await Verified(ctx, pg, "SELECT count(*) FROM approval_decision WHERE id LIKE '%-' || @tag || '-4000-8000-%'", tag, 1);
            pg = await Verified(ctx, pg, "SELECT count(*) FROM approval_request WHERE id LIKE '00000001-' || @tag || '-%' AND status = 'approved'", tag, 3);
            Report(ctx, "Decision (approve; every third closes the stage)", c, engine, pg, latencyTarget: 1.5);
        }
        return errors;
    }

    /// <summary>pgbench counts transactions, not whether they found their rows: the rows they made are counted too
    /// (<paramref name="perRow"/> transactions per row), and a mismatch fails the comparison.</summary>
    private static async Task<PgbenchResult> Verified(E2eContext ctx, PgbenchResult pg, string countSql, string tag, int perRow)
    {
        if (!pg.Ok) return pg;
        var rows = await ctx.ScalarAsync(countSql, ("tag", tag));
        return rows * perRow == pg.Transactions ? pg
            : pg with { Failure = $"pgbench ran {pg.Transactions} transactions but {rows} rows show for them ({countSql})" };
    }

    private static void Report(E2eContext ctx, string what, int c, LoadResult engine, PgbenchResult pg, double? latencyTarget)
    {
        var note = (engine.RanOut ? " (ran out of open tasks: shorter window)" : "") + (engine.Errors > 0 ? $"; {engine.Errors} errors, first: {engine.FirstError}" : "");
        ctx.Table.Detail($"{what}, c={c}: engine {engine.PerSecond:N1}/s p50 {engine.P50Ms:N1} ms p99 {engine.P99Ms:N1} ms ({engine.Completed} in the window{note}); " +
                         (pg.Ok ? $"pgbench {pg.Tps:N1} tps p50 {pg.P50Ms:N1} ms p99 {pg.P99Ms:N1} ms ({pg.Transactions} transactions)" : $"pgbench FAILED: {pg.Failure}"));
        if (!pg.Ok)
        {
            ctx.Table.AddUnmeasured($"{what}, throughput, c={c}", "≥ 0.8× pgbench", "pgbench failed (see details)");
            return;
        }
        ctx.Table.AddRatio($"{what}, throughput, c={c}", engine.PerSecond, pg.Tps, "/s", 0.8, atLeast: true, "≥ 0.8× pgbench");
        if (latencyTarget is { } bound)
            ctx.Table.AddRatio($"{what}, p99, c={c}", engine.P99Ms, pg.P99Ms, "ms", bound, atLeast: false, $"≤ {bound}× pgbench");
    }

    private static void Log(string message) => Console.WriteLine($"[e2e {DateTime.UtcNow:HH:mm:ss}] {message}");
}
