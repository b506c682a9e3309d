using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Contract;

/// <summary>The policy files in workflows/ are accepted by the API as they are, activate, and behave as their descriptions say.</summary>
public sealed class WorkflowFileTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    public static TheoryData<string> Files() =>
        new(Directory.GetFiles(Path.Combine(OpenApiDocumentTests.RepositoryRoot(), "workflows"), "*.json").Select(Path.GetFileName)!);

    private static JsonObject Load(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(OpenApiDocumentTests.RepositoryRoot(), "workflows", file)))!.AsObject();

    [Theory]
    [MemberData(nameof(Files))]
    public async Task File_is_accepted_as_a_policy_and_activates(string file)
    {
        var policy = Load(file);
        var key = policy["policy_key"]!.GetValue<string>();
        var created = (await fx.Admin.PostJson("/v1/awe/policies", policy)).Expect(HttpStatusCode.Created);
        Assert.Equal(policy["stages"]!.AsArray().Count, created.Json["stages"]!.AsArray().Count);
        (await fx.Admin.PostJson($"/v1/awe/policies/{key}/versions/1/activate")).Expect(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(500, new[] { "tasks", "skipped", "skipped" })]
    [InlineData(10_000, new[] { "tasks", "tasks", "skipped" })]
    [InlineData(250_000, new[] { "tasks", "tasks", "tasks" })]
    public async Task Payment_policy_adds_approvers_as_the_amount_grows(int amount, string[] outcomes)
    {
        var policy = Load("payment-by-amount.json");
        policy["policy_key"] = $"payment.sim.{amount}";
        (await fx.Admin.PostJson("/v1/awe/policies", policy)).Expect(HttpStatusCode.Created);
        var simulation = (await fx.Admin.PostJson($"/v1/awe/policies/payment.sim.{amount}/versions/1/simulate",
            new JsonObject { ["context"] = new JsonObject { ["amount"] = amount }, ["requester"] = "u-clerk" })).Expect(HttpStatusCode.OK);
        Assert.Equal(outcomes, simulation.Json["stages"]!.AsArray().Select(s => s!["outcome"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Registry_enrolment_runs_officer_and_local_office_in_parallel()
    {
        var policy = Load("registry-enrolment.json");
        policy["policy_key"] = "registry.enrolment.workflow";
        (await fx.Admin.PostJson("/v1/awe/policies", policy)).Expect(HttpStatusCode.Created);
        var workflow = (await fx.Admin.GetJson("/v1/awe/policies/registry.enrolment.workflow/versions/1/workflow")).Expect(HttpStatusCode.OK);
        var stages = (await fx.Admin.GetJson("/v1/awe/policies/registry.enrolment.workflow/versions/1")).Expect(HttpStatusCode.OK).Json["stages"]!.AsArray();
        Assert.Equal(new int?[] { 1, 1, null }, stages.Select(s => s!["parallel_group"]?.GetValue<int>()));
        Assert.Equal(new[] { "role", "group", "role", "group" }, stages.SelectMany(s => s!["rules"]!.AsArray()).Select(r => r!["rule_type"]!.GetValue<string>()));
        // Two stage groups: the officer and the local office together, then the registrar alone.
        var groups = workflow.Json["nodes"]!.AsArray().Where(n => n!["type"]!.GetValue<string>() == "stage_group")
            .Select(n => n!["stage_orders"]!.AsArray().Select(o => o!.GetValue<int>()).ToArray()).ToList();
        Assert.Equal([[1, 2], [3]], groups);
    }
}
