using System.Runtime.InteropServices;
using System.Text;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>Writes docs/performance.md: the machine, the command, the table, the details and the captured SQL.</summary>
public static class PerformanceReport
{
    public const string Command = "scripts/bench.sh";

    public static async Task WriteAsync(E2eOptions options, PostgresCluster cluster, CapturedWorkload captured, ResultTable table, TimeSpan took)
    {
        if (options.ReportPath == "-") return;
        var path = options.ReportPath ?? Path.Combine(FindRepositoryRoot() ?? Environment.CurrentDirectory, "docs", "performance.md");
        var text = new StringBuilder();
        text.AppendLine("# Performance");
        text.AppendLine();
        text.AppendLine($"Produced by one run of the end-to-end benchmark, `{Command}{(options.CommandLine.Length > 0 ? " " + options.CommandLine : "")}`, " +
                        $"on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; the run took {took.TotalMinutes:N1} min" +
                        (options.Quick ? " (**--quick**: short windows, indicative only)" : "") + ".");
        if (options.Note is { Length: > 0 }) text.AppendLine().AppendLine($"> {options.Note}");
        text.AppendLine();
        text.AppendLine("## Machine");
        text.AppendLine();
        text.AppendLine($"- CPU: {Environment.ProcessorCount} × {CpuModel()} (`nproc` = {Environment.ProcessorCount})");
        text.AppendLine($"- RAM: {MemTotalGb():N1} GiB");
        text.AppendLine($"- PostgreSQL {cluster.Version} (the harness's own cluster: initdb in a temp dir, default durability settings, shared_buffers 256MB)");
        text.AppendLine($"- {RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription}; the host is the Release build of Awe.Host");
        text.AppendLine($"- Windows: {options.WarmupSeconds} s warm-up + {options.MeasureSeconds} s measured per point; concurrencies {string.Join(", ", options.Concurrencies)}");
        text.AppendLine();
        text.AppendLine("## Results");
        text.AppendLine();
        text.AppendLine("Reference is pgbench running the SQL the engine sent for the same operation (captured in this run), unless the");
        text.AppendLine("line says otherwise; ratio is engine ÷ reference.");
        text.AppendLine();
        text.Append(table.Markdown());
        text.AppendLine();
        text.AppendLine("Details:");
        text.AppendLine();
        foreach (var line in table.Details) text.AppendLine($"- {line}");
        text.AppendLine();
        text.AppendLine("## What pgbench ran");
        text.AppendLine();
        text.AppendLine("The SQL one create and the three decisions on its tasks sent, as the capture host's connections carried it");
        text.AppendLine("(parameters written in as literals; ids the operation made become per-transaction templates):");
        text.AppendLine();
        text.Append(captured.Summary());
        text.AppendLine();
        text.AppendLine(Method);
        await File.WriteAllTextAsync(path, text.ToString());
        Console.WriteLine($"[e2e] wrote {path}");
    }

    private const string Method = """
        ## Method

        `scripts/bench.sh` installs PostgreSQL's server and pgbench from Debian packages when missing, builds
        `tests/Awe.Benchmarks` in Release and runs its `e2e` mode (`dotnet run -c Release --project tests/Awe.Benchmarks -- e2e`
        does the same without the install step). Options: `--quick` (2 s + 5 s windows, 60 s drain limit),
        `--warmup S`, `--seconds S`, `--concurrency 1,4,16`, `--burst N`, `--drain-timeout S`, `--receiver-ms N`, `--only create,decision,webhooks,…`,
        `--out PATH` (`-` for none), `--pg-bin DIR`, `--note TEXT`, `--keep-work` (keep the pgbench scripts). It is not part of the test suite.

        1. **PostgreSQL**: `initdb` in a temporary directory, started on a free loopback port (never the shared test
           server), removed at the end.
        2. **SQL capture**: a second host, used for nothing else, connects through a relay that reads the PostgreSQL
           protocol and records each executed statement with its bound parameters, and which statements went out
           together before the host waited for an answer (one round trip). After one warm-up create and its three
           decisions, the next create and its three decisions are recorded. The measured host never goes through the
           relay.
        3. **pgbench** (simple protocol) replays them: each engine round trip is one pgbench command (its statements joined
           with `\;`), so the database does the same work in the same round trips and transactions. Ids that the
           operation made are templated per client and iteration, so every create inserts new rows, and the decision
           script decides the tasks of requests that a pgbench create run inserted just before (three decisions per
           request, in the engine's order). Differences: a pooled connection's `DISCARD ALL`, which Npgsql pipelines with
           the next statement, goes as its own command (PostgreSQL refuses it inside a multi-statement query), and
           statements the engine sent on a second connection go on pgbench's one connection.
        4. **Engine**: an in-process closed-loop load generator (HttpClient, `c` workers back to back) over HTTP on
           loopback; throughput counts the calls that completed in the measured window, p50/p99 their latency. Creates
           use a one-stage policy with three user approvers (mode `all`); decisions approve the three tasks of a request
           in turn (the third closes the stage and the request), each worker on its own request, as each pgbench client.
           pgbench's create runs last the measured window; its decision runs a fixed number of transactions sized to
           about that window.
        5. **Webhooks**: a Kestrel receiver in the benchmark process answers 200, at once or after `--receiver-ms`
           (a caller that stores the event first). Its capacity is measured with the same load generator at 20
           concurrent senders, the dispatcher's default `webhook.batch_size`; a receiver that answers at once on
           loopback takes thousands per second, more than any real caller, which makes the ratio a strict one.
           A burst of creates with a callback URL is sent while the receiver answers 503, so that each request's first
           event waits for its retry; all pending deliveries are then made due and the receiver accepts: the dispatch
           rate is deliveries ÷ (last arrival − first arrival), with the host's default webhook settings.
           First-attempt latency: one create at a time with nothing queued, from sending the create to its first
           delivery's arrival (an upper bound of the time from commit).
        6. **Memory**: the host process's VmRSS from `/proc/<pid>/status`, sampled every 100 ms, and its VmHWM.
        7. **Errors**: failed HTTP calls of the load, and `fail:`/`crit:` lines the host logged.

        Further measurements plug in as classes implementing `IEndToEndScenario` (tests/Awe.Benchmarks/EndToEnd); until
        the inbox (`inbox`) and 5,000-task stage (`large-stage`) scenarios exist, their lines say "not measured".
        """;

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException) { return RuntimeInformation.ProcessArchitecture.ToString(); }
    }

    private static double MemTotalGb()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0 / 1024.0;
        }
        catch (IOException) { return double.NaN; }
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Awe.sln"))) return dir.FullName;
        return null;
    }
}
