using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Concurrency;
using Awe.Host.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Faults;

/// <summary>
/// Two host processes on one database under a mixed load — creates, approvals, rejections, reassignments and cancels,
/// sent to either host at random and all at once. Afterwards every request has exactly one terminal event, its journal
/// agrees with its task and decision rows, and every answer agrees with the rows.
/// </summary>
public sealed class TwoHostsMixedLoadTests(ITestOutputHelper output)
{
    private static readonly string[] Approvers = ["m-ann", "m-bob", "m-cy"];
    private const string Closer = "m-dan";

    private sealed record Op(string Kind, string RequestId, string? TaskId, string? Actor, Reply Reply);

    [Fact]
    public async Task Every_request_ends_once_and_its_journal_matches_its_rows()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var a = await HostProcess.StartAsync(db.ConnectionString);
        await using var b = await HostProcess.StartAsync(db.ConnectionString);
        HostProcess[] hosts = [a, b];
        var clients = new ConcurrentDictionary<(int, string), HttpClient>();
        HttpClient Client(int host, string token) => clients.GetOrAdd((host, token), k => hosts[k.Item1].ClientFor(k.Item2));
        var admin = Client(0, Tokens.Admin);
        var key = await TestPolicies.CreateActiveAsync(admin, TestPolicies.Policy("mixed.two.hosts",
            TestPolicies.Stage(1, "all", null, Approvers.Select(u => TestPolicies.User(u)).ToArray()),
            TestPolicies.Stage(2, "any-n", 1, TestPolicies.User(Closer))));

        var random = new Random(1107);
        var ops = new ConcurrentBag<Op>();
        var requestIds = new ConcurrentBag<string>();

        // One request's life, its steps racing each other and the other requests': created on one host, then its three
        // first-stage tasks decided (mostly approve, sometimes reject), perhaps one reassigned, perhaps a cancel.
        async Task LifeAsync(int n, int seed)
        {
            var rnd = new Random(seed);
            var created = await Client(n % 2, Tokens.Admin).PostJson("/v1/awe/requests", new JsonObject
            {
                ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = $"mixed-{n}", ["context"] = new JsonObject(),
            });
            var id = (string)created.Expect(HttpStatusCode.Created).Json["request_id"]!;
            requestIds.Add(id);
            var steps = new List<Func<Task<Op>>>();
            foreach (var task in created.Json["tasks"]!.AsArray())
            {
                var (taskId, actor) = ((string)task!["id"]!, (string)task["assignee"]!);
                var (action, via) = (rnd.Next(10) == 0 ? "reject" : "approve", rnd.Next(2));
                steps.Add(async () => new Op(action, id, taskId, actor,
                    await Client(via, Tokens.User(actor)).PostJson($"/v1/awe/tasks/{taskId}/decision", new JsonObject { ["action"] = action })));
                if (rnd.Next(6) == 0)
                {
                    var reassignVia = rnd.Next(2);
                    steps.Add(async () => new Op("reassign", id, taskId, actor, await Client(reassignVia, Tokens.Admin)
                        .PostJson($"/v1/awe/tasks/{taskId}/reassign", new JsonObject { ["new_assignee"] = $"{actor}-cover-{n}", ["reason"] = "load" })));
                }
            }
            if (rnd.Next(4) == 0)
            {
                var cancelVia = rnd.Next(2);
                steps.Add(async () => new Op("cancel", id, null, null, await Client(cancelVia, Tokens.Admin)
                    .PostJson($"/v1/awe/requests/{id}/cancel", new JsonObject { ["reason"] = "load" })));
            }
            var order = steps.Select(_ => rnd.Next()).ToArray();
            foreach (var op in await Task.WhenAll(steps.Select((s, i) => (s, order[i])).OrderBy(x => x.Item2).Select(x => Task.Run(x.s)))) ops.Add(op);
        }
        await Task.WhenAll(Enumerable.Range(0, 30).Select(n => LifeAsync(n, random.Next())));

        // Every answer is a success or a clean 409 AWE-007 (the race was lost), never anything else.
        Assert.All(ops, op => Assert.True(op.Reply.Status is HttpStatusCode.Created or HttpStatusCode.OK
            || (op.Reply.Status == HttpStatusCode.Conflict && op.Reply.ErrorCode == "AWE-007"), $"{op.Kind} {op.TaskId}: {(int)op.Reply.Status} {op.Reply.Raw}"));

        // Drive what is still open to an end, through either host: reassigned tasks' newcomers and the second stage approve.
        foreach (var id in requestIds)
        {
            for (var round = 0; round < 3; round++)
            {
                var j = await JournalAsync(db, id);
                var open = j.Tasks.Where(t => t.Status is "open" or "claimed").ToList();
                if (j.Request.Status != "in_review" || open.Count == 0) break;
                foreach (var t in open)
                    (await Client(round % 2, Tokens.User(t.Assignee)).PostJson($"/v1/awe/tasks/{t.Id}/decision", new JsonObject { ["action"] = "approve" }))
                        .Expect(HttpStatusCode.Created);
            }
        }

        var statuses = new Dictionary<string, int>();
        foreach (var id in requestIds)
        {
            var j = await JournalAsync(db, id);
            j.AssertConsistent();
            // Exactly one terminal event, the journal's last.
            Assert.NotNull(j.Terminal);
            statuses[j.Request.Status] = statuses.GetValueOrDefault(j.Request.Status) + 1;
            // Every decision answered 201 is a row as answered; a refused one left none on its task.
            j.AssertMatches(ops.Where(o => o.RequestId == id && o.Kind is "approve" or "reject")
                .Select(o => new Attempt(o.TaskId!, o.Actor!, o.Kind, o.Reply)));
            // Reassignments: each 200 replaced its task once, and the journal says so once per replaced task.
            var reassigned = ops.Where(o => o.RequestId == id && o.Kind == "reassign" && o.Reply.Status == HttpStatusCode.OK).ToList();
            Assert.Equal(reassigned.Select(o => o.TaskId).Order(), j.Tasks.Where(t => t.Status == "reassigned").Select(t => t.Id).Order());
            Assert.Equal(reassigned.Count, j.OfType("task_reassigned").Count());
            // A cancel that answered 200 is the request's end; one refused came after another end.
            var cancel = ops.SingleOrDefault(o => o.RequestId == id && o.Kind == "cancel");
            if (cancel is not null)
                Assert.Equal(cancel.Reply.Status == HttpStatusCode.OK, j.Request.Status == "cancelled");
            // Any reject that won vetoed the stage: the request was rejected by it unless a cancel came first.
            if (j.Decisions.Any(d => d.Action == "reject")) Assert.Equal("rejected", j.Request.Status);
        }
        output.WriteLine(string.Join(", ", statuses.Select(s => $"{s.Value} {s.Key}")) + $"; {ops.Count} racing calls");
        Assert.Equal(30, requestIds.Count);
        Assert.All(hosts, h => Assert.DoesNotContain("Unhandled error", h.Output));
        foreach (var c in clients.Values) c.Dispose();
    }

    private static async Task<Journal> JournalAsync(TestDatabase db, string requestId)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        return await Journal.LoadAsync(connection, requestId);
    }
}
