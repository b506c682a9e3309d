using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;
using Awe.Activities.Model;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;

namespace Awe.Activities.Tests.Runtime;

public class RuleResolverTests
{
    private static RuleSpec Rule(string type, string valueJson) =>
        new("r-1", type, JsonNode.Parse(valueJson)!.AsObject(), TaskKind.Approver, false);

    private static readonly JsonNode Context = JsonNode.Parse("""
        {"officer": "u-off", "padded": "  u-pad  ", "blank": "   ", "team": ["u-a", "", null, 0, false, "u-b", 7, " u-c "],
         "amount": 12, "flag": true, "nested": {"x": "u-x"}, "zero": 0}
        """)!;

    // (logic, expected user ids); a string or number result is one user, a list its truthy items, a falsy result nobody.
    [Theory]
    [InlineData("""{"var":"officer"}""", new[] { "u-off" })]
    [InlineData("""{"var":"padded"}""", new[] { "u-pad" })]
    [InlineData("""{"var":"blank"}""", new string[0])]
    [InlineData("\"u-literal\"", new[] { "u-literal" })]
    [InlineData("""{"var":"team"}""", new[] { "u-a", "u-b", "7", "u-c" })]
    [InlineData("""{"if":[{">":[{"var":"amount"},10]},["u-big","u-boss"],"u-small"]}""", new[] { "u-big", "u-boss" })]
    [InlineData("""{"if":[{">":[{"var":"amount"},100]},["u-big","u-boss"],"u-small"]}""", new[] { "u-small" })]
    [InlineData("""{"var":"amount"}""", new[] { "12" })]
    [InlineData("""{"var":"zero"}""", new string[0])]
    [InlineData("""{"var":"missing"}""", new string[0])]
    [InlineData("[]", new string[0])]
    public void Expression_results_become_user_ids(string logic, string[] expected)
    {
        var rule = new RuleSpec("r-1", "expression", new JsonObject { ["logic"] = JsonNode.Parse(logic) }, TaskKind.Approver, false);
        Assert.Equal(expected, RuleResolver.ResolveExpression(rule, Context));
    }

    // Before: an object or a list inside the list became an "id" such as '["a","b"]' (an assignee nobody is).
    [Theory]
    [InlineData("""{"var":"nested"}""", "{\"x\":\"u-x\"}")]
    [InlineData("""{"var":"flag"}""", "true")]
    [InlineData("""[["u-a","u-b"]]""", "[\"u-a\",\"u-b\"]")]
    [InlineData("""["u-a",{"var":"nested"}]""", "{\"x\":\"u-x\"}")]
    [InlineData("""["u-a",true]""", "true")]
    public void A_value_that_is_not_a_string_or_number_is_not_an_id(string logic, string value)
    {
        var rule = new RuleSpec("r-1", "expression", new JsonObject { ["logic"] = JsonNode.Parse(logic) }, TaskKind.Approver, false);
        var error = Assert.Throws<UnusableApproversException>(() => RuleResolver.ResolveExpression(rule, Context));
        Assert.Contains(value, error.Message);
        Assert.Contains("only strings and numbers are user ids", error.Message);
    }

    [Theory]
    [InlineData("""{"/":[1,{"var":"zero"}]}""")]
    [InlineData("""{"no_such_operator":[1]}""")]
    [InlineData("""{"==":[1]}""")]
    public void An_expression_that_cannot_be_evaluated_is_a_resolution_failure(string logic)
    {
        var rule = new RuleSpec("r-1", "expression", new JsonObject { ["logic"] = JsonNode.Parse(logic) }, TaskKind.Approver, false);
        var error = Assert.Throws<ApproverResolutionException>(() => RuleResolver.ResolveExpression(rule, Context));
        Assert.StartsWith("expression rule failed: ", error.Message);
        Assert.IsType<JsonLogicException>(error.InnerException);
    }

    [Fact]
    public async Task User_rules_resolve_literally_and_trimmed()
    {
        var resolver = new RuleResolver(new UnconfiguredDirectoryResolver());
        var input = new ResolutionInput(Context, new ApprovalRequest());
        Assert.Equal(["u-a"], await resolver.ResolveAsync(Rule("user", """{"user_id":" u-a "}"""), input, CancellationToken.None));
        Assert.Equal(["u-off"], await resolver.ResolveAsync(Rule("expression", """{"logic":{"var":"officer"}}"""), input, CancellationToken.None));
    }

    [Theory]
    [InlineData("role", """{"role":"finance"}""", "Keycloak")]
    [InlineData("group", """{"group":"/finance"}""", "Keycloak")]
    [InlineData("http", """{"url":"https://x.example/resolve"}""", "not supported by this server yet")]
    public async Task Directory_rules_fail_clearly_until_a_directory_is_configured(string type, string value, string fragment)
    {
        var resolver = new RuleResolver(new UnconfiguredDirectoryResolver());
        var error = await Assert.ThrowsAsync<ApproverResolutionException>(() =>
            resolver.ResolveAsync(Rule(type, value), new ResolutionInput(Context, new ApprovalRequest()), CancellationToken.None));
        Assert.Contains(fragment, error.Message);
    }
}

public class SearchTextTests
{
    [Theory]
    [InlineData("{}", "loan L-1001 loan-approval")]
    [InlineData("""{"amount": 1500, "currency": "EUR"}""", "loan L-1001 loan-approval amount:1500 currency:EUR")]
    [InlineData("""{"applicant": {"name": "Ada", "address": {"district": "D1"}}}""",
        "loan L-1001 loan-approval applicant.name:Ada applicant.address.district:D1")]
    [InlineData("""{"tags": ["urgent", "new"], "items": [{"sku": "x"}, {"sku": "y"}]}""",
        "loan L-1001 loan-approval tags:urgent tags:new items.sku:x items.sku:y")]
    [InlineData("""{"flag": true, "ratio": 0.5, "none": null, "empty": ""}""", "loan L-1001 loan-approval flag:true ratio:0.5 empty:")]
    public void Search_text_flattens_the_context_after_artifact_and_policy(string context, string expected)
    {
        var request = new ApprovalRequest
        {
            ArtifactType = "loan", ArtifactId = "L-1001", PolicyKey = "loan-approval", Context = JsonNode.Parse(context)!,
        };
        Assert.Equal(expected, ApprovalRunner.SearchText(request));
    }

    [Fact]
    public async Task The_request_holds_the_search_text_once_instead_of_every_task()
    {
        var e = new Engine();
        var i = await e.StartAsync(Build.Policy(Build.Stage(1, Build.User("u-a"), Build.Observer("u-o"))),
            new JsonObject { ["district"] = "D7" });
        Assert.Equal("loan L-1001 loan-approval district:D7", i.Request.SearchText);
    }
}
