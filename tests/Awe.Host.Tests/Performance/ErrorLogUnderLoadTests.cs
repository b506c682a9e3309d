using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Client;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Performance;

// Inside the namespace, so it wins over the Awe.Host.Policies namespace.
using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// Load brings out the conditions a quiet test never meets: decisions losing races for one stage, creates racing on
/// one Idempotency-Key, callers that give up and hang up mid-request. Each is handled (409, the stored answer, nothing
/// written), so none may leave an error-level line in the host's log: an operator pages on those.
/// </summary>
public sealed class ErrorLogUnderLoadTests(HostProcessFixture fx) : IClassFixture<HostProcessFixture>
{
    private const int Concurrency = 16;

    [Fact]
    public async Task A_burst_of_racing_creates_and_decisions_logs_no_error()
    {
        var admin = fx.Host.ClientFor(Tokens.Admin);
        var key = await Policies.CreateActiveAsync(admin, Policies.Policy("load.errors",
            Policies.Stage(1, "any-n", 1, Policies.User("u-1"), Policies.User("u-2"), Policies.User("u-3")),
            Policies.Stage(2, "all", null, Policies.User("u-4"))));
        var clients = new[] { "u-1", "u-2", "u-3", "u-4" }.ToDictionary(u => u, u => fx.Host.ClientFor(Tokens.User(u)));
        using var gate = new SemaphoreSlim(Concurrency);

        // Creates, every fourth pair racing on one Idempotency-Key.
        var creates = Enumerable.Range(0, 120).Select(i => Limited(gate, () => admin.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = $"load-{i / 2}",
        }, i % 8 < 2 ? new Dictionary<string, string> { ["Idempotency-Key"] = $"load-key-{i / 8}" } : null)));
        var gone = Enumerable.Range(0, 60).Select(i => Limited(gate, () => HangUpAsync(admin, "/v1/awe/requests",
            $$"""{"policy_key": "{{key}}", "artifact_type": "test.artifact", "artifact_id": "gone-{{i}}"}""")));
        var created = (await Task.WhenAll(creates.Concat(gone))).OfType<Reply>().ToList();
        Assert.All(created, r => r.Expect(HttpStatusCode.Created));
        var requests = created.Select(r => (string)r.Json["request_id"]!).Distinct().ToList();

        // All three approvers of stage 1 at once on every request (one wins each, the others get 409), while callers
        // that hang up after a few milliseconds come and go (abstaining, which leaves the stage to the other two).
        var stage1 = created.DistinctBy(r => (string)r.Json["request_id"]!)
            .SelectMany(r => r.Json["tasks"]!.AsArray().Select(t => ((string)t!["assignee"]!, (string)t["id"]!))).ToList();
        var storm = stage1.Select(t => Limited(gate, () => clients[t.Item1].PostJson($"/v1/awe/tasks/{t.Item2}/decision", new JsonObject { ["action"] = "approve" })))
            .Concat(stage1.Where(t => t.Item1 == "u-1").Select(t => Limited(gate, () => HangUpAsync(clients[t.Item1], $"/v1/awe/tasks/{t.Item2}/decision", """{"action": "abstain"}"""))));
        var decided = (await Task.WhenAll(storm)).OfType<Reply>().ToList();
        Assert.All(decided, r => Assert.True(r.Status is HttpStatusCode.Created || r.ErrorCode == "AWE-007", $"{(int)r.Status}: {r.Raw}"));
        Assert.Equal(requests.Count, decided.Count(r => r.Status == HttpStatusCode.Created));

        // Stage 2, and a cancel racing each of its decisions.
        var stage2 = new List<(string Request, string Task)>();
        foreach (var id in requests)
        {
            var open = (await admin.GetJson($"/v1/awe/tasks?assignee=u-4&request_id={id}&status=open")).Expect(HttpStatusCode.OK).Json;
            stage2.Add((id, (string)open["items"]![0]!["id"]!));
        }
        var finals = await Task.WhenAll(stage2.SelectMany(s => new[]
        {
            Limited(gate, () => clients["u-4"].PostJson($"/v1/awe/tasks/{s.Task}/decision", new JsonObject { ["action"] = "approve" })),
            Limited(gate, () => admin.PostJson($"/v1/awe/requests/{s.Request}/cancel", new JsonObject { ["reason"] = "race" })),
        }));
        Assert.All(finals, r => Assert.True(r.Status is HttpStatusCode.Created or HttpStatusCode.OK || r.ErrorCode == "AWE-007", $"{(int)r.Status}: {r.Raw}"));

        var errors = fx.Host.Output.Split('\n').Where(l => l.Contains(" fail: ") || l.Contains(" crit: ")).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} error-level log line(s) under load:\n{string.Join("\n", errors.Take(20))}");
    }

    private static async Task<T> Limited<T>(SemaphoreSlim gate, Func<Task<T>> call)
    {
        await gate.WaitAsync();
        try { return await call(); }
        finally { gate.Release(); }
    }

    /// <summary>A caller that gives up: sends its call and closes the connection a few milliseconds later.</summary>
    private static async Task<Reply?> HangUpAsync(HttpClient client, string url, string body)
    {
        using var hangUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 30)));
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        try
        {
            using var response = await client.SendAsync(message, hangUp.Token);
        }
        catch (OperationCanceledException) { }
        return null;
    }
}
