using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Npgsql;

namespace Awe.Host.Tests.Concurrency;

// Inside the namespace, so it wins over the Awe.Host.Policies namespace.
using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// Decisions, cancels, reassignments and claims racing on one request, on real PostgreSQL. Each race is run for
/// several rounds on fresh requests, so a lost update or a double transition has many chances to show. After every
/// round the request is read back with plain SQL and checked against <see cref="Journal.AssertConsistent"/>, and
/// every HTTP answer is checked against the rows it claims to have written.
/// </summary>
public sealed class DecisionRaceTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private const int Rounds = 3;

    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();

    // ---- 1. any-n 1: one winner ------------------------------------------------------------------------

    [Fact]
    public async Task Any_n_1_with_25_simultaneous_approvals_is_won_by_exactly_one()
    {
        var users = Users("anyn", 25);
        var key = await PolicyAsync("conc.anyn1", Policies.Stage(1, "any-n", 1, Rules(users)));

        for (var round = 0; round < Rounds; round++)
        {
            var request = await OpenAsync(key);
            var attempts = await Race.RunAsync(users.Select(u => Decide(Client(u), request.TaskOf[u], u)).ToList());
            await AssertSingleWinnerAsync(request, attempts);
        }
    }

    // ---- 2. all: nobody lost ---------------------------------------------------------------------------

    [Fact]
    public async Task All_mode_with_25_simultaneous_approvals_loses_no_decision()
    {
        var users = Users("all", 25);
        var key = await PolicyAsync("conc.all", Policies.Stage(1, "all", null, Rules(users)));

        for (var round = 0; round < Rounds; round++)
        {
            var request = await OpenAsync(key);
            var attempts = await Race.RunAsync(users.Select(u => Decide(Client(u), request.TaskOf[u], u)).ToList());
            await AssertAllCountedAsync(request, attempts);
        }
    }

    // ---- 3. two stages: one hand-over ------------------------------------------------------------------

    [Fact]
    public async Task Storms_on_consecutive_stages_start_the_second_stage_exactly_once()
    {
        var first = Users("ms1", 25);
        var second = Users("ms2", 25);
        var key = await PolicyAsync("conc.multistage",
            Policies.Stage(1, "any-n", 1, Rules(first)), Policies.Stage(2, "all", null, Rules(second)));

        for (var round = 0; round < Rounds; round++)
        {
            var request = await OpenAsync(key);
            var storm1 = await Race.RunAsync(first.Select(u => Decide(Client(u), request.TaskOf[u], u)).ToList());
            Assert.All(storm1, a => a.AssertWonOrConflict(HttpStatusCode.Created));
            var winner = Assert.Single(storm1, a => a.Won);
            Assert.Equal("in_review", (string?)winner.Reply.Json["request_status"]);
            Assert.Equal(2, (int)winner.Reply.Json["current_stage_order"]!);

            var middle = await JournalAsync(request.Id);
            middle.AssertConsistent();
            middle.AssertMatches(storm1);
            Assert.Equal(("in_review", 2), (middle.Request.Status, middle.Request.CurrentStageOrder));
            Assert.Single(middle.OfType("stage_started"), e => e.StageOrder == 2);
            var stage2 = middle.Tasks.Where(t => t.StageOrder == 2).ToList();
            Assert.Equal(second.Order(), stage2.Select(t => t.Assignee).Order()); // 25 tasks, one each
            Assert.All(stage2, t => Assert.Equal("open", t.Status));

            var taskOf = stage2.ToDictionary(t => t.Assignee, t => t.Id);
            var storm2 = await Race.RunAsync(second.Select(u => Decide(Client(u), taskOf[u], u)).ToList());
            Assert.All(storm2, a => Assert.Equal(HttpStatusCode.Created, a.Reply.Status));

            var end = await JournalAsync(request.Id);
            end.AssertConsistent();
            end.AssertMatches(storm1.Concat(storm2));
            Assert.Equal("approved", end.Request.Status);
            Assert.Equal(26, end.Decisions.Count);
            Assert.Equal(new[] { 1, 2 }, end.OfType("stage_started").Select(e => e.StageOrder!.Value));
            Assert.Equal(new[] { 1, 2 }, end.OfType("stage_completed").Select(e => e.StageOrder!.Value));
            Assert.Single(end.OfType("request_approved"));
            await AssertApiAgreesAsync(request.Id, end);
        }
    }

    // ---- 4. cancel racing decisions --------------------------------------------------------------------

    [Fact]
    public async Task Cancel_racing_20_decisions_ends_in_one_outcome_with_nothing_decided_after_it()
    {
        var users = Users("cx", 25);
        var key = await PolicyAsync("conc.cancel", Policies.Stage(1, "all", null, Rules(users)));
        var early = users.Take(5).ToArray();
        var racing = users.Skip(5).ToArray();

        // The cancel leaves at the gate, after half of the decisions answered, and after all but one answered:
        // early it should beat most decisions, late it races the decision that would approve the request.
        int[] cancelAfter = [0, 10, 19];
        for (var round = 0; round < Rounds; round++)
        {
            var request = await OpenAsync(key);
            foreach (var u in early) (await Client(u).PostJson($"/v1/awe/tasks/{request.TaskOf[u]}/decision", Approve)).Expect(HttpStatusCode.Created);

            var answered = 0;
            var cancelGo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (cancelAfter[round] == 0) cancelGo.SetResult();
            var calls = racing.Select(u =>
            {
                var decide = Decide(Client(u), request.TaskOf[u], u);
                return (Func<Task<Attempt>>)(async () =>
                {
                    var attempt = await decide();
                    if (Interlocked.Increment(ref answered) == cancelAfter[round]) cancelGo.TrySetResult();
                    return attempt;
                });
            }).ToList();
            calls.Add(async () =>
            {
                await cancelGo.Task;
                return new Attempt("", "admin", "cancel", await fx.Admin.PostJson($"/v1/awe/requests/{request.Id}/cancel",
                    new JsonObject { ["reason"] = "race" }));
            });

            var attempts = await Race.RunAsync(calls);
            var decisions = attempts.Where(a => a.Action == "approve").ToList();
            var cancel = Assert.Single(attempts, a => a.Action == "cancel");
            Assert.All(decisions, a => a.AssertWonOrConflict(HttpStatusCode.Created));
            cancel.AssertWonOrConflict(HttpStatusCode.OK);

            var j = await JournalAsync(request.Id);
            j.AssertConsistent();
            j.AssertMatches(decisions);
            Assert.Contains(j.Request.Status, new[] { "approved", "cancelled" });
            Assert.Equal(early.Length + decisions.Count(a => a.Won), j.Decisions.Count);
            var terminal = j.Terminal!;
            // No decision was journalled after the terminal event (AssertConsistent also checks it is the last event).
            Assert.All(j.OfType("task_decided"), e => Assert.True(e.Seq < terminal.Seq));

            if (j.Request.Status == "cancelled")
            {
                Assert.True(cancel.Won, cancel.Reply.Raw);
                Assert.Equal("cancelled", (string?)cancel.Reply.Json["status"]);
                Assert.Equal("request_cancelled", terminal.Type);
                Assert.Empty(j.OfType("request_approved"));
                Assert.Empty(j.OfType("stage_completed"));
                // Every refused decision was refused because the request was already cancelled.
                Assert.All(decisions.Where(a => !a.Won), a => Assert.Contains("cancelled", a.Reply.Raw));
                Assert.All(decisions.Where(a => a.Won), a => Assert.Equal("in_review", (string?)a.Reply.Json["request_status"]));
            }
            else
            {
                Assert.False(cancel.Won, cancel.Reply.Raw);
                Assert.Contains("approved", cancel.Reply.Raw);
                Assert.All(decisions, a => Assert.True(a.Won, a.Reply.Raw));
                Assert.Equal("request_approved", terminal.Type);
                Assert.Empty(j.OfType("request_cancelled"));
            }
            await AssertApiAgreesAsync(request.Id, j);
        }
    }

    // ---- 5. a veto racing approvals --------------------------------------------------------------------

    [Theory]
    [InlineData(21)] // every approval is needed: the veto always wins, approvals after it are refused
    [InlineData(20)] // the 20 approvals suffice: whichever of the veto or the 20th approval is first decides
    public async Task A_veto_racing_20_approvals_gives_one_terminal_outcome(int modeValue)
    {
        var users = Users($"veto{modeValue}", 21);
        var key = await PolicyAsync($"conc.veto{modeValue}", Policies.Stage(1, "any-n", modeValue, Rules(users)));

        for (var round = 0; round < Rounds; round++)
        {
            var request = await OpenAsync(key);
            var rejecter = users[(round * 8 + 3) % users.Length];
            var attempts = await Race.RunAsync(users
                .Select(u => Decide(Client(u), request.TaskOf[u], u, u == rejecter ? "reject" : "approve")).ToList());
            Assert.All(attempts, a => a.AssertWonOrConflict(HttpStatusCode.Created));
            var veto = Assert.Single(attempts, a => a.Action == "reject");

            var j = await JournalAsync(request.Id);
            j.AssertConsistent();
            j.AssertMatches(attempts);
            Assert.Single(j.OfType("stage_completed"));
            Assert.Equal(attempts.Count(a => a.Won), j.Decisions.Count);
            if (modeValue == 21) Assert.Equal("rejected", j.Request.Status);

            if (j.Request.Status == "rejected")
            {
                Assert.True(veto.Won, veto.Reply.Raw);
                Assert.Equal("rejected", (string?)veto.Reply.Json["request_status"]);
                var terminal = Assert.Single(j.OfType("request_rejected"));
                Assert.Equal(("vetoed", rejecter), (terminal.Str("reason"), terminal.Str("actor")));
                Assert.Empty(j.OfType("request_approved"));
                // The veto was the last decision taken; every approval after it was refused.
                Assert.Equal(veto.DecisionId, j.OfType("task_decided").Last().Str("decision_id"));
                Assert.All(attempts.Where(a => !a.Won), a => Assert.Contains("rejected", a.Reply.Raw));
            }
            else
            {
                Assert.Equal("approved", j.Request.Status);
                Assert.False(veto.Won, veto.Reply.Raw);
                Assert.Equal(20, attempts.Count(a => a.Won));
                Assert.Single(j.OfType("request_approved"));
                Assert.Empty(j.OfType("request_rejected"));
            }
            await AssertApiAgreesAsync(request.Id, j);
        }
    }

    // ---- 6. two host processes on one database -----------------------------------------------------------

    [Fact]
    public async Task Two_host_processes_on_one_database_serialize_decisions()
    {
        await using var second = await HostProcess.StartAsync(fx.Database.ConnectionString);
        var remote = new Dictionary<string, HttpClient>();
        HttpClient Via(int i, string user) => i % 2 == 0 ? Client(user)
            : remote.TryGetValue(user, out var c) ? c : remote[user] = second.ClientFor(Tokens.User(user));
        try
        {
            var anyUsers = Users("h2any", 24);
            var allUsers = Users("h2all", 24);
            var anyKey = await PolicyAsync("conc.hosts.anyn1", Policies.Stage(1, "any-n", 1, Rules(anyUsers)));
            var allKey = await PolicyAsync("conc.hosts.all", Policies.Stage(1, "all", null, Rules(allUsers)));

            // The policies were written through this host; the other one sees them because they share the database.
            using (var otherAdmin = second.ClientFor(Tokens.Admin))
            {
                var seen = (await otherAdmin.GetJson($"/v1/awe/policies/{anyKey}/versions/1")).Expect(HttpStatusCode.OK).Json;
                Assert.Equal("active", (string?)seen["status"]);
            }

            for (var round = 0; round < 2; round++)
            {
                var request = await OpenAsync(anyKey);
                var attempts = await Race.RunAsync(anyUsers.Select((u, i) => Decide(Via(i, u), request.TaskOf[u], u)).ToList());
                await AssertSingleWinnerAsync(request, attempts, second.Output);

                request = await OpenAsync(allKey);
                attempts = await Race.RunAsync(allUsers.Select((u, i) => Decide(Via(i, u), request.TaskOf[u], u)).ToList());
                await AssertAllCountedAsync(request, attempts, second.Output);
            }
            Assert.DoesNotContain("Unhandled error", second.Output);
        }
        finally
        {
            foreach (var c in remote.Values) c.Dispose();
        }
    }

    // ---- 7. reassign racing a decision on the same task --------------------------------------------------

    [Fact]
    public async Task Reassign_racing_a_decision_on_the_same_task_lets_exactly_one_through()
    {
        var key = await PolicyAsync("conc.reassign", Policies.Stage(1, "all", null, Rules(["ra-a", "ra-b"])));

        for (var round = 0; round < 5; round++)
        {
            var request = await OpenAsync(key);
            var taskId = request.TaskOf["ra-a"];
            var newcomer = $"ra-new-{round}";
            var attempts = await Race.RunAsync<Attempt>(
            [
                Decide(Client("ra-a"), taskId, "ra-a"),
                async () => new Attempt(taskId, "admin", "reassign", await fx.Admin.PostJson($"/v1/awe/tasks/{taskId}/reassign",
                    new JsonObject { ["new_assignee"] = newcomer, ["reason"] = "race" })),
            ]);
            var decision = attempts[0];
            var reassign = attempts[1];
            decision.AssertWonOrConflict(HttpStatusCode.Created);
            reassign.AssertWonOrConflict(HttpStatusCode.OK);
            Assert.True(decision.Won ^ reassign.Won, $"exactly one must win: decision {decision.Reply.Raw} / reassign {reassign.Reply.Raw}");

            var j = await JournalAsync(request.Id);
            j.AssertConsistent();
            j.AssertMatches([decision]);
            Assert.Equal("in_review", j.Request.Status); // ra-b has not decided
            var task = Assert.Single(j.Tasks, t => t.Id == taskId);
            if (decision.Won)
            {
                Assert.Equal("completed", task.Status);
                Assert.DoesNotContain(j.Tasks, t => t.Assignee == newcomer);
                Assert.Empty(j.OfType("task_reassigned"));
                Assert.Contains("completed", reassign.Reply.Raw);
            }
            else
            {
                Assert.Equal("reassigned", task.Status);
                var replacement = Assert.Single(j.Tasks, t => t.Assignee == newcomer);
                Assert.Equal((string?)reassign.Reply.Json["id"], replacement.Id);
                Assert.Equal(("open", "ra-a"), (replacement.Status, replacement.ReassignedFrom));
                Assert.Single(j.OfType("task_reassigned"));
                Assert.Empty(j.OfType("task_decided"));
                Assert.Contains("reassigned", decision.Reply.Raw);
            }
        }
    }

    [Fact]
    public async Task Two_reassignments_to_one_person_on_one_stage_do_not_both_succeed()
    {
        // Both would pass the "already has an open task on this stage" check if each read before the other wrote,
        // giving one person two votes.
        var key = await PolicyAsync("conc.reassign.same", Policies.Stage(1, "all", null, Rules(["rb-a", "rb-b", "rb-c"])));

        for (var round = 0; round < 5; round++)
        {
            var request = await OpenAsync(key);
            var newcomer = $"rb-new-{round}";
            var attempts = await Race.RunAsync(new[] { "rb-a", "rb-b" }.Select(u => (Func<Task<Attempt>>)(async () =>
                new Attempt(request.TaskOf[u], "admin", "reassign", await fx.Admin.PostJson($"/v1/awe/tasks/{request.TaskOf[u]}/reassign",
                    new JsonObject { ["new_assignee"] = newcomer }))))
                .ToList());
            Assert.All(attempts, a => a.AssertWonOrConflict(HttpStatusCode.OK));
            Assert.Single(attempts, a => a.Won);
            Assert.Contains("already has an open task", Assert.Single(attempts, a => !a.Won).Reply.Raw);

            var j = await JournalAsync(request.Id);
            j.AssertConsistent();
            Assert.Single(j.Tasks, t => t.Assignee == newcomer);
            Assert.Single(j.OfType("task_reassigned"));
        }
    }

    // ---- 8. claims racing ----------------------------------------------------------------------------

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public async Task Concurrent_claims_of_one_task_by_its_assignee_let_exactly_one_through(int claims)
    {
        var key = await PolicyAsync($"conc.claim{claims}", Policies.Stage(1, "any-n", 1, Rules(["cl-a", "cl-b"])));

        for (var round = 0; round < Rounds; round++)
        {
            var request = await OpenAsync(key);
            var taskId = request.TaskOf["cl-a"];
            // Separate clients (connections) for the same person, as from two browser tabs.
            var tabs = Enumerable.Range(0, claims).Select(_ => fx.As("cl-a")).ToList();
            var attempts = await Race.RunAsync(tabs.Select(tab => (Func<Task<Attempt>>)(async () =>
                new Attempt(taskId, "cl-a", "claim", await tab.PostJson($"/v1/awe/tasks/{taskId}/claim")))).ToList());
            Assert.All(attempts, a => a.AssertWonOrConflict(HttpStatusCode.OK));
            var won = Assert.Single(attempts, a => a.Won);
            Assert.Equal("claimed", (string?)won.Reply.Json["status"]);
            Assert.All(attempts.Where(a => !a.Won), a => Assert.Contains("claimed", a.Reply.Raw));

            var j = await JournalAsync(request.Id);
            j.AssertConsistent();
            Assert.Equal("claimed", Assert.Single(j.Tasks, t => t.Id == taskId).Status);
            // The claimed task is still live: its assignee can decide it.
            (await tabs[0].PostJson($"/v1/awe/tasks/{taskId}/decision", Approve)).Expect(HttpStatusCode.Created);
            foreach (var tab in tabs) tab.Dispose();
        }
    }

    [Fact]
    public async Task A_decision_submitted_four_times_at_once_is_recorded_once()
    {
        // A double click or a client retry: the same person, the same task, several connections.
        var key = await PolicyAsync("conc.double", Policies.Stage(1, "all", null, Rules(["dd-a", "dd-b"])));

        for (var round = 0; round < Rounds; round++)
        {
            var request = await OpenAsync(key);
            var taskId = request.TaskOf["dd-a"];
            var tabs = Enumerable.Range(0, 4).Select(_ => fx.As("dd-a")).ToList();
            var attempts = await Race.RunAsync(tabs.Select(tab => Decide(tab, taskId, "dd-a")).ToList());
            Assert.All(attempts, a => a.AssertWonOrConflict(HttpStatusCode.Created));
            Assert.Single(attempts, a => a.Won);
            Assert.All(attempts.Where(a => !a.Won), a => Assert.Contains("completed", a.Reply.Raw));

            var j = await JournalAsync(request.Id);
            j.AssertConsistent();
            j.AssertMatches(attempts.Where(a => a.Won));
            Assert.Single(j.Decisions);
            Assert.Equal("in_review", j.Request.Status);
            foreach (var tab in tabs) tab.Dispose();
        }
    }

    // ---- shared assertions ------------------------------------------------------------------------------

    /// <summary>any-n 1: one 201 which approves the request, every other decision 409 with no row.</summary>
    private async Task AssertSingleWinnerAsync(OpenRequest request, Attempt[] attempts, string? context = null)
    {
        Assert.All(attempts, a => a.AssertWonOrConflict(HttpStatusCode.Created));
        var winner = Assert.Single(attempts, a => a.Won);
        Assert.Equal("approved", (string?)winner.Reply.Json["request_status"]);
        Assert.All(attempts.Where(a => !a.Won), a => Assert.Contains("approved", a.Reply.Raw));

        var j = await JournalAsync(request.Id);
        j.AssertConsistent();
        j.AssertMatches(attempts);
        Assert.Equal("approved", j.Request.Status);
        var decision = Assert.Single(j.Decisions);
        Assert.Equal(winner.DecisionId, decision.Id);
        Assert.Single(j.OfType("stage_completed"));
        var approved = Assert.Single(j.OfType("request_approved"));
        Assert.Equal(winner.Actor, approved.Str("actor"));
        Assert.Equal(attempts.Length - 1, j.Tasks.Count(t => t.Status == "skipped"));
        // request_created, stage_started, task_decided, stage_quorum_skipped, stage_completed, request_approved
        Assert.Equal(6, j.Events.Count);
        await AssertApiAgreesAsync(request.Id, j, context);
    }

    /// <summary>all: every decision 201 and stored, exactly one answer (the last) approves the request.</summary>
    private async Task AssertAllCountedAsync(OpenRequest request, Attempt[] attempts, string? context = null)
    {
        Assert.All(attempts, a => Assert.True(a.Reply.Status == HttpStatusCode.Created, $"{a.Actor}: {a.Reply.Raw}\n{context}"));
        var last = Assert.Single(attempts, a => (string?)a.Reply.Json["request_status"] == "approved");
        Assert.All(attempts.Where(a => a != last), a => Assert.Equal("in_review", (string?)a.Reply.Json["request_status"]));

        var j = await JournalAsync(request.Id);
        j.AssertConsistent();
        j.AssertMatches(attempts);
        Assert.Equal("approved", j.Request.Status);
        Assert.Equal(attempts.Length, j.Decisions.Count);
        Assert.Single(j.OfType("stage_completed"));
        var approved = Assert.Single(j.OfType("request_approved"));
        Assert.Equal(last.Actor, approved.Str("actor"));
        // The approving decision is the last one journalled.
        Assert.Equal(last.DecisionId, j.OfType("task_decided").Last().Str("decision_id"));
        Assert.Equal(attempts.Length + 4, j.Events.Count);
        await AssertApiAgreesAsync(request.Id, j, context);
    }

    /// <summary>The API tells the same story as the tables.</summary>
    private async Task AssertApiAgreesAsync(string requestId, Journal j, string? context = null)
    {
        var request = (await fx.Viewer.GetJson($"/v1/awe/requests/{requestId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(j.Request.Status, (string?)request["status"]);
        var events = (await fx.Viewer.GetJson($"/v1/awe/requests/{requestId}/events")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.True(events.Count == j.Events.Count, $"API lists {events.Count} events, the table has {j.Events.Count}\n{context}");
        Assert.Equal(j.Events.Select(e => (e.Seq, e.Type)), events.Select(e => ((int)e!["seq"]!, (string)e["event_type"]!)));
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private const string Approve = """{"action": "approve"}""";

    private sealed record OpenRequest(string Id, IReadOnlyDictionary<string, string> TaskOf);

    private static string[] Users(string prefix, int count) => Enumerable.Range(1, count).Select(i => $"{prefix}-{i:00}").ToArray();

    private static JsonObject[] Rules(IEnumerable<string> users) => users.Select(u => Policies.User(u)).ToArray();

    /// <summary>One client per person, reused across rounds (each is its own HttpClient over the test server).</summary>
    private HttpClient Client(string user) => _clients.GetOrAdd(user, u => fx.As(u));

    private async Task<string> PolicyAsync(string key, params JsonObject[] stages) =>
        await Policies.CreateActiveAsync(fx.Admin, Policies.Policy(key, stages));

    private async Task<OpenRequest> OpenAsync(string key)
    {
        var created = await Policies.RequestAsync(fx.Admin, key);
        Assert.Equal("in_review", (string?)created["status"]);
        var tasks = created["tasks"]!.AsArray().ToDictionary(t => (string)t!["assignee"]!, t => (string)t!["id"]!);
        return new OpenRequest((string)created["request_id"]!, tasks);
    }

    private static Func<Task<Attempt>> Decide(HttpClient client, string taskId, string actor, string action = "approve") =>
        async () => new Attempt(taskId, actor, action,
            await client.PostJson($"/v1/awe/tasks/{taskId}/decision", new JsonObject { ["action"] = action }));

    private async Task<Journal> JournalAsync(string requestId)
    {
        await using var connection = new NpgsqlConnection(fx.Database.ConnectionString);
        return await Journal.LoadAsync(connection, requestId);
    }
}
