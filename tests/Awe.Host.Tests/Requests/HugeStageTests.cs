using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Requests;

/// <summary>
/// Stages of a thousand approvers: their tasks are written as sets (binary COPY on PostgreSQL, one UPDATE to close
/// them), the create answer lists the first 100 with a count and a link to the rest, and the journal still names every
/// task the deciding approval closed.
/// </summary>
public sealed class HugeStageTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private const int Crowd = 1000;

    internal static JsonObject Expression(string variable) => new()
    {
        ["rule_type"] = "expression", ["rule_value"] = new JsonObject { ["logic"] = new JsonObject { ["var"] = variable } },
    };

    internal static JsonObject Officers(string prefix, int count) => new()
    {
        ["officers"] = new JsonArray(Enumerable.Range(0, count).Select(i => (JsonNode)$"{prefix}-{i}").ToArray()),
    };

    private Task<long> CountAsync(string requestId, string where) =>
        f.CountAsync($"SELECT count(*) FROM approval_task WHERE request_id = @r AND {where}", ("r", requestId));

    [Fact]
    public async Task A_huge_stage_answers_its_first_100_tasks_with_the_total_and_a_link_to_all_of_them()
    {
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "any-n", 1, Expression("officers")));
        var prefix = Flow.Unique("Officer");

        var created = await Flow.CreateAsync(f.Admin, key, Officers(prefix, Crowd));

        var tasks = created["tasks"].Items();
        Assert.Equal(100, tasks.Length);
        Assert.Equal(Crowd, (int)created["tasks_total"]!);
        // In the stage's order, as the seed's callers read tasks[0]; ids canonical (lower case).
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{prefix.ToLowerInvariant()}-{i}"), tasks.Select(t => t.Str("assignee")));
        Assert.All(tasks, t => Assert.Equal("open", t.Str("status")));
        var requestId = created.RequestId();
        Assert.Equal($"/v1/awe/tasks?request_id={requestId}&assignee=*&status=open", created.Str("tasks_url"));

        // The link lists every one of them, written with all their columns.
        var all = (await f.Admin.GetJson(created.Str("tasks_url") + "&page_size=100")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(Crowd, (int)all["total"]!);
        Assert.False((bool)all["total_capped"]!);
        Assert.Equal(Crowd, await CountAsync(requestId,
            "status = 'open' AND kind = 'approver' AND stage_order = 1 AND stage_id IS NOT NULL AND created_at = updated_at AND completed_at IS NULL"));
        var listed = (await f.Admin.GetJson($"/v1/awe/tasks/{tasks[7].Str("id")}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(tasks[7].Str("assignee"), listed.Str("assignee"));
        Assert.Equal(tasks[7].Str("request_id"), listed.Str("request_id"));
        Assert.Equal(Crowd, await f.CountAsync("SELECT jsonb_array_length(payload->'approvers') FROM approval_event WHERE request_id = @r AND event_type = 'stage_started'",
            ("r", requestId)));
    }

    [Fact]
    public async Task A_small_stage_answers_all_its_tasks_and_the_same_count_and_link()
    {
        var users = new[] { Flow.Unique("a"), Flow.Unique("b") };
        var key = await Flow.OneStageAsync(f.Admin, "all", null, users);

        var created = await Flow.CreateAsync(f.Admin, key);

        Assert.Equal(2, created["tasks"].Items().Length);
        Assert.Equal(2, (int)created["tasks_total"]!);
        Assert.EndsWith("&assignee=*&status=open", created.Str("tasks_url"));
    }

    [Fact]
    public async Task A_decision_opening_a_huge_stage_writes_it_and_the_deciding_approval_closes_the_rest_with_their_journal()
    {
        var boss = Flow.Unique("boss");
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "all", null, User(boss)), Stage(2, "any-n", 1, Expression("officers")));
        var created = await Flow.CreateAsync(f.Admin, key, Officers(Flow.Unique("o"), Crowd));
        var requestId = created.RequestId();

        // The boss's approval opens stage 2: a thousand tasks in the decision's transaction.
        (await f.DecideAsync(created.TaskOf(boss), "approve")).Expect(HttpStatusCode.Created);
        Assert.Equal(Crowd, await CountAsync(requestId, "stage_order = 2 AND status = 'open'"));

        var first = (await f.Admin.GetJson($"/v1/awe/tasks?request_id={requestId}&assignee=*&status=open&page_size=1")).Expect(HttpStatusCode.OK).Json["items"]![0]!;
        var decided = await f.DecideAsync(first, "approve");

        decided.Expect(HttpStatusCode.Created);
        Assert.Equal("approved", decided.Json.Str("request_status"));
        Assert.Equal(0, await CountAsync(requestId, "status IN ('open', 'claimed')"));
        Assert.Equal(Crowd - 1, await CountAsync(requestId,
            "stage_order = 2 AND status = 'skipped' AND completed_at IS NOT NULL AND updated_at = completed_at AND decision_id IS NULL"));
        Assert.Equal(1, await CountAsync(requestId, "stage_order = 2 AND status = 'completed' AND decision_id IS NOT NULL"));
        // The journal names every task the quorum closed, and exactly those.
        var skipped = await f.EventAsync(requestId, "stage_quorum_skipped");
        var journaled = skipped["task_ids"].Items().Select(n => (string)n!).Order().ToArray();
        await using var conn = new Npgsql.NpgsqlConnection(f.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT id FROM approval_task WHERE request_id = @r AND status = 'skipped' ORDER BY id", conn);
        cmd.Parameters.AddWithValue("r", requestId);
        var rows = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        Assert.Equal(rows.Order(StringComparer.Ordinal), journaled.Order(StringComparer.Ordinal));
        Assert.Equal(["request_created", "stage_started", "task_decided", "stage_completed", "stage_started", "task_decided",
            "stage_quorum_skipped", "stage_completed", "request_approved"], await f.EventTypesAsync(requestId));
    }

    [Fact]
    public async Task Two_approvals_racing_on_a_huge_stage_decide_it_once()
    {
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "any-n", 1, Expression("officers")));
        var created = await Flow.CreateAsync(f.Admin, key, Officers(Flow.Unique("o"), Crowd));
        var requestId = created.RequestId();
        var (a, b) = (created["tasks"]![0]!, created["tasks"]![1]!);

        var replies = await Task.WhenAll(f.DecideAsync(a, "approve"), f.DecideAsync(b, "approve"));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], replies.Select(r => r.Status).Order());
        Assert.Equal("approved", await f.StatusOf(requestId));
        Assert.Equal(1, await CountAsync(requestId, "status = 'completed'"));
        Assert.Equal(Crowd - 1, await CountAsync(requestId, "status = 'skipped'"));
        Assert.Single(await f.EventTypesAsync(requestId), t => t == "stage_completed");
    }

    [Fact]
    public async Task A_replayed_huge_create_answers_the_same_lean_answer_and_writes_nothing_more()
    {
        var key = await Flow.PolicyAsync(f.Admin, Stage(1, "any-n", 1, Expression("officers")));
        var body = Flow.RequestBody(key, Officers(Flow.Unique("o"), Crowd));
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = Flow.Unique("key") };

        var first = (await f.Admin.PostJson("/v1/awe/requests", body, headers)).Expect(HttpStatusCode.Created).Json;
        var again = (await f.Admin.PostJson("/v1/awe/requests", body, headers)).Expect(HttpStatusCode.Created).Json;

        Assert.True(JsonNode.DeepEquals(first, again));
        Assert.Equal(Crowd, await f.CountAsync("SELECT count(*) FROM approval_task t JOIN approval_request r ON r.id = t.request_id WHERE r.policy_key = @k",
            ("k", key)));
    }
}

/// <summary>The same on the embedded SQLite store: EF inserts the tasks, one UPDATE closes them.</summary>
public sealed class SqliteHugeStageTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"awe-huge-{Guid.NewGuid():N}.db");
    private AweApp _app = null!;

    public Task InitializeAsync()
    {
        _app = new AweApp($"Data Source={_file}");
        _ = _app.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(_file + suffix);
    }

    [Fact]
    public async Task A_huge_stage_opens_and_closes_on_sqlite_with_every_task_accounted_for()
    {
        var admin = _app.ClientFor(Tokens.Admin);
        var key = await CreateActiveAsync(admin, Policy(Flow.Unique("pol"), Stage(1, "any-n", 1, HugeStageTests.Expression("officers"))));
        var created = await Flow.CreateAsync(admin, key, HugeStageTests.Officers(Flow.Unique("o"), 1000));
        Assert.Equal(1000, (int)created["tasks_total"]!);
        var task = created["tasks"]![3]!;

        var decided = await _app.ClientFor(Tokens.User(task.Str("assignee"))).PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", Flow.Decision("approve"));

        Assert.Equal("approved", decided.Expect(HttpStatusCode.Created).Json.Str("request_status"));
        await using var connection = new SqliteConnection($"Data Source={_file};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT status, count(*), count(completed_at) FROM approval_task WHERE request_id = $r GROUP BY status ORDER BY status";
        cmd.Parameters.AddWithValue("$r", created.RequestId());
        var counts = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) counts.Add($"{reader.GetString(0)}:{reader.GetInt64(1)}:{reader.GetInt64(2)}");
        Assert.Equal(["completed:1:1", "skipped:999:999"], counts);
        var events = (await admin.GetJson($"/v1/awe/requests/{created.RequestId()}/events")).Expect(HttpStatusCode.OK).Json.Items();
        Assert.Equal(999, Assert.Single(events, e => e.Str("event_type") == "stage_quorum_skipped")["payload"]!["task_ids"]!.AsArray().Count);
    }
}
