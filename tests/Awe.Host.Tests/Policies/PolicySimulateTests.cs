using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Policies;

/// <summary>
/// POST /policies/{key}/versions/{v}/simulate: who would approve each stage for a context, with skip_if, SoD,
/// delegations and on_empty applied as a real request would apply them, and nothing written.
/// </summary>
public sealed class PolicySimulateTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>, IAsyncLifetime
{
    private readonly HttpClient _admin = fx.Admin;

    private static JsonObject Expression(string logic, string kind = "approver") => new()
    {
        ["rule_type"] = "expression", ["rule_value"] = new JsonObject { ["logic"] = JsonNode.Parse(logic) }, ["kind"] = kind,
    };

    public async Task InitializeAsync()
    {
        if ((await _admin.GetJson("/v1/awe/policies/sim.main/versions")).Status == HttpStatusCode.OK) return;

        var checker = Stage(1, "any-n", 1, User("u-alice", required: true), User("u-bob"), User("u-carol", kind: "observer"),
            Expression("""{"var": "reviewer"}"""));
        checker["skip_if"] = JsonNode.Parse("""{"<": [{"var": "amount"}, 100]}""");
        var manager = Stage(2, "all", null, User("u-dave"), User("u-req"));
        var selfOnly = Stage(3, "all", null, User("u-req"));
        selfOnly["on_empty"] = "skip";
        var main = Policy("sim.main", checker, manager, selfOnly);
        main["forbid_self_approval"] = true;
        (await _admin.PostJson("/v1/awe/policies", main)).Expect(HttpStatusCode.Created);

        var block = Policy("sim.block", Stage(1, "all", null, User("u-req")));
        block["forbid_self_approval"] = true;
        (await _admin.PostJson("/v1/awe/policies", block)).Expect(HttpStatusCode.Created);

        var skipAll = Stage(1, "all", null, User("u-alice"));
        skipAll["skip_if"] = JsonNode.Parse("""{"var": "fast_track"}""");
        await CreateActiveAsync(_admin, Policy("sim.fast", skipAll));

        var role = new JsonObject { ["rule_type"] = "role", ["rule_value"] = new JsonObject { ["role"] = "PROGRAM_MANAGER" } };
        (await _admin.PostJson("/v1/awe/policies", Policy("sim.role", Stage(1, "all", null, User("u-alice"), role)))).Expect(HttpStatusCode.Created);

        // u-dave is out of office; u-bob's stand-in is the requester, which SoD must not let through.
        await DelegateAsync("u-dave", "u-erin");
        await DelegateAsync("u-bob", "u-req");
        // An expired and a future delegation change nothing.
        await DelegateAsync("u-alice", "u-past", DateTime.UtcNow.AddDays(-10), DateTime.UtcNow.AddDays(-1));
        await DelegateAsync("u-alice", "u-future", DateTime.UtcNow.AddDays(1), DateTime.UtcNow.AddDays(2));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task DelegateAsync(string user, string to, DateTime? starts = null, DateTime? ends = null) =>
        (await _admin.PostJson("/v1/awe/delegations", new JsonObject
        {
            ["user_id"] = user, ["delegate_to"] = to, ["reason"] = "leave",
            ["starts_at"] = (starts ?? DateTime.UtcNow.AddHours(-1)).ToString("O"), ["ends_at"] = (ends ?? DateTime.UtcNow.AddDays(3)).ToString("O"),
        })).Expect(HttpStatusCode.Created);

    private async Task<JsonNode> SimulateAsync(string key, object? body, HttpClient? client = null, int version = 1) =>
        (await (client ?? _admin).PostJson($"/v1/awe/policies/{key}/versions/{version}/simulate", body)).Expect(HttpStatusCode.OK).Json;

    private static List<string> Strings(JsonNode? array) => array!.AsArray().Select(x => (string)x!).ToList();

    private static JsonNode StageOf(JsonNode simulation, int order) =>
        simulation["stages"]!.AsArray().Single(s => (int)s!["stage_order"]! == order)!;

    [Fact]
    public async Task A_truthy_skip_if_skips_the_stage_with_reason_skip_if()
    {
        var result = await SimulateAsync("sim.main", new JsonObject
        {
            ["context"] = new JsonObject { ["amount"] = 50, ["reviewer"] = "u-rita" }, ["requester"] = "u-req",
        });

        var checker = StageOf(result, 1);
        Assert.True((bool)checker["skipped"]!);
        Assert.Equal("skip_if", (string?)checker["skip_reason"]);
        Assert.Equal("skipped", (string?)checker["outcome"]);
        Assert.Empty(Strings(checker["resolved_approvers"]));
        Assert.False((bool)StageOf(result, 2)["skipped"]!); // later stages are still evaluated
    }

    [Fact]
    public async Task Approvers_observers_and_required_approvers_are_resolved_from_every_rule()
    {
        var result = await SimulateAsync("sim.main", new JsonObject
        {
            ["context"] = new JsonObject { ["amount"] = 5000, ["reviewer"] = "u-rita" }, ["requester"] = "u-req",
        }, fx.Viewer);

        Assert.False(string.IsNullOrWhiteSpace((string?)result["policy_id"]));
        Assert.Equal(1, (int?)result["policy_version"]);
        Assert.Equal([1, 2, 3], result["stages"]!.AsArray().Select(s => (int)s!["stage_order"]!));

        var checker = StageOf(result, 1);
        Assert.Equal(("Stage 1", "any-n", 1), ((string)checker["name"]!, (string)checker["mode"]!, (int)checker["mode_value"]!));
        Assert.False((bool)checker["skipped"]!);
        Assert.Null(checker["skip_reason"]);
        Assert.Equal("tasks", (string?)checker["outcome"]);
        // u-bob's delegate is the requester: SoD removes the stand-in rather than letting the requester approve.
        Assert.Equal(["u-alice", "u-rita"], Strings(checker["resolved_approvers"]));
        Assert.Equal(["u-carol"], Strings(checker["observers"]));
        Assert.Equal(["u-alice"], Strings(checker["required_approvers"]));
        var excluded = Assert.Single(checker["excluded"]!.AsArray())!;
        Assert.Equal("u-req", (string?)excluded["user_id"]);
        Assert.Contains("forbid_self_approval", (string?)excluded["reason"]);
        Assert.Contains("u-bob", (string?)excluded["reason"]);
        Assert.Null(result["outcome"]); // the request would wait for decisions
    }

    [Fact]
    public async Task Forbid_self_approval_removes_the_requester_named_in_the_body()
    {
        var asRequester = await SimulateAsync("sim.main", new JsonObject { ["context"] = new JsonObject { ["amount"] = 5000 }, ["requester"] = "u-req" });
        var manager = StageOf(asRequester, 2);
        Assert.DoesNotContain("u-req", Strings(manager["resolved_approvers"]));
        var excluded = Assert.Single(manager["excluded"]!.AsArray())!;
        Assert.Equal(("u-req", "forbid_self_approval"), ((string)excluded["user_id"]!, (string)excluded["reason"]!));

        // Someone else asking: u-req approves like anyone else.
        var asOther = await SimulateAsync("sim.main", new JsonObject { ["context"] = new JsonObject { ["amount"] = 5000 }, ["requester"] = "u-zoe" });
        Assert.Contains("u-req", Strings(StageOf(asOther, 2)["resolved_approvers"]));
        Assert.Empty(StageOf(asOther, 2)["excluded"]!.AsArray());
        Assert.Equal(["u-req"], Strings(StageOf(asOther, 3)["resolved_approvers"]));
    }

    [Fact]
    public async Task Active_delegations_redirect_approvers_and_are_reported()
    {
        var result = await SimulateAsync("sim.main", new JsonObject { ["context"] = new JsonObject { ["amount"] = 5000 }, ["requester"] = "u-zoe" });

        var manager = StageOf(result, 2);
        Assert.Equal(["u-erin", "u-req"], Strings(manager["resolved_approvers"]));
        var delegation = Assert.Single(manager["delegations"]!.AsArray())!;
        Assert.Equal(("u-dave", "u-erin"), ((string)delegation["from"]!, (string)delegation["to"]!));

        // Expired and future delegations of u-alice do not apply.
        Assert.Contains("u-alice", Strings(StageOf(result, 1)["resolved_approvers"]));
        Assert.DoesNotContain(StageOf(result, 1)["delegations"]!.AsArray(), d => (string?)d!["from"] == "u-alice");
    }

    [Fact]
    public async Task On_empty_decides_the_outcome_of_a_stage_left_without_approvers()
    {
        var skipped = StageOf(await SimulateAsync("sim.main", new JsonObject { ["context"] = new JsonObject { ["amount"] = 5000 }, ["requester"] = "u-req" }), 3);
        Assert.True((bool)skipped["skipped"]!);
        Assert.Equal("no_approvers", (string?)skipped["skip_reason"]);
        Assert.Equal("skipped", (string?)skipped["outcome"]);
        Assert.Equal("u-req", (string?)Assert.Single(skipped["excluded"]!.AsArray())!["user_id"]);

        var blocked = await SimulateAsync("sim.block", new JsonObject { ["requester"] = "u-req" });
        Assert.Equal("rejected", (string?)blocked["outcome"]);
        var stage = StageOf(blocked, 1);
        Assert.Equal("rejected", (string?)stage["outcome"]);
        Assert.False((bool)stage["skipped"]!);
        Assert.Empty(Strings(stage["resolved_approvers"]));

        var fine = await SimulateAsync("sim.block", new JsonObject { ["requester"] = "u-other" });
        Assert.Null(fine["outcome"]);
        Assert.Equal(["u-req"], Strings(StageOf(fine, 1)["resolved_approvers"]));
    }

    [Fact]
    public async Task Every_stage_skipped_means_approved_and_an_empty_body_means_an_empty_context()
    {
        var approved = await SimulateAsync("sim.fast", new JsonObject { ["context"] = new JsonObject { ["fast_track"] = true } });
        Assert.Equal("approved", (string?)approved["outcome"]);

        var normal = await SimulateAsync("sim.fast", null);
        Assert.Null(normal["outcome"]);
        Assert.Equal(["u-alice"], Strings(StageOf(normal, 1)["resolved_approvers"]));
    }

    [Fact]
    public async Task A_role_rule_without_keycloak_is_503_AWE_011_with_a_clear_message_and_writes_nothing()
    {
        var auditBefore = (await _admin.GetJson("/v1/awe/admin/audit?limit=1000")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

        var message = EnvelopeAssert.ErrorMessage(await _admin.PostJson("/v1/awe/policies/sim.role/versions/1/simulate", new JsonObject()),
            HttpStatusCode.ServiceUnavailable, "AWE-011");

        Assert.Contains("'role' rules", message);
        Assert.Contains("Keycloak", message);
        Assert.Contains("awe.keycloak.base_url", message);
        Assert.Equal(auditBefore, (await _admin.GetJson("/v1/awe/admin/audit?limit=1000")).Expect(HttpStatusCode.OK).Json.AsArray().Count);
    }

    [Fact]
    public async Task Simulating_writes_no_request_task_event_or_audit_row()
    {
        var auditBefore = (await _admin.GetJson("/v1/awe/admin/audit?limit=1000")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

        foreach (var key in new[] { "sim.main", "sim.block", "sim.fast" })
            await SimulateAsync(key, new JsonObject { ["context"] = new JsonObject { ["amount"] = 5000, ["reviewer"] = "u-rita" }, ["requester"] = "u-req" });

        Assert.Empty((await _admin.GetJson("/v1/awe/requests")).Expect(HttpStatusCode.OK).Json.AsArray());
        var tasks = (await _admin.GetJson("/v1/awe/tasks?assignee=*&status=open")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(0, (int?)tasks["total"]);
        Assert.Equal(auditBefore, (await _admin.GetJson("/v1/awe/admin/audit?limit=1000")).Expect(HttpStatusCode.OK).Json.AsArray().Count);
        var versions = (await _admin.GetJson("/v1/awe/policies/sim.main/versions")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal("draft", (string?)Assert.Single(versions)!["status"]); // simulating a draft neither compiles nor activates it
        var workflow = (await _admin.GetJson("/v1/awe/policies/sim.main/versions/1/workflow")).Expect(HttpStatusCode.OK).Json;
        Assert.True((bool)workflow["preview"]!);
    }

    [Theory]
    [InlineData("""{"ctx": {}}""", "ctx")]
    [InlineData("""{"context": [1]}""", "context")]
    [InlineData("""{"context": "amount=5"}""", "context")]
    [InlineData("""{"requester": 42}""", "requester")]
    public async Task A_malformed_simulate_body_is_422_naming_the_field(string body, string path)
    {
        var errors = EnvelopeAssert.Error(await _admin.PostJson("/v1/awe/policies/sim.main/versions/1/simulate", body),
            HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal(path, (string?)Assert.Single(errors)!["path"]);
    }

    [Fact]
    public async Task Simulate_needs_a_viewer_role_and_an_existing_version()
    {
        EnvelopeAssert.Error(await _admin.PostJson("/v1/awe/policies/sim.main/versions/7/simulate", new JsonObject()), HttpStatusCode.NotFound, "AWE-001");
        EnvelopeAssert.Error(await _admin.PostJson("/v1/awe/policies/sim.none/versions/1/simulate", new JsonObject()), HttpStatusCode.NotFound, "AWE-001");
        EnvelopeAssert.Error(await fx.As("u-nobody").PostJson("/v1/awe/policies/sim.main/versions/1/simulate", new JsonObject()), HttpStatusCode.Forbidden, "AWE-008");
    }
}
