using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Awe.Benchmarks;

/// <summary>
/// Scale against the real host over HTTP:
/// a stage opening 5,000 tasks (the create and the deciding approval that closes the other 4,999), and the inbox
/// (GET /tasks?assignee=u1&amp;status=open) at 10,000 and at 1,000,000 tasks, and for one person holding 100,000
/// open tasks. Tasks beyond the first requests are written by SQL (the host's write path is not what the inbox
/// measures). Run as the `large-stage` and `inbox` parts of the end-to-end run (EndToEnd/ScaleScenarios.cs):
///   scripts/bench.sh --only large-stage,inbox
/// </summary>
public static class ScaleBenchmark
{

    /// <summary>An admin client of the host (dev-mode token).</summary>
    public static HttpClient Client(string baseUrl)
    {
        var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", EndToEnd.HostUnderTest.Token("bench", "AWE_ADMIN"));
        return http;
    }

    /// <summary>Wall and host-CPU milliseconds (p50, max) of the 5,000-task stage's create and deciding approval.</summary>
    public sealed record HugeStageResult(double CreateP50, double CreateMax, double CreateCpuP50, double DecideP50, double DecideMax,
        double DecideCpuP50, long AnswerBytes);

    /// <summary>Inbox latencies (p50, p99 in ms) at 10k and 1M tasks, and of one assignee holding 100k open tasks.</summary>
    public sealed record InboxResult((double P50, double P99) At10k, (double P50, double P99) At1M, (double P50, double P99) Heavy);

    /// <summary>Create with 5,000 approvers (any-n 1), then the approval that decides the stage and closes the rest.</summary>
    public static async Task<HugeStageResult> HugeStageAsync(HttpClient http, Func<double> hostCpuMilliseconds)
    {
        await PolicyAsync(http, "bench.crowd", """{"var": "officers"}""");
        var officers = new JsonArray(Enumerable.Range(0, 5000).Select(i => (JsonNode)$"officer-{i}").ToArray());
        // Wall time suffers from whatever else the machine runs; the host's own CPU time per operation much less.
        List<double> creates = [], decisions = [], createCpu = [], decisionCpu = [];
        long answerBytes = 0;
        const int warmUp = 2, runs = 10;
        for (var i = 0; i < warmUp + runs; i++)
        {
            var cpu = hostCpuMilliseconds();
            var watch = Stopwatch.StartNew();
            using var created = await http.PostAsJsonAsync("/v1/awe/requests", new JsonObject
            {
                ["policy_key"] = "bench.crowd", ["artifact_type"] = "doc", ["artifact_id"] = $"crowd-{i}",
                ["context"] = new JsonObject { ["officers"] = officers.DeepClone() },
            });
            var body = await created.Content.ReadAsStringAsync();
            var createMs = watch.Elapsed.TotalMilliseconds;
            var createCpuMs = hostCpuMilliseconds() - cpu;
            if (created.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"create: {created.StatusCode} {body}");
            var answer = JsonNode.Parse(body)!;
            if ((int)answer["tasks_total"]! != 5000) throw new InvalidOperationException($"expected 5,000 tasks: {body[..200]}");
            var taskId = (string)answer["tasks"]![0]!["id"]!;

            cpu = hostCpuMilliseconds();
            watch.Restart();
            using var decided = await http.PostAsJsonAsync($"/v1/awe/tasks/{taskId}/decision", new JsonObject { ["action"] = "approve" });
            var decisionMs = watch.Elapsed.TotalMilliseconds;
            var decisionCpuMs = hostCpuMilliseconds() - cpu;
            var decisionBody = await decided.Content.ReadAsStringAsync();
            if (decided.StatusCode != HttpStatusCode.Created || (string)JsonNode.Parse(decisionBody)!["request_status"]! != "approved")
                throw new InvalidOperationException($"decision: {decided.StatusCode} {decisionBody}");
            if (i < warmUp) continue;
            creates.Add(createMs);
            decisions.Add(decisionMs);
            createCpu.Add(createCpuMs);
            decisionCpu.Add(decisionCpuMs);
            answerBytes = body.Length;
        }
        Console.WriteLine($"{"Stage of 5,000 tasks: create over HTTP",-62} p50 {Pct(creates, 50),7:N0} ms  max {creates.Max(),7:N0} ms  host CPU p50 {Pct(createCpu, 50),5:N0} ms  answer {answerBytes / 1024.0,6:N1} KiB");
        Console.WriteLine($"{"Stage of 5,000 tasks: deciding approval (closes 4,999)",-62} p50 {Pct(decisions, 50),7:N0} ms  max {decisions.Max(),7:N0} ms  host CPU p50 {Pct(decisionCpu, 50),5:N0} ms");
        return new HugeStageResult(Pct(creates, 50), creates.Max(), Pct(createCpu, 50), Pct(decisions, 50), decisions.Max(), Pct(decisionCpu, 50), answerBytes);
    }

    /// <summary>Inbox latency as the task table grows from 10,000 to 1,000,000 rows, then with one 100,000-task inbox.</summary>
    public static async Task<InboxResult> InboxAsync(HttpClient http, string connection)
    {
        await PolicyAsync(http, "bench.inbox", """["u1"]""");
        using var created = await http.PostAsJsonAsync("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = "bench.inbox", ["artifact_type"] = "doc", ["artifact_id"] = "template", ["context"] = new JsonObject { ["amount"] = 10 },
        });
        var template = (string)(await created.Content.ReadFromJsonAsync<JsonNode>())!["request_id"]!;
        // The table starts with the inbox's own rows only: the huge stages' requests go.
        await ExecAsync(connection, """
            DELETE FROM approval_decision WHERE request_id IN (SELECT id FROM approval_request WHERE policy_key = 'bench.crowd');
            DELETE FROM approval_request WHERE policy_key = 'bench.crowd';
            """);

        var seeded = 0;
        var latencies = new List<(double, double)>();
        foreach (var total in new[] { 10_000, 1_000_000 })
        {
            var watch = Stopwatch.StartNew();
            await SeedAsync(connection, template, seeded, total);
            seeded = total;
            var seedSeconds = watch.Elapsed.TotalSeconds;
            var (p50, p99) = await LatencyAsync(http, "/v1/awe/tasks?assignee=u1&status=open");
            latencies.Add((p50, p99));
            Console.WriteLine($"{$"Inbox assignee=u1&status=open, {total:N0} tasks",-62} p50 {p50,7:N1} ms  p99 {p99,7:N1} ms  (seeded in {seedSeconds:N0} s)");
        }

        // One person with 100,000 open tasks: the count stops at its cap, the page reads 25 index entries.
        await ExecAsync(connection, "UPDATE approval_task SET assignee = 'u-heavy', status = 'open' WHERE id IN (SELECT id FROM approval_task WHERE assignee <> 'u1' LIMIT 100000)");
        await ExecAsync(connection, "VACUUM ANALYZE approval_task");
        var (h50, h99) = await LatencyAsync(http, "/v1/awe/tasks?assignee=u-heavy&status=open");
        Console.WriteLine($"{"Inbox of one assignee holding 100,000 open tasks (1M table)",-62} p50 {h50,7:N1} ms  p99 {h99,7:N1} ms");
        return new InboxResult(latencies[0], latencies[1], (h50, h99));
    }

    /// <summary>Rows [from, to) of the task table, 10 tasks per request, over 1,000 assignees, a third of them open.</summary>
    private static async Task SeedAsync(string connection, string template, int from, int to)
    {
        await ExecAsync(connection, $"""
            INSERT INTO approval_request (id, policy_id, policy_key, policy_version, artifact_type, artifact_id, source_service, requester,
                context, status, current_stage_order, workflow_state, last_event_seq, search_text, created_at, updated_at)
            SELECT md5('r' || g), t.policy_id, t.policy_key, t.policy_version, t.artifact_type, 'seed-' || g, t.source_service, t.requester,
                t.context, 'in_review', 1, t.workflow_state, t.last_event_seq, t.search_text, t.created_at - g * interval '1 second', t.updated_at
            FROM generate_series({from / 10}, {to / 10 - 1}) g, (SELECT * FROM approval_request WHERE id = '{template}') t;
            INSERT INTO approval_task (id, request_id, stage_id, stage_order, assignee, kind, status, created_at, updated_at)
            SELECT md5('t' || g), md5('r' || (g / 10)), s.stage_id, 1, 'u' || (g % 1000), 'approver',
                CASE WHEN g % 3 = 0 THEN 'open' ELSE 'completed' END, now() - (g / 10) * interval '1 second', now()
            FROM generate_series({from}, {to - 1}) g, (SELECT stage_id FROM approval_task WHERE request_id = '{template}' LIMIT 1) s;
            """);
        await ExecAsync(connection, "VACUUM ANALYZE approval_task; ANALYZE approval_request");
    }

    private static async Task<(double P50, double P99)> LatencyAsync(HttpClient http, string url)
    {
        var times = new List<double>();
        for (var i = 0; i < 550; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(url);
            await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"inbox: {response.StatusCode}");
            if (i >= 50) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return (Pct(times, 50), Pct(times, 99));
    }

    private static async Task PolicyAsync(HttpClient http, string key, string logic)
    {
        var policy = new JsonObject
        {
            ["policy_key"] = key, ["name"] = key, ["artifact_type"] = "doc",
            ["stages"] = new JsonArray(new JsonObject
            {
                ["name"] = "Crowd", ["stage_order"] = 1, ["mode"] = "any-n", ["mode_value"] = 1,
                ["rules"] = new JsonArray(new JsonObject
                {
                    ["rule_type"] = "expression", ["rule_value"] = new JsonObject { ["logic"] = JsonNode.Parse(logic) },
                }),
            }),
        };
        (await http.PostAsJsonAsync("/v1/awe/policies", policy)).EnsureSuccessStatusCode();
        (await http.PostAsync($"/v1/awe/policies/{key}/versions/1/activate", null)).EnsureSuccessStatusCode();
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
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 900 };
        await cmd.ExecuteNonQueryAsync();
    }
}
