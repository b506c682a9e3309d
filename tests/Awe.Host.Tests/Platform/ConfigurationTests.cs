using System.Net;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Platform;

/// <summary>
/// Overrides of config/default.yaml (the keys AWE__SECTION__KEY environment variables map to) reach the running
/// host, and invalid configuration stops start-up with a message naming the key.
/// </summary>
public sealed class ConfigurationTests
{
    private static async Task<Microsoft.AspNetCore.TestHost.TestServer> StartAsync(AweApp app) => await Task.Run(() => app.Server);

    [Fact]
    public async Task Overrides_of_scalars_and_list_items_are_reflected_in_config()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AweApp(db.ConnectionString, new Dictionary<string, string?>
        {
            ["awe:webhook:max_attempts"] = "3",           // AWE__WEBHOOK__MAX_ATTEMPTS=3
            ["awe:webhook:backoff_seconds:0"] = "30",     // AWE__WEBHOOK__BACKOFF_SECONDS__0=30
            ["awe:webhook:timeout_seconds"] = "4",
            ["awe:sla:check_interval_seconds"] = "60",
            ["awe:module"] = "registry",
        });

        var response = EnvelopeAssert.Success(await app.CreateClient().GetJson("/v1/awe/config"));

        Assert.Equal(3, (int?)response["webhook"]!["max_attempts"]);
        Assert.Equal(4, (int?)response["webhook"]!["timeout_seconds"]);
        Assert.Equal(30, (int?)response["webhook"]!["backoff_seconds"]![0]);
        Assert.Equal(60, (int?)response["sla"]!["check_interval_seconds"]);
        Assert.Equal("registry", (string?)response["module"]);
    }

    [Fact]
    public async Task The_envelope_id_and_version_follow_the_configured_service_id()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AweApp(db.ConnectionString, new Dictionary<string, string?> { ["awe:service_id"] = "custom.awe" });

        var health = (await app.CreateClient().GetJson("/v1/awe/health")).Expect(HttpStatusCode.OK);
        Assert.Equal("custom.awe", (string?)health.Json["id"]);
        var error = await app.CreateClient().GetJson("/v1/awe/policies");
        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.Equal("custom.awe", (string?)error.Json["id"]);
        var config = (await app.CreateClient().GetJson("/v1/awe/config")).Expect(HttpStatusCode.OK);
        Assert.Equal("custom.awe", (string?)config.Json["response"]!["service_id"]);
    }

    public static TheoryData<Dictionary<string, string?>, string> InvalidSettings => new()
    {
        { new() { ["awe:webhook:max_attempts"] = "10" }, "awe.webhook.backoff_seconds" },
        { new() { ["awe:webhook:max_attempts"] = "0" }, "awe.webhook.max_attempts" },
        { new() { ["awe:webhook:backoff_seconds:1"] = "-5" }, "awe.webhook.backoff_seconds[1]" },
        { new() { ["awe:server:max_body_bytes"] = "10" }, "awe.server.max_body_bytes" },
        { new() { ["awe:sla:check_interval_seconds"] = "0" }, "awe.sla.check_interval_seconds" },
        { new() { ["awe:notifier:enabled"] = "true" }, "awe.notifier.smtp_host" },
        { new() { ["awe:server:max_header_bytes"] = "100" }, "awe.server.max_header_bytes" },
        { new() { ["awe:limits:max_approvers_per_stage"] = "0" }, "awe.limits.max_approvers_per_stage" },
        { new() { ["awe:limits:max_tasks_per_request"] = "10" }, "awe.limits.max_tasks_per_request" },
        { new() { ["awe:limits:max_context_bytes"] = "0" }, "awe.limits.max_context_bytes" },
        { new() { ["awe:studio:serve"] = "true", ["awe:studio:url"] = "localhost:8080" }, "awe.studio.url" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task Invalid_configuration_stops_start_up_naming_the_key(Dictionary<string, string?> settings, string key)
    {
        // Validation happens before the database is touched, so no database is needed.
        await using var app = new AweApp("Data Source=/nonexistent/awe-never-created.db", settings);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(app));

        var message = error.ToString();
        Assert.Contains("invalid configuration", message);
        Assert.Contains(key, message);
    }

    [Fact]
    public async Task Several_problems_are_reported_together()
    {
        await using var app = new AweApp("Data Source=/nonexistent/awe-never-created.db", new Dictionary<string, string?>
        {
            ["awe:webhook:max_attempts"] = "10", ["awe:webhook:timeout_seconds"] = "0",
        });

        var message = (await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(app))).ToString();

        Assert.Contains("awe.webhook.backoff_seconds", message);
        Assert.Contains("awe.webhook.timeout_seconds", message);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_stops_start_up_naming_the_key()
    {
        await using var app = new AweApp("Data Source=/nonexistent/awe-never-created.db", new Dictionary<string, string?>
        {
            ["awe:webhook:max_attempts"] = "six",
        });

        var message = (await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(app))).ToString();

        Assert.Contains("max_attempts", message);
    }
}
