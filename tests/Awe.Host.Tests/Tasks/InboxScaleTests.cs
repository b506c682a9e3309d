using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Awe.Host.Persistence;
using Awe.Host.Tasks;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Awe.Host.Tests.Tasks;

/// <summary>200,000 tasks written by SQL around one real request, so the planner sees a table worth indexing.</summary>
public sealed class InboxScaleFixture : PostgresAppFixture, IAsyncLifetime
{
    /// <summary>Open tasks of the one heavy inbox: past the count cap, so its total is capped.</summary>
    public const int HeavyOpen = TaskInbox.CountCap + 10;

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var key = await Flow.OneStageAsync(Admin, "any-n", 1, "u1");
        var template = (await Flow.CreateAsync(Admin, key)).RequestId();
        await using var conn = new NpgsqlConnection(Database.ConnectionString);
        await conn.OpenAsync();
        string[] statements =
        [
            """
            INSERT INTO approval_request (id, policy_id, policy_key, policy_version, artifact_type, artifact_id, source_service, requester,
                context, status, current_stage_order, workflow_state, last_event_seq, search_text, created_at, updated_at)
            SELECT md5('r' || g), t.policy_id, t.policy_key, t.policy_version, t.artifact_type, 'seed-' || g, t.source_service, t.requester,
                t.context, 'in_review', 1, t.workflow_state, t.last_event_seq, t.search_text, t.created_at - g * interval '1 second', t.updated_at
            FROM generate_series(0, 19999) g, (SELECT * FROM approval_request WHERE id = @template) t
            """,
            $"""
            INSERT INTO approval_task (id, request_id, stage_id, stage_order, assignee, kind, status, created_at, updated_at)
            SELECT md5('t' || g), md5('r' || (g / 10)), s.stage_id, 1,
                CASE WHEN g < {HeavyOpen} THEN 'u-heavy' ELSE 'u' || (g % 100) END, 'approver',
                CASE WHEN g < {HeavyOpen} OR g % 3 = 0 THEN 'open' ELSE 'completed' END, now() - (g / 10) * interval '1 second', now()
            FROM generate_series(0, 199999) g, (SELECT stage_id FROM approval_task WHERE request_id = @template LIMIT 1) s
            """,
            // Separately: VACUUM cannot run inside a multi-statement command. It sets the visibility map that
            // index-only scans rely on, as autovacuum does on a live table.
            "VACUUM ANALYZE approval_task",
            "ANALYZE approval_request",
        ];
        foreach (var sql in statements)
        {
            await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
            cmd.Parameters.AddWithValue("template", template);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>
/// The inbox (GET /tasks?assignee=…&amp;status=open) at 200,000 tasks: at most two statements, the page read from the
/// inbox index in its order, the count stopped at its cap and said to be capped.
/// </summary>
public sealed class InboxScaleTests(InboxScaleFixture f) : IClassFixture<InboxScaleFixture>
{
    [Fact]
    public async Task The_inbox_sends_two_statements_and_the_last_page_one()
    {
        var (reply, statements) = await RecordAsync("/v1/awe/tasks?assignee=u1&status=open");
        reply.Expect(HttpStatusCode.OK);
        Assert.Equal(25, reply.Json["items"]!.AsArray().Count);
        Assert.True(statements.Count <= 2, $"{statements.Count} statements:\n{string.Join("\n---\n", statements)}");
        // No whole request rows: the workflow state is never read for a list.
        Assert.All(statements, s => Assert.DoesNotContain("workflow_state", s));

        // A page that is not full tells the total by itself.
        var open = await f.CountAsync("SELECT count(*) FROM approval_task WHERE assignee = 'u2' AND status = 'open'");
        var last = (int)((open - 1) / 100 + 1);
        var (lastReply, lastStatements) = await RecordAsync($"/v1/awe/tasks?assignee=u2&status=open&page_size=100&page={last}");
        Assert.Equal(open, (int)lastReply.Expect(HttpStatusCode.OK).Json["total"]!);
        Assert.Single(lastStatements);
    }

    [Fact]
    public async Task The_page_and_the_count_are_read_from_the_inbox_index()
    {
        var plans = new ExplainRecorder();
        var options = new DbContextOptionsBuilder<PostgresAweDbContext>();
        options.UseAweDatabase(DatabaseKind.Postgres, f.Database.ConnectionString);
        options.AddInterceptors(plans);
        await using var db = new PostgresAweDbContext(options.Options);
        var matching = TaskInbox.Matching(db, new TaskFilter("u1", "u1", "open", null, null, null, null));

        await TaskInbox.Page(db, matching, 0, 25).ToListAsync();
        await TaskInbox.CountCappedAsync(matching, CancellationToken.None);

        var (pageSql, pagePlan) = plans.Explained[0];
        Assert.True(Regex.IsMatch(pagePlan, "Index (Only )?Scan using ix_approval_task_inbox on approval_task"), pagePlan);
        Assert.DoesNotContain("Seq Scan on approval_task", pagePlan);
        var (_, countPlan) = plans.Explained[1];
        // The count walks the same index, index-only once the visibility map covers the rows (vacuum cannot mark
        // rows a transaction open at that moment might not see yet), or as a bitmap of it; never the table.
        Assert.True(Regex.IsMatch(countPlan, "(Index (Only )?Scan using|Bitmap Index Scan on) ix_approval_task_inbox"), countPlan);
        Assert.DoesNotContain("Seq Scan", countPlan);
        Assert.Contains("Limit", countPlan);
        // What was explained is what the endpoint sends.
        var (_, served) = await RecordAsync("/v1/awe/tasks?assignee=u1&status=open");
        Assert.Contains(pageSql, served);
    }

    [Fact]
    public async Task A_total_past_the_cap_is_capped_and_says_so_and_later_pages_are_still_served()
    {
        var heavy = (await f.As("u-heavy").GetJson("/v1/awe/tasks?status=open")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(TaskInbox.CountCap, (int)heavy["total"]!);
        Assert.True((bool)heavy["total_capped"]!);
        Assert.Equal(TaskInbox.CountCap / 25, (int)heavy["pages"]!);
        Assert.Equal(25, heavy["items"]!.AsArray().Count);

        // Past the cap: the last ten tasks, and with the whole inbox in sight the total is exact again.
        var beyond = (await f.As("u-heavy").GetJson($"/v1/awe/tasks?status=open&page_size=100&page={TaskInbox.CountCap / 100 + 1}"))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal(10, beyond["items"]!.AsArray().Count);
        Assert.Equal(InboxScaleFixture.HeavyOpen, (int)beyond["total"]!);
        Assert.False((bool)beyond["total_capped"]!);

        var u1 = (await f.As("u1").GetJson("/v1/awe/tasks?status=open")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(await f.CountAsync("SELECT count(*) FROM approval_task WHERE assignee = 'u1' AND status = 'open'"), (int)u1["total"]!);
        Assert.False((bool)u1["total_capped"]!);
    }

    /// <summary>Sends the GET as the admin under a fresh trace id and returns the SQL statements it made the host send.</summary>
    private async Task<(Reply Reply, List<string> Statements)> RecordAsync(string url)
    {
        var trace = ActivityTraceId.CreateRandom();
        var statements = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                // Commands only: opening a physical connection (CONNECT) is the pool's business, not the endpoint's.
                if (a.Source.Name == "Npgsql" && a.TraceId == trace && !a.DisplayName.StartsWith("CONNECT", StringComparison.Ordinal))
                    statements.Enqueue(a.TagObjects.Select(t => t.Value as string).FirstOrDefault(v => v?.TrimStart().StartsWith("SELECT") == true)
                                       ?? a.DisplayName);
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var client = f.App.ClientFor(Tokens.Admin);
        client.DefaultRequestHeaders.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        var reply = await client.GetJson(url);
        return (reply, statements.ToList());
    }

    /// <summary>EXPLAINs every query a context runs, with the query's own parameters, before it runs.</summary>
    private sealed class ExplainRecorder : DbCommandInterceptor
    {
        public List<(string Sql, string Plan)> Explained { get; } = [];

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken ct = default)
        {
            await using var explain = new NpgsqlCommand("EXPLAIN " + command.CommandText, (NpgsqlConnection)command.Connection!);
            foreach (NpgsqlParameter p in command.Parameters) explain.Parameters.Add(p.Clone());
            var lines = new List<string>();
            await using (var reader = await explain.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) lines.Add(reader.GetString(0));
            Explained.Add((command.CommandText, string.Join("\n", lines)));
            return result;
        }
    }
}
