using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Identity;

/// <summary>
/// Keycloak failing while a decision starts the next stage: the decision commits, the request journals
/// stage_resolution_failed and shows a retry bookmark, and once Keycloak answers again the tasks appear by
/// themselves (the retry worker), visible in the API and in the metrics.
/// </summary>
public sealed class ResolutionRetryHttpTests : IAsyncLifetime
{
    private FakeKeycloak _kc = null!;
    private TestDatabase _db = null!;
    private AweApp _app = null!;

    public async Task InitializeAsync()
    {
        _kc = await FakeKeycloak.StartAsync();
        _kc.AddUser("u-clerk");
        _kc.AddUser("u-manager-1");
        _kc.AddUser("u-manager-2");
        _kc.AddRealmRole("MANAGER", null, "u-manager-1", "u-manager-2");
        _db = await TestDatabase.CreateAsync();
        var settings = _kc.ResolverSettings();
        settings["awe:resolver:http_timeout_seconds"] = "2";
        for (var i = 0; i < 5; i++) settings[$"awe:resolver:retry_backoff_seconds:{i}"] = "1"; // every entry of the default list
        settings["awe:resolver:retry_poll_seconds"] = "1";
        _app = new AweApp(_db.ConnectionString, settings);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _db.DisposeAsync();
        await _kc.DisposeAsync();
    }

    [Fact]
    public async Task Decision_commits_and_the_stage_opens_its_tasks_once_keycloak_is_back()
    {
        var admin = _app.ClientFor(Tokens.Admin);
        var policy = TestPolicies.Policy("two.level",
            TestPolicies.Stage(1, "any-n", 1, TestPolicies.User("u-clerk")),
            TestPolicies.Stage(2, "any-n", 1, new JsonObject { ["rule_type"] = "role", ["rule_value"] = new JsonObject { ["role"] = "MANAGER" } }));
        var key = await TestPolicies.CreateActiveAsync(admin, policy);
        var created = await TestPolicies.RequestAsync(admin, key);
        var requestId = (string)created["request_id"]!;
        var clerkTask = (string)created["tasks"]![0]!["id"]!;

        var membersPath = _kc.AdminPath("roles/MANAGER/users");
        _kc.Fail(membersPath, 500);
        var decision = (await _app.ClientFor(Tokens.User("u-clerk")).PostJson($"/v1/awe/tasks/{clerkTask}/decision", new { action = "approve" }))
            .Expect(HttpStatusCode.Created).Json;
        Assert.Equal("in_review", (string?)decision["request_status"]);
        Assert.Equal(2, (int)decision["current_stage_order"]!);

        var events = (await admin.GetJson($"/v1/awe/requests/{requestId}/events")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Contains(events, e => (string?)e!["event_type"] == "task_decided");
        var failure = Assert.Single(events, e => (string?)e!["event_type"] == "stage_resolution_failed")!;
        Assert.Equal(1, (int)failure["payload"]!["attempt"]!);
        var workflow = (await admin.GetJson($"/v1/awe/requests/{requestId}/workflow")).Expect(HttpStatusCode.OK).Json;
        Assert.Contains(workflow["bookmarks"]!.AsArray(), b => (string?)b!["kind"] == "resolution_retry");
        Assert.Equal("active", (string?)workflow["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "stage-2")!["state"]);

        // Still failing: the worker retries with backoff and journals each failed attempt.
        await Wait.UntilAsync(() => admin.GetJson($"/v1/awe/requests/{requestId}/events"),
            r => r.Json.AsArray().Count(e => (string?)e!["event_type"] == "stage_resolution_failed") >= 2, "a second failed attempt");

        _kc.ClearFaults();
        var tasks = await Wait.UntilAsync(() => admin.GetJson($"/v1/awe/tasks?assignee=*&status=open&request_id={requestId}"),
            r => (int)r.Json["total"]! == 2, "the managers' tasks after Keycloak recovered", describe: r => r.Raw);
        Assert.Equal(["u-manager-1", "u-manager-2"], tasks.Json["items"]!.AsArray().Select(t => (string)t!["assignee"]!).Order());
        var after = (await admin.GetJson($"/v1/awe/requests/{requestId}/workflow")).Json;
        Assert.DoesNotContain(after["bookmarks"]!.AsArray(), b => (string?)b!["kind"] == "resolution_retry");
        var decisions = (await admin.GetJson($"/v1/awe/requests/{requestId}/events")).Json.AsArray()
            .Count(e => (string?)e!["event_type"] == "task_decided");
        Assert.Equal(1, decisions); // the clerk's decision, recorded once

        var metrics = await _app.CreateClient().GetStringAsync("/metrics");
        Assert.Contains("stage_resolution_failed", metrics);
    }
}
