namespace Awe.Benchmarks.EndToEnd;

/// <summary>The captured SQL of one create and of the three decisions on its tasks, and the pgbench scripts made of it.</summary>
public sealed record CapturedWorkload(
    IReadOnlyList<RoundTrip> Create, IReadOnlyList<IReadOnlyList<RoundTrip>> Decisions, string CreateScriptPath, string DecisionScriptPath)
{
    /// <summary>Markdown: each operation's round trips and the start of each statement.</summary>
    public string Summary()
    {
        var text = new System.Text.StringBuilder();
        void Op(string name, IReadOnlyList<RoundTrip> trips)
        {
            text.AppendLine($"- **{name}**: {PgbenchScript.Describe(trips)}");
            foreach (var (trip, i) in trips.Select((t, i) => (t, i)))
                text.AppendLine($"  {i + 1}. (connection {trip.Connection}) " +
                                string.Join(" · ", trip.Statements.Select(s => "`" + Head(s) + "`")));
        }
        Op("create", Create);
        for (var k = 0; k < Decisions.Count; k++) Op($"decision {k + 1} of {Decisions.Count}", Decisions[k]);
        return text.ToString();
    }

    private static string Head(string sql)
    {
        var flat = string.Join(' ', sql.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries)).Replace("`", "'");
        return flat.Length <= 90 ? flat : flat[..90] + "…";
    }
}

/// <summary>
/// Captures the SQL the engine sends for one create and its decisions: a second host, started for this only, talks
/// to PostgreSQL through a <see cref="PgWireRecorder"/> (the measured host never does); its pollers are set to hours
/// so that nothing but the operation runs while recording. One create and its decisions run first to warm caches; the
/// next ones are recorded, each until 300 ms after its answer (work the host does right after answering counts).
/// </summary>
public static class SqlCapture
{
    /// <summary>Pollers set to an hour: nothing runs on the capture host but what the harness asks of it.</summary>
    private static readonly Dictionary<string, string> Quiet = new()
    {
        ["AWE__WEBHOOK__POLL_INTERVAL_SECONDS"] = "3600", ["AWE__SLA__CHECK_INTERVAL_SECONDS"] = "3600",
        ["AWE__RESOLVER__RETRY_POLL_SECONDS"] = "3600", ["AWE__RETENTION__CHECK_INTERVAL_SECONDS"] = "3600",
        ["AWE__NOTIFIER__POLL_INTERVAL_SECONDS"] = "3600",
    };

    /// <summary>
    /// For other measurements (e.g. the inbox): a capture host on the run's database runs <paramref name="warmup"/>,
    /// then <paramref name="operation"/> while recording. Turn the result into a pgbench script with
    /// <see cref="PgbenchScript.Verbatim"/> (read-only SQL) and run it with <see cref="E2eContext.Pgbench"/>.
    /// </summary>
    public static async Task<IReadOnlyList<RoundTrip>> CaptureAsync(E2eContext ctx, Func<HostUnderTest, Task> warmup, Func<HostUnderTest, Task> operation)
    {
        await using var recorder = new PgWireRecorder(ctx.Cluster.Port);
        await using var host = await HostUnderTest.StartAsync(ViaRecorder(recorder, ctx.Database), Quiet);
        await warmup(host);
        return await RecordAsync(recorder, () => operation(host));
    }

    private static string ViaRecorder(PgWireRecorder recorder, string database) =>
        $"Host=127.0.0.1;Port={recorder.Port};Username=postgres;Database={database};SSL Mode=Disable";

    public static async Task<CapturedWorkload> RunAsync(PostgresCluster cluster, string database, string workDirectory)
    {
        await using var recorder = new PgWireRecorder(cluster.Port);
        await using var host = await HostUnderTest.StartAsync(ViaRecorder(recorder, database), Quiet);
        await EngineWorkload.CreatePolicyAsync(host);
        var warm = await EngineWorkload.CreateAsync(host);
        for (var k = 0; k < EngineWorkload.Approvers.Length; k++) await EngineWorkload.DecideAsync(host, warm, k);

        var before = PgbenchScript.IdsIn(await ChildProcess.RunCheckedAsync(cluster.Tool("pg_dump"),
            ["-h", "127.0.0.1", "-p", cluster.Port.ToString(), "-U", "postgres", "--data-only", database]));

        CreatedRequest request = null!;
        var create = await RecordAsync(recorder, async () => request = await EngineWorkload.CreateAsync(host));
        var decisions = new List<IReadOnlyList<RoundTrip>>();
        for (var k = 0; k < EngineWorkload.Approvers.Length; k++)
        {
            var index = k;
            decisions.Add(await RecordAsync(recorder, () => EngineWorkload.DecideAsync(host, request, index)));
        }
        if (host.ErrorLines.Count > 0) throw new InvalidOperationException("capture host logged errors:\n" + string.Join('\n', host.ErrorLines));

        var script = new PgbenchScript(before.Contains);
        var createPath = Path.Combine(workDirectory, "create.sql");
        var decisionPath = Path.Combine(workDirectory, "decision.sql");
        await File.WriteAllTextAsync(createPath, script.Create(create));
        await File.WriteAllTextAsync(decisionPath, script.Decisions(decisions));
        return new CapturedWorkload(create, decisions, createPath, decisionPath);
    }

    private static async Task<IReadOnlyList<RoundTrip>> RecordAsync(PgWireRecorder recorder, Func<Task> operation)
    {
        recorder.StartRecording();
        await operation();
        await Task.Delay(300);
        var trips = recorder.StopRecording();
        if (trips.Count == 0) throw new InvalidOperationException("no SQL recorded for an operation");
        return trips;
    }
}
