using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Npgsql;

namespace Awe.Host.Tests.Concurrency;

// Inside the namespace, so it wins over the Awe.Host.Policies namespace.
using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// Requests created at the same moment on PostgreSQL: retries carrying one Idempotency-Key must create one request
/// however they interleave, and simultaneous requests under one policy (sharing its cached compiled definition)
/// must each run their own instance.
/// </summary>
public sealed class CreationRaceTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    [Fact]
    public async Task One_idempotency_key_sent_10_times_at_once_creates_one_request()
    {
        var key = await Policies.CreateActiveAsync(fx.Admin, Policies.Policy("idem.same", Policies.Stage(1, "any-n", 1, Policies.User("id-a"))));
        var clients = Enumerable.Range(0, 10).Select(_ => fx.App.ClientFor(Tokens.Service("svc-idem", "AWE_ADMIN"))).ToList();

        for (var round = 0; round < 3; round++)
        {
            var artifact = $"idem-same-{round}";
            var body = Body(key, artifact, amount: 10);
            var header = new Dictionary<string, string> { ["Idempotency-Key"] = $"key-same-{round}" };
            var replies = await Race.RunAsync(clients.Select(c => (Func<Task<Reply>>)(() => c.PostJson("/v1/awe/requests", body, header))).ToList());

            Assert.All(replies, r => Assert.True(r.Status == HttpStatusCode.Created, r.Raw));
            var ids = replies.Select(r => (string)r.Json["request_id"]!).Distinct().ToList();
            Assert.Single(ids);
            // Everyone got the first call's tasks, not tasks of a request that was rolled back.
            Assert.Single(replies.Select(r => (string)r.Json["tasks"]![0]!["id"]!).Distinct());
            Assert.Equal(1, await CountAsync("SELECT count(*) FROM approval_request WHERE artifact_id = @a", artifact));
            Assert.Equal(1, await CountAsync("SELECT count(*) FROM approval_task t JOIN approval_request r ON r.id = t.request_id WHERE r.artifact_id = @a", artifact));
            (await JournalAsync(ids[0])).AssertConsistent();
        }
    }

    [Fact]
    public async Task One_idempotency_key_with_two_bodies_at_once_lets_one_body_through()
    {
        var key = await Policies.CreateActiveAsync(fx.Admin, Policies.Policy("idem.mixed", Policies.Stage(1, "any-n", 1, Policies.User("id-b"))));
        var clients = Enumerable.Range(0, 10).Select(_ => fx.App.ClientFor(Tokens.Service("svc-idem", "AWE_ADMIN"))).ToList();

        for (var round = 0; round < 3; round++)
        {
            var artifact = $"idem-mixed-{round}";
            var header = new Dictionary<string, string> { ["Idempotency-Key"] = $"key-mixed-{round}" };
            // Same artifact, a different amount: the same key reused for a different request.
            var calls = clients.Select((c, i) => (Amount: i % 2 == 0 ? 10 : 20, Client: c)).ToList();
            var replies = await Race.RunAsync(calls
                .Select(x => (Func<Task<(int Amount, Reply Reply)>>)(async () => (x.Amount, await x.Client.PostJson("/v1/awe/requests", Body(key, artifact, x.Amount), header))))
                .ToList());

            var created = replies.Where(r => r.Reply.Status == HttpStatusCode.Created).ToList();
            var refused = replies.Where(r => r.Reply.Status != HttpStatusCode.Created).ToList();
            Assert.All(refused, r => Assert.True(r.Reply.Status == HttpStatusCode.Conflict && r.Reply.ErrorCode == "AWE-009", r.Reply.Raw));
            // All calls with the winning body got the one request; all calls with the other body were refused.
            var winner = Assert.Single(created.Select(r => r.Amount).Distinct());
            Assert.Equal(5, created.Count);
            Assert.All(refused, r => Assert.NotEqual(winner, r.Amount));
            Assert.Single(created.Select(r => (string)r.Reply.Json["request_id"]!).Distinct());
            Assert.Equal(1, await CountAsync("SELECT count(*) FROM approval_request WHERE artifact_id = @a", artifact));
        }
    }

    [Fact]
    public async Task Twenty_requests_created_at_once_under_one_policy_each_run_their_own_instance()
    {
        // Stage 1 is skipped for "fast" requests; stage 2's approver comes from each request's own context.
        var skipIf = JsonNode.Parse("""{"==": [{"var": "fast"}, true]}""")!;
        var stage1 = Policies.Stage(1, "any-n", 1, Policies.User("cr-first"));
        stage1["skip_if"] = skipIf;
        var stage2 = Policies.Stage(2, "any-n", 1, new JsonObject
        {
            ["rule_type"] = "expression", ["rule_value"] = new JsonObject { ["logic"] = JsonNode.Parse("""{"var": "approver"}""") },
            ["kind"] = "approver", ["required"] = false,
        });
        var key = await Policies.CreateActiveAsync(fx.Admin, Policies.Policy("cr.many", stage1, stage2));

        var replies = await Race.RunAsync(Enumerable.Range(0, 20).Select(i => (Func<Task<Reply>>)(() =>
            fx.Admin.PostJson("/v1/awe/requests", new JsonObject
            {
                ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = $"many-{i}",
                ["context"] = new JsonObject { ["fast"] = i % 2 == 0, ["approver"] = $"cr-second-{i}" },
            }))).ToList());

        for (var i = 0; i < replies.Length; i++)
        {
            var reply = replies[i].Expect(HttpStatusCode.Created).Json;
            var task = Assert.Single(reply["tasks"]!.AsArray())!;
            var fast = i % 2 == 0;
            Assert.Equal(fast ? 2 : 1, (int)reply["current_stage_order"]!);
            Assert.Equal(fast ? $"cr-second-{i}" : "cr-first", (string?)task["assignee"]);
            var j = await JournalAsync((string)reply["request_id"]!);
            j.AssertConsistent();
            Assert.Equal(fast ? 1 : 0, j.OfType("stage_skipped").Count());
        }
    }

    private static JsonObject Body(string key, string artifact, int amount) => new()
    {
        ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = artifact, ["context"] = new JsonObject { ["amount"] = amount },
    };

    private async Task<long> CountAsync(string sql, string artifact)
    {
        await using var connection = new NpgsqlConnection(fx.Database.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        cmd.Parameters.AddWithValue("a", artifact);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<Journal> JournalAsync(string requestId)
    {
        await using var connection = new NpgsqlConnection(fx.Database.ConnectionString);
        return await Journal.LoadAsync(connection, requestId);
    }
}
