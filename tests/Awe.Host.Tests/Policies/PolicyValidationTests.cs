using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Policies;

/// <summary>
/// A policy document is checked whole: every problem comes back at once, each with the JSON path of the offending
/// value, as 422 AWE-012; and nothing is written.
/// </summary>
public sealed class PolicyValidationTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private readonly HttpClient _admin = fx.Admin;

    private const string ManyMistakes = """
        {
          "policy_key": "val.many",
          "artifact_type": 42,
          "forbid_self_approval": "yes",
          "min_approvals": 2,
          "stages": [
            {
              "name": "Everything wrong with rules", "stage_order": 1, "mode": "sometimes",
              "rules": [
                {"rule_type": "role", "rule_value": {"client": "registry"}},
                {"rule_type": "group", "rule_value": {}},
                {"rule_type": "user", "rule_value": {}},
                {"rule_type": "expression", "rule_value": {}},
                {"rule_type": "http", "rule_value": {}},
                {"rule_type": "expression", "rule_value": {"logic": {"no_such_operator": [1, 2]}}},
                {"rule_type": "user", "rule_value": {"user_id": "u-olga"}, "kind": "observer", "required": true},
                {"rule_type": "http", "rule_value": {"url": "ftp://resolver.example/users"}},
                {"rule_value": {"user_id": "u-x"}},
                {"rule_type": "robot", "rule_value": {"user_id": "u-x"}},
                {"rule_type": "user", "rule_value": "u-x"}
              ]
            },
            {
              "name": "Colon syntax", "stage_order": 2, "mode": "quorum:2", "mode_value": 0,
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-alice"}}]
            },
            {
              "name": "Too much percent", "stage_order": 3, "mode": "percentage", "mode_value": 101,
              "skip_if": {"bogus": [{"var": "amount"}]},
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-alice"}}]
            },
            {
              "name": "Zero percent, reused order", "stage_order": 3, "mode": "percentage", "mode_value": 0,
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-alice"}}]
            },
            {
              "name": "Nobody approves", "stage_order": 5,
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-olga"}, "kind": "observer"}]
            },
            {
              "name": 5, "stage_order": "6", "sla_hours": true, "min_approvals": 2, "on_empty": "sometimes",
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-alice"}}]
            }
          ]
        }
        """;

    private static readonly string[] ManyMistakesPaths =
    [
        "name",
        "artifact_type",
        "forbid_self_approval",
        "min_approvals",
        "stages[0].mode",
        "stages[0].rules[0].rule_value.role",
        "stages[0].rules[1].rule_value.group",
        "stages[0].rules[2].rule_value.user_id",
        "stages[0].rules[3].rule_value.logic",
        "stages[0].rules[4].rule_value.url",
        "stages[0].rules[5].rule_value.logic",
        "stages[0].rules[6].required",
        "stages[0].rules[7].rule_value.url",
        "stages[0].rules[8].rule_type",
        "stages[0].rules[9].rule_type",
        "stages[0].rules[10].rule_value",
        "stages[1].mode",
        "stages[1].mode_value",
        "stages[2].mode_value",
        "stages[2].skip_if",
        "stages[3].mode_value",
        "stages[3].stage_order",
        "stages[4].rules",
        "stages[5].name",
        "stages[5].stage_order",
        "stages[5].sla_hours",
        "stages[5].min_approvals",
        "stages[5].on_empty",
    ];

    private async Task<int> PolicyCountAsync() =>
        (await _admin.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

    private async Task<int> AuditCountAsync() =>
        (await _admin.GetJson("/v1/awe/admin/audit?resource_type=policy&limit=1000")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

    /// <summary>Posts the document and returns each problem's path mapped to its message; asserts 422 AWE-012 and the envelope.</summary>
    private async Task<List<(string Path, string Message)>> RejectedAsync(object document, string url = "/v1/awe/policies", HttpMethod? method = null)
    {
        var reply = await _admin.SendAsync(method ?? HttpMethod.Post, url, document);
        var errors = EnvelopeAssert.Error(reply, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.All(errors, e => Assert.Equal("AWE-012", (string?)e!["errorCode"]));
        return errors.Select(e => ((string?)e!["path"] ?? "", (string)e["message"]!)).ToList();
    }

    private static string MessageAt(List<(string Path, string Message)> problems, string path) =>
        Assert.Single(problems, p => p.Path == path).Message;

    [Fact]
    public async Task A_document_with_many_mistakes_reports_each_one_with_its_path_and_writes_nothing()
    {
        var policiesBefore = await PolicyCountAsync();
        var auditBefore = await AuditCountAsync();

        var problems = await RejectedAsync(ManyMistakes);

        Assert.Equal(ManyMistakesPaths.Order(), problems.Select(p => p.Path).Order());
        // Each message names its path, so the list reads on its own.
        Assert.All(problems, p => Assert.StartsWith($"{p.Path}: ", p.Message));

        Assert.Contains("is required", MessageAt(problems, "name"));
        Assert.Contains("must be a string", MessageAt(problems, "artifact_type"));
        Assert.Contains("true or false", MessageAt(problems, "forbid_self_approval"));
        Assert.Contains("mode and mode_value", MessageAt(problems, "min_approvals")); // a hint, not just "unknown"
        Assert.Contains("any-n", MessageAt(problems, "stages[5].min_approvals"));
        Assert.Contains("'all', 'any-n', 'quorum', 'percentage'", MessageAt(problems, "stages[0].mode"));
        var colon = MessageAt(problems, "stages[1].mode");
        Assert.Contains("'quorum'", colon);
        Assert.Contains("mode_value", colon);
        Assert.Contains("≥ 1", MessageAt(problems, "stages[1].mode_value"));
        Assert.Contains("between 1 and 100", MessageAt(problems, "stages[2].mode_value"));
        Assert.Contains("≥ 1", MessageAt(problems, "stages[3].mode_value"));
        Assert.Contains("already used by stages[2]", MessageAt(problems, "stages[3].stage_order"));
        Assert.Contains("JSONLogic", MessageAt(problems, "stages[2].skip_if"));
        Assert.Contains("bogus", MessageAt(problems, "stages[2].skip_if"));
        Assert.Contains("no_such_operator", MessageAt(problems, "stages[0].rules[5].rule_value.logic"));
        Assert.Contains("is required", MessageAt(problems, "stages[0].rules[3].rule_value.logic"));
        Assert.Contains("observer", MessageAt(problems, "stages[0].rules[6].required"));
        Assert.Contains("http(s)", MessageAt(problems, "stages[0].rules[7].rule_value.url"));
        Assert.Contains("is required", MessageAt(problems, "stages[0].rules[8].rule_type"));
        Assert.Contains("'user', 'role', 'group', 'expression', 'http'", MessageAt(problems, "stages[0].rules[9].rule_type"));
        Assert.Contains("must be an object", MessageAt(problems, "stages[0].rules[10].rule_value"));
        Assert.Contains("on_empty", MessageAt(problems, "stages[4].rules"));
        Assert.Contains("must be a string", MessageAt(problems, "stages[5].name"));
        Assert.Contains("must be an integer", MessageAt(problems, "stages[5].stage_order"));
        Assert.Contains("must be an integer", MessageAt(problems, "stages[5].sla_hours"));
        Assert.Contains("'skip', 'block'", MessageAt(problems, "stages[5].on_empty"));

        Assert.Equal(policiesBefore, await PolicyCountAsync());
        EnvelopeAssert.Error(await _admin.GetJson("/v1/awe/policies/val.many/versions"), HttpStatusCode.NotFound, "AWE-001");
        Assert.Equal(auditBefore, await AuditCountAsync());
    }

    public static TheoryData<string, string, string, string> MissingRuleFields => new()
    {
        // rule_type, rule_value, path under the rule, words the message must contain
        { "user", """{"name": "alice"}""", "rule_value.user_id", "is required" },
        { "user", """{"user_id": ""}""", "rule_value.user_id", "must not be empty" },
        { "user", """{"user_id": 7}""", "rule_value.user_id", "must be a string" },
        { "role", """{}""", "rule_value.role", "is required" },
        { "role", """{"role": "MANAGER", "client": 3}""", "rule_value.client", "must be a string" },
        { "group", """{"path": "/officers"}""", "rule_value.group", "is required" },
        { "expression", """{"expr": {"var": "x"}}""", "rule_value.logic", "is required" },
        { "expression", """{"logic": {"var": "a", "if": []}}""", "rule_value.logic", "JSONLogic" },
        { "expression", """{"logic": {"+": [1, {"unknown_op": 2}]}}""", "rule_value.logic", "unknown_op" },
        { "http", """{}""", "rule_value.url", "is required" },
        { "http", """{"url": "resolver/users"}""", "rule_value.url", "absolute http(s) URL" },
    };

    [Theory]
    [MemberData(nameof(MissingRuleFields))]
    public async Task Each_rule_type_requires_its_own_rule_value_fields(string ruleType, string ruleValue, string field, string expected)
    {
        var rule = new JsonObject { ["rule_type"] = ruleType, ["rule_value"] = JsonNode.Parse(ruleValue) };
        var document = Policy("val.rule", Stage(1, "all", null, User("u-alice"), rule));

        var problems = await RejectedAsync(document);

        var problem = Assert.Single(problems);
        Assert.Equal($"stages[0].rules[1].{field}", problem.Path);
        Assert.Contains(expected, problem.Message);
    }

    public static TheoryData<string, string> ValidRules => new()
    {
        { "user", """{"user_id": "u-bob"}""" },
        { "role", """{"role": "MANAGER"}""" },
        { "role", """{"role": "MANAGER", "client": "registry-staff-portal"}""" },
        { "group", """{"group": "/states/d1/officers"}""" },
        { "expression", """{"logic": {"if": [{">": [{"var": "amount"}, 100]}, "u-big", "u-small"]}}""" },
        { "http", """{"url": "https://resolver.example/users"}""" },
    };

    [Theory]
    [MemberData(nameof(ValidRules))]
    public async Task Each_rule_type_with_its_fields_is_accepted(string ruleType, string ruleValue)
    {
        var key = $"val.ok.{ruleType}.{Guid.NewGuid():N}"[..40];
        var rule = new JsonObject { ["rule_type"] = ruleType, ["rule_value"] = JsonNode.Parse(ruleValue) };

        var created = (await _admin.PostJson("/v1/awe/policies", Policy(key, Stage(1, "all", null, rule)))).Expect(HttpStatusCode.Created).Json;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ruleValue), created["stages"]![0]!["rules"]![0]!["rule_value"]));
    }

    [Fact]
    public async Task A_stage_without_approver_rules_is_refused_unless_on_empty_is_skip()
    {
        var observersOnly = Stage(1, "all", null, User("u-olga", kind: "observer"));
        var noRules = Stage(2, "all", null);

        var problems = await RejectedAsync(Policy("val.empty", observersOnly.DeepClone().AsObject(), noRules.DeepClone().AsObject()));
        Assert.Equal(["stages[0].rules", "stages[1].rules"], problems.Select(p => p.Path).Order());
        Assert.All(problems, p => Assert.Contains("at least one approver rule", p.Message));
        EnvelopeAssert.Error(await _admin.GetJson("/v1/awe/policies/val.empty/versions"), HttpStatusCode.NotFound, "AWE-001");

        observersOnly["on_empty"] = "skip";
        noRules["on_empty"] = "SKIP";
        var created = (await _admin.PostJson("/v1/awe/policies", Policy("val.empty", observersOnly, noRules))).Expect(HttpStatusCode.Created).Json;
        Assert.All(created["stages"]!.AsArray(), s => Assert.Equal("skip", (string?)s!["on_empty"]));
    }

    [Theory]
    [InlineData("""{"name": 1}""", "name", "must be a string")]
    [InlineData("""{"stages": {"name": "S"}}""", "stages", "must be an array")]
    [InlineData("""{"stages": ["S1"]}""", "stages[0]", "must be an object")]
    [InlineData("""{"forbid_repeat_approvers": 1}""", "forbid_repeat_approvers", "true or false")]
    [InlineData("""{"description": ["a"]}""", "description", "must be a string")]
    [InlineData("""{"policy_key": "has space"}""", "policy_key", "letters, digits")]
    [InlineData("""{"key": "x"}""", "key", "policy_key")]
    public async Task Wrong_json_types_and_unknown_fields_at_the_top_level_are_named(string patch, string path, string expected)
    {
        var document = Policy("val.types", Stage(1, "all", null, User("u-alice")));
        foreach (var (name, value) in JsonNode.Parse(patch)!.AsObject()) document[name] = value?.DeepClone();

        var problem = Assert.Single(await RejectedAsync(document));

        Assert.Equal(path, problem.Path);
        Assert.Contains(expected, problem.Message);
    }

    [Theory]
    [InlineData("mode_value", "\"2\"", "must be an integer")]
    [InlineData("mode_value", "1.5", "must be an integer")]
    [InlineData("stage_order", "0", "≥ 1")]
    [InlineData("sla_hours", "0", "between 1 and 87600")]
    [InlineData("sla_hours", "2147483647", "87600")] // a deadline past the calendar's end would fail every request
    [InlineData("stage_order", "null", "is required")]
    [InlineData("parallel_group", "\"a\"", "must be an integer")]
    [InlineData("on_breach", "\"explode\"", "'notify', 'auto_approve', 'auto_reject', 'escalate'")]
    [InlineData("skip_if", "\"amount > 5\"", "JSONLogic rule object")]
    [InlineData("skip_if", """{"==": [1]}""", "JSONLogic")]
    [InlineData("rules", "{}", "must be an array")]
    [InlineData("order", "1", "stage_order")]
    [InlineData("approvers", "[]", "rules")]
    public async Task Wrong_json_types_and_unknown_fields_in_a_stage_are_named(string field, string value, string expected)
    {
        var stage = Stage(1, "any-n", 1, User("u-alice"));
        stage[field] = JsonNode.Parse(value);

        var problem = Assert.Single(await RejectedAsync(Policy("val.stage", stage)));

        Assert.Equal($"stages[0].{field}", problem.Path);
        Assert.Contains(expected, problem.Message);
    }

    [Fact]
    public async Task On_breach_needs_a_deadline_and_escalate_needs_escalation_rules()
    {
        var noDeadline = Stage(1, "all", null, User("u-alice"));
        noDeadline["on_breach"] = "auto_approve";
        var noEscalation = Stage(2, "all", null, User("u-alice"));
        noEscalation["on_breach"] = "escalate";
        noEscalation["sla_hours"] = 4;

        var problems = await RejectedAsync(Policy("val.breach", noDeadline, noEscalation));

        Assert.Equal(["stages[0].sla_hours", "stages[1].escalation_rules"], problems.Select(p => p.Path).Order());
    }

    [Fact]
    public async Task A_quorum_larger_than_the_named_approvers_is_refused()
    {
        var problems = await RejectedAsync(Policy("val.quorum", Stage(1, "any-n", 3, User("u-a"), User("u-b"), User("u-b"))));

        var problem = Assert.Single(problems);
        Assert.Equal("stages[0].mode_value", problem.Path);
        Assert.Contains("only 2 approver", problem.Message);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"policy\"")]
    [InlineData("null")]
    public async Task A_body_that_is_not_an_object_is_422(string body)
    {
        var problem = Assert.Single(await RejectedAsync(body));
        Assert.Contains("object", problem.Message);
    }

    [Fact]
    public async Task Put_and_patch_validate_the_same_way_and_write_nothing_on_422()
    {
        (await _admin.PostJson("/v1/awe/policies", Policy("val.edit", Stage(1, "all", null, User("u-alice"))))).Expect(HttpStatusCode.Created);
        var bad = Policy("val.edit", Stage(1, "quorum:2", null, User("u-alice")), Stage(1, "all", null, User("u-bob")));

        var put = await RejectedAsync(bad, "/v1/awe/policies/val.edit", HttpMethod.Put);
        Assert.Equal(["stages[0].mode", "stages[1].stage_order"], put.Select(p => p.Path).Order());
        var patch = await RejectedAsync(bad, "/v1/awe/policies/val.edit/versions/1", HttpMethod.Patch);
        Assert.Equal(["stages[0].mode", "stages[1].stage_order"], patch.Select(p => p.Path).Order());

        var versions = (await _admin.GetJson("/v1/awe/policies/val.edit/versions")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Single(versions);
        var stored = (await _admin.GetJson("/v1/awe/policies/val.edit/versions/1")).Expect(HttpStatusCode.OK).Json;
        var stage = Assert.Single(stored["stages"]!.AsArray())!;
        Assert.Equal("all", (string?)stage["mode"]);
    }

    [Fact]
    public async Task Fields_echoed_back_from_a_policy_out_are_accepted_when_prefilling_a_new_version()
    {
        var created = (await _admin.PostJson("/v1/awe/policies", Policy("val.echo", Stage(1, "all", null, User("u-alice"))))).Expect(HttpStatusCode.Created).Json;

        // The admin UI pre-fills a new version from the newest one, ids and timestamps included.
        var next = (await _admin.PutJson("/v1/awe/policies/val.echo", created)).Expect(HttpStatusCode.Created).Json;

        Assert.Equal((2, "draft"), ((int)next["version"]!, (string)next["status"]!));
        Assert.NotEqual((string?)created["stages"]![0]!["id"], (string?)next["stages"]![0]!["id"]);
    }
}
