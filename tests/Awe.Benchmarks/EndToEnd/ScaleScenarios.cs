using System.Diagnostics;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>The stage of 5,000 approvers (<see cref="ScaleBenchmark.HugeStageAsync"/>) as a line of the end-to-end table.</summary>
public sealed class LargeStageScenario : IEndToEndScenario
{
    public string Name => "large-stage";

    public async Task RunAsync(E2eContext context)
    {
        using var http = ScaleBenchmark.Client(context.Host.BaseUrl);
        using var host = Process.GetProcessById(context.Host.ProcessId);
        var r = await ScaleBenchmark.HugeStageAsync(http, () =>
        {
            host.Refresh();
            return host.TotalProcessorTime.TotalMilliseconds;
        });
        context.Table.Add(new ResultRow("Stage opening 5,000 tasks over HTTP: create, p50", ResultTable.Number(r.CreateP50, "ms"), "–", "–",
            "≤ 500 ms", r.CreateP50 <= 500));
        context.Table.Add(new ResultRow("Stage of 5,000 tasks: the approval that closes the other 4,999, p50", ResultTable.Number(r.DecideP50, "ms"),
            "–", "–", "≤ 500 ms", r.DecideP50 <= 500));
        context.Table.Detail($"Stage of 5,000 tasks (10 runs after 2 warm-ups): create p50 {r.CreateP50:N0} ms, max {r.CreateMax:N0} ms, " +
                             $"host CPU p50 {r.CreateCpuP50:N0} ms, answer {r.AnswerBytes / 1024.0:N1} KiB; deciding approval p50 {r.DecideP50:N0} ms, " +
                             $"max {r.DecideMax:N0} ms, host CPU p50 {r.DecideCpuP50:N0} ms");
    }
}

/// <summary>The inbox as the task table grows (<see cref="ScaleBenchmark.InboxAsync"/>) as lines of the end-to-end table.</summary>
public sealed class InboxScenario : IEndToEndScenario
{
    public string Name => "inbox";

    public async Task RunAsync(E2eContext context)
    {
        using var http = ScaleBenchmark.Client(context.Host.BaseUrl);
        var r = await ScaleBenchmark.InboxAsync(http, context.ConnectionString);
        context.Table.AddRatio("Inbox GET /tasks?assignee=…&status=open p99, 1M tasks vs 10k", r.At1M.P99, r.At10k.P99, "ms", 1.5, false, "≤ 1.5×");
        context.Table.AddRatio("Inbox p99, one assignee holding 100k open tasks (1M table) vs 10k", r.Heavy.P99, r.At10k.P99, "ms", 1.5, false, "≤ 1.5×");
        context.Table.Detail($"Inbox (500 calls after 50 warm-ups, one at a time): 10k tasks p50 {r.At10k.P50:N1} ms p99 {r.At10k.P99:N1} ms; " +
                             $"1M p50 {r.At1M.P50:N1} ms p99 {r.At1M.P99:N1} ms; one assignee with 100k open p50 {r.Heavy.P50:N1} ms p99 {r.Heavy.P99:N1} ms");
    }
}
