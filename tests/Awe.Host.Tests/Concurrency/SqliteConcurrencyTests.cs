using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Awe.Host.Tests.Concurrency;

// Inside the namespace, so it wins over the Awe.Host.Policies namespace.
using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// The embedded default (a SQLite file) under concurrent decisions: slower than PostgreSQL, since SQLite has one
/// writer at a time, but it must be just as correct and must never answer 500 (e.g. SQLITE_BUSY) to a caller.
/// </summary>
public sealed class SqliteConcurrencyTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"awe-conc-{Guid.NewGuid():N}.db");
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
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" }) File.Delete(f);
    }

    [Fact]
    public async Task Ten_simultaneous_decisions_in_all_mode_are_all_counted()
    {
        var users = Enumerable.Range(1, 10).Select(i => $"sq-all-{i:00}").ToArray();
        var key = await Policies.CreateActiveAsync(Admin, Policies.Policy("sq.all", Policies.Stage(1, "all", null, Rules(users))));
        var clients = users.ToDictionary(u => u, u => _app.ClientFor(Tokens.User(u)));

        for (var round = 0; round < 3; round++)
        {
            var (requestId, tasks) = await OpenAsync(key);
            var attempts = await Race.RunAsync(users.Select(u => Decide(clients[u], tasks[u], u)).ToList());
            Assert.All(attempts, a => Assert.True(a.Reply.Status == HttpStatusCode.Created, $"{a.Actor}: {a.Reply.Raw}"));
            Assert.Single(attempts, a => (string?)a.Reply.Json["request_status"] == "approved");

            var j = await JournalAsync(requestId);
            j.AssertConsistent();
            j.AssertMatches(attempts);
            Assert.Equal(("approved", 10), (j.Request.Status, j.Decisions.Count));
            Assert.Single(j.OfType("request_approved"));
        }
    }

    [Fact]
    public async Task Ten_simultaneous_decisions_in_any_n_1_have_one_winner()
    {
        var users = Enumerable.Range(1, 10).Select(i => $"sq-any-{i:00}").ToArray();
        var key = await Policies.CreateActiveAsync(Admin, Policies.Policy("sq.any", Policies.Stage(1, "any-n", 1, Rules(users))));
        var clients = users.ToDictionary(u => u, u => _app.ClientFor(Tokens.User(u)));

        for (var round = 0; round < 3; round++)
        {
            var (requestId, tasks) = await OpenAsync(key);
            var attempts = await Race.RunAsync(users.Select(u => Decide(clients[u], tasks[u], u)).ToList());
            Assert.All(attempts, a => a.AssertWonOrConflict(HttpStatusCode.Created));
            Assert.Single(attempts, a => a.Won);

            var j = await JournalAsync(requestId);
            j.AssertConsistent();
            j.AssertMatches(attempts);
            Assert.Equal("approved", j.Request.Status);
            Assert.Single(j.Decisions);
            Assert.Single(j.OfType("request_approved"));
        }
    }

    [Fact]
    public async Task A_cancel_racing_ten_decisions_gives_one_outcome()
    {
        var users = Enumerable.Range(1, 10).Select(i => $"sq-cx-{i:00}").ToArray();
        var key = await Policies.CreateActiveAsync(Admin, Policies.Policy("sq.cancel", Policies.Stage(1, "all", null, Rules(users))));
        var clients = users.ToDictionary(u => u, u => _app.ClientFor(Tokens.User(u)));
        var admin = Admin;

        for (var round = 0; round < 3; round++)
        {
            var (requestId, tasks) = await OpenAsync(key);
            var calls = users.Select(u => Decide(clients[u], tasks[u], u)).ToList();
            calls.Insert(round * 5, async () => new Attempt("", "admin", "cancel", await admin.PostJson($"/v1/awe/requests/{requestId}/cancel")));
            var attempts = await Race.RunAsync(calls);
            var cancel = Assert.Single(attempts, a => a.Action == "cancel");
            cancel.AssertWonOrConflict(HttpStatusCode.OK);
            var decisions = attempts.Where(a => a != cancel).ToList();
            Assert.All(decisions, a => a.AssertWonOrConflict(HttpStatusCode.Created));

            var j = await JournalAsync(requestId);
            j.AssertConsistent();
            j.AssertMatches(decisions);
            Assert.Equal(cancel.Won ? "cancelled" : "approved", j.Request.Status);
            Assert.Equal(decisions.Count(a => a.Won), j.Decisions.Count);
        }
    }

    private HttpClient Admin => _app.ClientFor(Tokens.Admin);

    private static JsonObject[] Rules(IEnumerable<string> users) => users.Select(u => Policies.User(u)).ToArray();

    private async Task<(string RequestId, Dictionary<string, string> TaskOf)> OpenAsync(string key)
    {
        var created = await Policies.RequestAsync(Admin, key);
        return ((string)created["request_id"]!, created["tasks"]!.AsArray().ToDictionary(t => (string)t!["assignee"]!, t => (string)t!["id"]!));
    }

    private static Func<Task<Attempt>> Decide(HttpClient client, string taskId, string actor) =>
        async () => new Attempt(taskId, actor, "approve",
            await client.PostJson($"/v1/awe/tasks/{taskId}/decision", new JsonObject { ["action"] = "approve" }));

    private async Task<Journal> JournalAsync(string requestId)
    {
        await using var connection = new SqliteConnection($"Data Source={_file};Mode=ReadOnly");
        return await Journal.LoadAsync(connection, requestId);
    }
}
