using System.Globalization;
using System.Text.RegularExpressions;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>What one pgbench run did: transactions per second and latency percentiles (from its per-transaction log).</summary>
public sealed record PgbenchResult(double Tps, double P50Ms, double P99Ms, long Transactions, string Failure)
{
    public bool Ok => Failure.Length == 0;
}

/// <summary>Runs pgbench (simple query protocol, no vacuum) on the harness's cluster.</summary>
public sealed partial class Pgbench(PostgresCluster cluster, string database, string workDirectory)
{
    private int _runs;

    /// <summary>Runs <paramref name="script"/> with <paramref name="clients"/> connections, for <paramref name="seconds"/>
    /// or for <paramref name="transactionsPerClient"/> transactions each. <paramref name="tag"/> (4 hex digits) sets
    /// awe_t, which the scripts put into every id they make.</summary>
    public async Task<PgbenchResult> RunAsync(string scriptPath, int clients, string tag, int? seconds = null, int? transactionsPerClient = null)
    {
        var run = Interlocked.Increment(ref _runs);
        var logPrefix = Path.Combine(workDirectory, $"run{run}");
        var args = new List<string>
        {
            "-n", "-M", "simple", "-h", "127.0.0.1", "-p", cluster.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
            "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
            "-D", "awe_n=0", "-D", $"awe_t={tag}", "-f", scriptPath, "-l", $"--log-prefix={logPrefix}",
        };
        args.AddRange(seconds is { } s ? ["-T", s.ToString(CultureInfo.InvariantCulture)] : ["-t", transactionsPerClient!.Value.ToString(CultureInfo.InvariantCulture)]);
        args.Add(database);
        var outcome = await ChildProcess.RunAsync(cluster.Tool("pgbench"), args, workingDirectory: workDirectory);
        var latencies = new List<double>();
        foreach (var file in Directory.GetFiles(workDirectory, $"run{run}.*"))
        {
            // client_id transaction_no latency_us script_no epoch_s epoch_us
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ');
                if (parts.Length >= 3 && double.TryParse(parts[2], CultureInfo.InvariantCulture, out var micros)) latencies.Add(micros / 1000);
            }
            File.Delete(file);
        }
        var tps = TpsLine().Match(outcome.Stdout) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var failure = outcome.ExitCode == 0 ? "" : $"pgbench exited with {outcome.ExitCode}: {outcome.Stderr.Trim().Split('\n').FirstOrDefault(l => l.Contains("error")) ?? outcome.Stderr.Trim()}";
        latencies.Sort();
        return new PgbenchResult(tps, Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 99), latencies.Count, failure);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();
}

public static class Stats
{
    /// <summary>Nearest-rank percentile of sorted values; NaN when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percentile) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
