using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Deadlines;
using Awe.Host.Tests.Deadlines;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;
using static Awe.Host.Tests.Requests.Flow;

namespace Awe.Host.Tests.Concurrency;

using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// Deadlines under concurrency: a decision racing its stage's deadline, two replicas on one database, a replica
/// killed between arming a timer and firing it, and the embedded SQLite store.
/// </summary>
public sealed class TimerConcurrencyTests(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Log(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");

    private static JsonObject AutoRejectPolicy(string key, string sla, params string[] approvers)
    {
        var stage = DeadlineKit.SlaStage(1, "any-n", 1, sla, "auto_reject", approvers);
        return Policies.Policy(key, stage);
    }

    [Fact]
    public async Task A_decision_racing_the_deadline_has_exactly_one_outcome()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AweApp(db.ConnectionString, DeadlineKit.FastScheduler);
        var admin = app.ClientFor(Tokens.Admin);
        var scheduler = app.Services.GetRequiredService<TimerScheduler>();
        var key = await Policies.CreateActiveAsync(admin, AutoRejectPolicy("race.sla", "PT2S", "racer"));
        var racer = app.ClientFor(Tokens.User("racer"));

        var created = new List<JsonNode>();
        for (var i = 0; i < 20; i++) created.Add(await Policies.RequestAsync(admin, key, artifactId: $"r-{i}"));
        // Each approver decides close to their deadline, some just before it and some just after, while the scheduler
        // fires from its own loop and from here: the two changes meet on the request lock in both orders.
        var decisions = created.Select((c, i) => DecideAround(racer, c["tasks"]![0]!, TimeSpan.FromMilliseconds((i % 7 - 3) * 40))).ToList();
        var ticks = Enumerable.Range(0, 4).Select(async t =>
        {
            await Wait.PassedAsync(created.Select(c => DateTime.Parse(c["tasks"]![0]!.Str("due_at")).ToUniversalTime()).Min(), "first deadline");
            await scheduler.TickAsync(CancellationToken.None);
        }).ToList();
        var replies = await Task.WhenAll(decisions);
        await Task.WhenAll(ticks);

        var (won, lost) = (0, 0);
        for (var i = 0; i < created.Count; i++)
        {
            var id = created[i].RequestId();
            var request = await Wait.UntilAsync(() => admin.GetJson($"/v1/awe/requests/{id}"), r => (string?)r.Json["status"] is "approved" or "rejected",
                $"request {i} ends", describe: r => r.Raw);
            var events = (await admin.GetJson($"/v1/awe/requests/{id}/events")).Json.Items().Select(e => e.Str("event_type")).ToList();
            var decided = await CountAsync(db.ConnectionString, "SELECT count(*) FROM approval_decision WHERE request_id = @r", id);
            Assert.Equal(1, decided); // one vote on the one task, whoever cast it
            Assert.Equal(1, events.Count(e => e is "request_approved" or "request_rejected"));
            if (replies[i].Status == HttpStatusCode.Created)
            {
                won++;
                Assert.Equal("approved", (string?)request.Json["status"]);
                Assert.DoesNotContain("sla_breached", events);
                Assert.Equal(1, await CountAsync(db.ConnectionString, "SELECT count(*) FROM approval_timer WHERE request_id = @r AND state = 'cancelled'", id));
            }
            else
            {
                lost++;
                Assert.Equal(HttpStatusCode.Conflict, replies[i].Status);
                Assert.Equal("rejected", (string?)request.Json["status"]);
                Assert.Single(events, e => e == "sla_breached");
                Assert.Equal(1, await CountAsync(db.ConnectionString, "SELECT count(*) FROM approval_timer WHERE request_id = @r AND state = 'fired'", id));
            }
        }
        Log($"decision first: {won}, deadline first: {lost}");
        Assert.Equal(created.Count, won + lost);
    }

    private static async Task<Reply> DecideAround(HttpClient client, JsonNode task, TimeSpan offset)
    {
        var at = DateTime.Parse(task.Str("due_at")).ToUniversalTime() + offset;
        var wait = at - DateTime.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait); // aiming at a moment, not waiting for a condition
        return await client.PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", Decision("approve"));
    }

    [Fact]
    public async Task Two_host_processes_on_one_database_fire_each_timer_once()
    {
        await using var db = await TestDatabase.CreateAsync();
        var settings = new Dictionary<string, string?>(DeadlineKit.FastScheduler) { ["awe:sla:batch_size"] = "3" };
        await using var a = await HostProcess.StartAsync(db.ConnectionString, settings);
        await using var b = await HostProcess.StartAsync(db.ConnectionString, settings);
        Log("two hosts up");
        var key = await Policies.CreateActiveAsync(a.ClientFor(Tokens.Admin), AutoRejectPolicy("two.hosts", "PT3S", "nobody"));
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
            ids.Add((await Policies.RequestAsync((i % 2 == 0 ? a : b).ClientFor(Tokens.Admin), key, artifactId: $"t-{i}")).RequestId());
        Log("30 requests with a 3 s deadline");

        var admin = b.ClientFor(Tokens.Admin);
        foreach (var id in ids)
            await Wait.UntilAsync(() => admin.GetJson($"/v1/awe/requests/{id}"), r => (string?)r.Json["status"] == "rejected", $"{id} rejected at its deadline",
                describe: r => r.Raw);
        Log("all rejected");

        foreach (var id in ids)
        {
            var events = (await admin.GetJson($"/v1/awe/requests/{id}/events")).Json.Items().Select(e => e.Str("event_type")).ToList();
            Assert.Single(events, e => e == "sla_breached");
            Assert.Single(events, e => e == "request_rejected");
            Assert.Equal(1, await CountAsync(db.ConnectionString, "SELECT count(*) FROM approval_decision WHERE request_id = @r AND actor = 'sla-monitor'", id));
        }
        Assert.Equal(30, await CountAsync(db.ConnectionString, "SELECT count(*) FROM approval_timer WHERE state = 'fired'"));
        Assert.Equal(0, await CountAsync(db.ConnectionString, "SELECT count(*) FROM approval_timer WHERE state = 'pending'"));
        // lease_owner of a fired timer names the replica that fired it ({machine}-{pid}-{random}).
        var firedBy = await OwnersAsync(db.ConnectionString);
        Log($"fired by: {string.Join(", ", firedBy.Select(o => $"{o.Key} × {o.Value}"))}");
        Assert.All(firedBy.Keys, o => Assert.True(o.Contains($"-{a.Id}-") || o.Contains($"-{b.Id}-"), o));
    }

    [Fact]
    public async Task A_timer_armed_by_a_killed_host_fires_after_a_restart()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var doomed = await HostProcess.StartAsync(db.ConnectionString, DeadlineKit.FastScheduler);
        var admin = doomed.ClientFor(Tokens.Admin);
        var key = await Policies.CreateActiveAsync(admin, AutoRejectPolicy("restart.sla", "PT4S", "nobody"));
        var created = await Policies.RequestAsync(admin, key);
        var due = DateTime.Parse(created["tasks"]![0]!.Str("due_at")).ToUniversalTime();
        await doomed.KillAsync();
        Assert.True(DateTime.UtcNow < due, "the host must die before the deadline, or the test proves nothing");
        Log("killed before the deadline");
        Assert.Equal(1, await CountAsync(db.ConnectionString, "SELECT count(*) FROM approval_timer WHERE state = 'pending'"));

        await using var restarted = await HostProcess.StartAsync(db.ConnectionString, DeadlineKit.FastScheduler);
        var id = created.RequestId();
        var request = await Wait.UntilAsync(() => restarted.ClientFor(Tokens.Admin).GetJson($"/v1/awe/requests/{id}"),
            r => (string?)r.Json["status"] == "rejected", "rejected by the restarted host", describe: r => r.Raw);
        Log("rejected after the restart");
        Assert.True(DateTime.Parse(request.Json.Str("completed_at")).ToUniversalTime() >= due.AddMilliseconds(-1));
        Assert.Contains($"-{restarted.Id}-", Assert.Single((await OwnersAsync(db.ConnectionString)).Keys));
    }

    [Fact]
    public async Task On_the_embedded_SQLite_store_a_deadline_fires_the_same_way()
    {
        var file = Path.Combine(Path.GetTempPath(), $"awe-timer-{Guid.NewGuid():N}.db");
        try
        {
            await using (var app = new AweApp($"Data Source={file}", DeadlineKit.FastScheduler))
            {
                var admin = app.ClientFor(Tokens.Admin);
                var key = await Policies.CreateActiveAsync(admin, AutoRejectPolicy("sqlite.sla", "PT2S", "nobody"));
                var id = (await Policies.RequestAsync(admin, key)).RequestId();
                var ended = await Wait.UntilAsync(() => admin.GetJson($"/v1/awe/requests/{id}"), r => (string?)r.Json["status"] == "rejected",
                    "rejected at the deadline on SQLite", describe: r => r.Raw);
                var events = (await admin.GetJson($"/v1/awe/requests/{id}/events")).Json.Items().Select(e => e.Str("event_type")).ToList();
                Assert.Single(events, e => e == "sla_breached");
                Assert.Empty((await admin.GetJson($"/v1/awe/requests/{id}")).Json["pending_timers"].Items());
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
        }
    }

    private static async Task<long> CountAsync(string connectionString, string sql, string? requestId = null)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        if (requestId is not null) cmd.Parameters.AddWithValue("r", requestId);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    private static async Task<Dictionary<string, long>> OwnersAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT lease_owner, count(*) FROM approval_timer WHERE state = 'fired' GROUP BY lease_owner", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var owners = new Dictionary<string, long>();
        while (await reader.ReadAsync()) owners[reader.GetString(0)] = reader.GetInt64(1);
        return owners;
    }
}
