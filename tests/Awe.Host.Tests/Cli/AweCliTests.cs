using System.Net;
using System.Text.Json.Nodes;
using Awe.Cli;
using Awe.Host.Tests.Client;
using Awe.Host.Tests.Contract;
using Awe.Host.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Awe.Host.Tests.Cli;

/// <summary>The awe command line end to end against a host process on PostgreSQL (commands run in-process, over real HTTP).</summary>
public sealed class AweCliTests(HostProcessFixture fx) : IClassFixture<HostProcessFixture>, IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("awe-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private sealed record Run(int Code, string Out, string Err)
    {
        public JsonNode Json => JsonNode.Parse(Out)!;
    }

    private async Task<Run> Awe(params string[] args) => await AweAs(Tokens.Admin, args);

    private async Task<Run> AweAs(string? token, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var all = new List<string> { "--server", fx.Host.BaseUrl };
        if (token is not null) all.AddRange(["--token", token]);
        var code = await AweCli.RunAsync([.. args, .. all], output, error);
        return new Run(code, output.ToString(), error.ToString());
    }

    private string WritePolicy(string key, Action<JsonObject>? change = null, string? name = null)
    {
        var policy = JsonNode.Parse(File.ReadAllText(Path.Combine(OpenApiDocumentTests.RepositoryRoot(), "workflows", "payment-by-amount.json")))!.AsObject();
        policy["policy_key"] = key;
        change?.Invoke(policy);
        var path = Path.Combine(dir, name ?? key + ".json");
        File.WriteAllText(path, policy.ToJsonString());
        return path;
    }

    private async Task<int> VersionCount(string key) =>
        (await fx.Host.ClientFor(Tokens.Admin).GetJson($"/v1/awe/policies/{key}/versions")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

    [Fact]
    public async Task Validate_reports_the_same_paths_and_messages_as_the_api()
    {
        var path = WritePolicy("cli.invalid", p =>
        {
            p["stages"]![0]!["mode"] = "sometimes";
            p["stages"]![1]!["sla_hours"] = 0;
            p["stages"]![2]!.AsObject().Remove("name");
            p["approvers"] = 3;
        });
        var run = await Awe("validate", path);
        Assert.Equal(ExitCodes.Problems, run.Code);

        var api = await fx.Host.ClientFor(Tokens.Admin).PostJson("/v1/awe/policies", File.ReadAllText(path));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, api.Status);
        var expected = api.Json["errors"]!.AsArray().Select(e => $"{path}: {e!["message"]!.GetValue<string>()}").ToList();
        Assert.Equal(4, expected.Count);
        Assert.Equal(expected, run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var good = await Awe("validate", Path.Combine(OpenApiDocumentTests.RepositoryRoot(), "workflows"));
        Assert.Equal(ExitCodes.Ok, good.Code);
    }

    [Fact]
    public async Task Apply_is_idempotent_and_creates_a_version_only_for_a_change()
    {
        var path = WritePolicy("cli.apply");
        var dry = await Awe("apply", path, "--dry-run", "--activate", "-o", "json");
        Assert.Equal(ExitCodes.Ok, dry.Code);
        Assert.Equal("would create, would activate", dry.Json[0]!["action"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Host.ClientFor(Tokens.Admin).GetJson("/v1/awe/policies/cli.apply/versions")).Status);

        var first = await Awe("apply", path, "--activate", "-o", "json");
        Assert.Equal(ExitCodes.Ok, first.Code);
        Assert.Equal(("created, activated", 1, "active"),
            (first.Json[0]!["action"]!.GetValue<string>(), first.Json[0]!["version"]!.GetValue<int>(), first.Json[0]!["status"]!.GetValue<string>()));

        var again = await Awe("apply", path, "--activate", "-o", "json");
        Assert.Equal("unchanged", again.Json[0]!["action"]!.GetValue<string>());
        Assert.Equal(1, await VersionCount("cli.apply"));
        Assert.Equal(ExitCodes.Ok, (await Awe("diff", path)).Code);

        // Reformatting and spelling out defaults is no change either.
        var reformatted = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        reformatted["stages"]![0]!["on_empty"] = "block";
        reformatted["forbid_repeat_approvers"] = false;
        File.WriteAllText(path, reformatted.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        Assert.Equal("unchanged", (await Awe("apply", path, "-o", "json")).Json[0]!["action"]!.GetValue<string>());

        WritePolicy("cli.apply", p => p["stages"]![2]!["mode_value"] = 3);
        var diff = await Awe("diff", path);
        Assert.Equal(ExitCodes.Problems, diff.Code);
        Assert.Contains("stage 3: changed mode_value", diff.Out);
        Assert.DoesNotContain("stage 1", diff.Out);

        var changed = await Awe("apply", path, "-o", "json");
        Assert.Equal(("new version", 2, "draft"),
            (changed.Json[0]!["action"]!.GetValue<string>(), changed.Json[0]!["version"]!.GetValue<int>(), changed.Json[0]!["status"]!.GetValue<string>()));
        Assert.Equal("unchanged", (await Awe("apply", path, "-o", "json")).Json[0]!["action"]!.GetValue<string>());
        Assert.Equal(2, await VersionCount("cli.apply"));
        var activated = await Awe("apply", path, "--activate", "-o", "json");
        Assert.Equal(("unchanged, activated", "active"), (activated.Json[0]!["action"]!.GetValue<string>(), activated.Json[0]!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_invalid_file_stops_the_whole_apply()
    {
        var good = WritePolicy("cli.all.good");
        var bad = WritePolicy("cli.all.bad", p => p["stages"]![0]!["stage_order"] = 0);
        var run = await Awe("apply", good, bad);
        Assert.Equal(ExitCodes.Problems, run.Code);
        Assert.Contains($"{bad}: stages[0].stage_order: must be ≥ 1 (got 0)", run.Err);
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Host.ClientFor(Tokens.Admin).GetJson("/v1/awe/policies/cli.all.good/versions")).Status);
    }

    [Fact]
    public async Task Export_round_trips_with_apply()
    {
        Assert.Equal(ExitCodes.Ok, (await Awe("apply", WritePolicy("cli.export.a"), WritePolicy("cli.export.b", p => p["description"] = null))).Code);
        var exported = Path.Combine(dir, "exported");
        var run = await Awe("export", "--dir", exported, "--key", "cli.export.a", "--key", "cli.export.b");
        Assert.Equal(ExitCodes.Ok, run.Code);
        Assert.Equal(["cli.export.a.json", "cli.export.b.json"], Directory.GetFiles(exported).Select(Path.GetFileName).Order());
        var reapplied = await Awe("apply", exported, "-o", "json");
        Assert.All(reapplied.Json.AsArray(), r => Assert.Equal("unchanged", r!["action"]!.GetValue<string>()));
        Assert.Equal(ExitCodes.Ok, (await Awe("diff", exported)).Code);
        // The exported file is the canonical document: exporting it again gives the same bytes.
        var before = File.ReadAllText(Path.Combine(exported, "cli.export.a.json"));
        Assert.Equal(ExitCodes.Ok, (await Awe("export", "--dir", exported, "--key", "cli.export.a")).Code);
        Assert.Equal(before, File.ReadAllText(Path.Combine(exported, "cli.export.a.json")));
        Assert.Equal(ExitCodes.Usage, (await Awe("export", "--dir", exported, "--key", "cli.no.such")).Code);
    }

    [Fact]
    public async Task Simulate_requests_tasks_and_deliveries()
    {
        Assert.Equal(ExitCodes.Ok, (await Awe("apply", WritePolicy("cli.ops"), "--activate")).Code);
        var context = Path.Combine(dir, "context.json");
        File.WriteAllText(context, """{"amount": 50000}""");
        var sim = await Awe("simulate", "cli.ops", "--context", context, "-o", "json");
        Assert.Equal(ExitCodes.Ok, sim.Code);
        Assert.Equal(["tasks", "tasks", "skipped"], sim.Json["stages"]!.AsArray().Select(s => s!["outcome"]!.GetValue<string>()));

        var created = (await fx.Host.ClientFor(Tokens.Admin).PostJson("/v1/awe/requests",
            new JsonObject { ["policy_key"] = "cli.ops", ["artifact_type"] = "payment.disbursement", ["artifact_id"] = "pay-1", ["context"] = new JsonObject { ["amount"] = 5 } }))
            .Expect(HttpStatusCode.Created).Json;
        var requestId = created["request_id"]!.GetValue<string>();

        var list = await Awe("requests", "list", "--policy-key", "cli.ops");
        Assert.Equal(ExitCodes.Ok, list.Code);
        Assert.Contains(requestId, list.Out);
        Assert.StartsWith("ID", list.Out);

        var tasks = await AweAs(Tokens.User("u-finance-1"), "tasks", "list", "-o", "json");
        var taskId = Assert.Single(tasks.Json.AsArray(), t => t!["request_id"]!.GetValue<string>() == requestId)!["id"]!.GetValue<string>();
        var decided = await AweAs(Tokens.User("u-finance-1"), "tasks", "decide", taskId, "approve", "--comment", "ok");
        Assert.Equal(ExitCodes.Ok, decided.Code);
        Assert.Contains("is approved", decided.Out);

        var show = await Awe("requests", "show", requestId, "-o", "json");
        Assert.Equal("approved", show.Json["request"]!["status"]!.GetValue<string>());
        Assert.Contains("request_approved", show.Json["events"]!.AsArray().Select(e => e!["event_type"]!.GetValue<string>()));

        var cancel = await Awe("requests", "cancel", requestId);
        Assert.Equal(ExitCodes.Refused, cancel.Code);
        Assert.Contains("AWE-007", cancel.Err);

        var deliveries = await Awe("deliveries", "list", "-o", "json");
        Assert.Equal(ExitCodes.Ok, deliveries.Code);
        Assert.IsType<JsonArray>(deliveries.Json);
        var retry = await Awe("deliveries", "retry", "no-such-delivery");
        Assert.Equal((ExitCodes.Refused, true), (retry.Code, retry.Err.Contains("AWE-018")));
        Assert.Equal(ExitCodes.Usage, (await Awe("deliveries", "retry")).Code);
        Assert.Equal("0 exhausted deliveries queued again", (await Awe("deliveries", "retry", "--exhausted", "--request-id", requestId)).Out.Trim());
    }

    [Fact]
    public async Task Exit_codes_for_refusals_usage_and_an_unreachable_server()
    {
        var path = WritePolicy("cli.codes");
        var refused = await AweAs(Tokens.Viewer, "apply", path);
        Assert.Equal(ExitCodes.Refused, refused.Code);
        Assert.Contains("AWE-008", refused.Err);
        Assert.Equal(ExitCodes.Refused, (await AweAs(null, "requests", "list")).Code);
        Assert.Equal(ExitCodes.Usage, (await Awe("apply", Path.Combine(dir, "missing.json"))).Code);
        Assert.Equal(ExitCodes.Usage, (await Awe("tasks", "decide", "t-1", "maybe")).Code);
        Assert.Equal(ExitCodes.Usage, (await Awe("--output", "yaml", "requests", "list")).Code);

        var output = new StringWriter();
        var error = new StringWriter();
        var closed = $"http://127.0.0.1:{FreePort()}";
        Assert.Equal(ExitCodes.Unavailable, await AweCli.RunAsync(["requests", "list", "--server", closed, "--token", Tokens.Admin], output, error));
    }

    [Fact]
    public async Task Client_credentials_fetch_a_token_from_the_token_endpoint()
    {
        await using var keycloak = await FakeHttpEndpoint.StartAsync();
        keycloak.Respond = async ctx =>
        {
            var ok = ctx.Request.Headers.Authorization == "Basic " + Convert.ToBase64String("awe-cli:s3cret"u8.ToArray())
                     && ctx.Request.ContentType!.StartsWith("application/x-www-form-urlencoded");
            ctx.Response.StatusCode = ok ? 200 : 401;
            await ctx.Response.WriteAsync(ok ? new JsonObject { ["access_token"] = Tokens.Admin, ["expires_in"] = 300 }.ToJsonString() : "{\"error\":\"invalid_client\"}");
        };
        var tokenUrl = keycloak.BaseUrl + "/realms/openg2p/protocol/openid-connect/token";
        var run = await AweAs(null, "apply", WritePolicy("cli.oidc"), "--token-url", tokenUrl, "--client-id", "awe-cli", "--client-secret", "s3cret");
        Assert.Equal(ExitCodes.Ok, run.Code);
        Assert.Equal(1, await VersionCount("cli.oidc"));
        var wrong = await AweAs(null, "requests", "list", "--token-url", tokenUrl, "--client-id", "awe-cli", "--client-secret", "nope");
        Assert.Equal(ExitCodes.Refused, wrong.Code);
        Assert.Contains("invalid_client", wrong.Err);
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
