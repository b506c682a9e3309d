using System.Data.Common;
using System.Net;
using System.Text.Json.Nodes;

namespace Awe.Host.Tests.Concurrency;

/// <summary>
/// One request as the database holds it (read with plain SQL, not through the host), with the invariants that
/// must hold however many callers raced on it: a gapless journal, one terminal event written last, one decision
/// per task, one task_decided event per decision, one start and one end per stage.
/// </summary>
public sealed class Journal
{
    public sealed record RequestRow(string Status, int LastEventSeq, int CurrentStageOrder);
    public sealed record TaskRow(string Id, string Assignee, int StageOrder, string Kind, string Status, string? DecisionId, string? ReassignedFrom);
    public sealed record DecisionRow(string Id, string TaskId, string Actor, string Action, int StageOrder);
    public sealed record EventRow(int Seq, string Type, JsonObject Payload)
    {
        public int? StageOrder => (int?)Payload["stage_order"];
        public string? Str(string key) => Payload[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
    }

    private static readonly Dictionary<string, string> TerminalEvent = new()
    {
        ["approved"] = "request_approved", ["rejected"] = "request_rejected", ["cancelled"] = "request_cancelled",
    };

    public required RequestRow Request { get; init; }
    public required IReadOnlyList<TaskRow> Tasks { get; init; }
    public required IReadOnlyList<DecisionRow> Decisions { get; init; }
    public required IReadOnlyList<EventRow> Events { get; init; }

    public IEnumerable<EventRow> OfType(string type) => Events.Where(e => e.Type == type);
    public EventRow? Terminal => Events.SingleOrDefault(e => TerminalEvent.ContainsValue(e.Type));

    public static async Task<Journal> LoadAsync(DbConnection connection, string requestId)
    {
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync();
        async Task<List<T>> Query<T>(string sql, Func<DbDataReader, T> map)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            var p = cmd.CreateParameter();
            p.ParameterName = "@id";
            p.Value = requestId;
            cmd.Parameters.Add(p);
            await using var reader = await cmd.ExecuteReaderAsync();
            var rows = new List<T>();
            while (await reader.ReadAsync()) rows.Add(map(reader));
            return rows;
        }
        string? Nullable(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

        var request = await Query("SELECT status, last_event_seq, current_stage_order FROM approval_request WHERE id = @id",
            r => new RequestRow(r.GetString(0), r.GetInt32(1), r.GetInt32(2)));
        var tasks = await Query("SELECT id, assignee, stage_order, kind, status, decision_id, reassigned_from FROM approval_task WHERE request_id = @id",
            r => new TaskRow(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), Nullable(r, 5), Nullable(r, 6)));
        var decisions = await Query("SELECT id, task_id, actor, action, stage_order FROM approval_decision WHERE request_id = @id",
            r => new DecisionRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4)));
        // payload is jsonb on PostgreSQL and TEXT on SQLite; both read back as JSON text.
        var events = await Query("SELECT seq, event_type, payload FROM approval_event WHERE request_id = @id ORDER BY seq",
            r => new EventRow(r.GetInt32(0), r.GetString(1), JsonNode.Parse(r.GetValue(2).ToString()!)!.AsObject()));
        return new Journal { Request = Assert.Single(request), Tasks = tasks, Decisions = decisions, Events = events };
    }

    /// <summary>The invariants no interleaving of callers may break.</summary>
    public void AssertConsistent()
    {
        // The journal: seq 1..n, unique and gapless, and the request's counter is its last value.
        Assert.Equal(Enumerable.Range(1, Events.Count), Events.Select(e => e.Seq));
        Assert.Equal(Events.Count, Request.LastEventSeq);

        // At most one terminal event, matching the status, and nothing was journalled after it.
        var terminals = Events.Where(e => TerminalEvent.ContainsValue(e.Type)).ToList();
        if (TerminalEvent.TryGetValue(Request.Status, out var expected))
        {
            var terminal = Assert.Single(terminals);
            Assert.Equal(expected, terminal.Type);
            Assert.Equal(Events[^1].Seq, terminal.Seq);
            Assert.DoesNotContain(Tasks, t => t.Status is "open" or "claimed");
        }
        else
            Assert.Empty(terminals);

        // One decision per task, linked both ways, and each decision journalled exactly once (so every decision row
        // was written before the terminal event, which is the last one).
        Assert.Equal(Decisions.Count, Decisions.Select(d => d.TaskId).Distinct().Count());
        foreach (var d in Decisions)
        {
            var task = Assert.Single(Tasks, t => t.Id == d.TaskId);
            Assert.Equal("completed", task.Status);
            Assert.Equal(d.Id, task.DecisionId);
            Assert.Equal(task.StageOrder, d.StageOrder);
        }
        Assert.All(Tasks.Where(t => t.Status == "completed"), t => Assert.Contains(Decisions, d => d.Id == t.DecisionId));
        Assert.Equal(Decisions.Select(d => d.Id).Order(), OfType("task_decided").Select(e => e.Str("decision_id")).Order());

        // Each stage started at most once and ended at most once; its first tasks are exactly those its one start listed.
        foreach (var stage in Events.Where(e => e.StageOrder is not null && e.Type.StartsWith("stage_")).GroupBy(e => e.StageOrder!.Value))
        {
            var started = stage.Where(e => e.Type == "stage_started").ToList();
            Assert.True(started.Count <= 1, $"stage {stage.Key} started {started.Count} times");
            var completed = stage.Count(e => e.Type == "stage_completed");
            Assert.True(completed <= 1, $"stage {stage.Key} completed {completed} times");
            if (started.Count == 1)
            {
                var listed = started[0].Payload["approvers"]!.AsArray().Concat(started[0].Payload["observers"]!.AsArray())
                    .Select(n => (string)n!).Order();
                Assert.Equal(listed, Tasks.Where(t => t.StageOrder == stage.Key && t.ReassignedFrom is null).Select(t => t.Assignee).Order());
            }
        }
    }

    /// <summary>
    /// Every 201 answer is a stored decision with what was asked; every refused decision left no row on its task.
    /// </summary>
    public void AssertMatches(IEnumerable<Attempt> decisions)
    {
        foreach (var a in decisions)
        {
            if (a.Reply.Status == HttpStatusCode.Created)
            {
                var row = Assert.Single(Decisions, d => d.Id == a.DecisionId);
                Assert.Equal((a.TaskId, a.Actor, a.Action), (row.TaskId, row.Actor, row.Action));
            }
            else
                Assert.DoesNotContain(Decisions, d => d.TaskId == a.TaskId);
        }
    }
}
