using System.Text.Json.Nodes;
using Awe.Activities.Policies;

namespace Awe.Activities.Tests.Policies;

public class PolicyReaderTests
{
    // ---- document builders: each case writes only the part it is about ----

    private const string Head = """ "policy_key": "loan-approval", "name": "Loan approval", "artifact_type": "loan" """;
    private const string UserA = """{"rule_type": "user", "rule_value": {"user_id": "u-a"}}""";
    private const string UserB = """{"rule_type": "user", "rule_value": {"user_id": "u-b"}}""";

    /// <summary>A policy whose only top-level fields besides the required ones are <paramref name="extra"/>.</summary>
    private static string Doc(string extra = "") => extra.Length == 0 ? $"{{{Head}}}" : $"{{{Head}, {extra}}}";

    /// <summary>A policy with the given stage objects.</summary>
    private static string Stages(params string[] stages) => Doc($"\"stages\": [{string.Join(", ", stages)}]");

    /// <summary>A stage object: name, order and one user rule, plus <paramref name="extra"/> fields.</summary>
    private static string Stage(int order = 1, string extra = "", string rules = UserA) =>
        $$"""{"name": "Stage {{order}}", "stage_order": {{order}}, "rules": [{{rules}}]{{(extra.Length == 0 ? "" : ", " + extra)}}}""";

    /// <summary>A policy with one stage holding exactly the given rule objects.</summary>
    private static string Rules(params string[] rules) => Stages(Stage(rules: string.Join(", ", rules)));

    private static (PolicyInput? Policy, IReadOnlyList<ValidationProblem> Problems) Read(string json) =>
        PolicyReader.Read(JsonNode.Parse(json));

    // ---- invalid documents: (name, document, expected problems as "path → message fragment", in order) ----

    public sealed record Invalid(string Name, string Json, params string[] Expected);

    public static readonly Invalid[] InvalidCases =
    [
        // the body
        new("body is an array", "[]", " → must be an object, not an array"),
        new("body is a string", "\"policy\"", " → must be an object, not a string"),
        new("empty object", "{}", "policy_key → is required", "name → is required", "artifact_type → is required"),

        // policy fields
        new("policy_key with a space", """{"policy_key": "loan approval", "name": "n", "artifact_type": "loan"}""",
            "policy_key → may contain only letters, digits and . _ - :"),
        new("policy_key with a slash", """{"policy_key": "loans/approval", "name": "n", "artifact_type": "loan"}""",
            "policy_key → may contain only letters"),
        new("policy_key too long", $$"""{"policy_key": "{{new string('k', 129)}}", "name": "n", "artifact_type": "loan"}""",
            "policy_key → must be at most 128 characters (got 129)"),
        new("blank name", """{"policy_key": "k", "name": "   ", "artifact_type": "loan"}""", "name → must not be empty"),
        new("name is a number", """{"policy_key": "k", "name": 5, "artifact_type": "loan"}""", "name → must be a string, not a number"),
        new("artifact_type is an object", """{"policy_key": "k", "name": "n", "artifact_type": {}}""",
            "artifact_type → must be a string, not an object"),
        new("description too long", Doc($"\"description\": \"{new string('d', 1025)}\""), "description → must be at most 1024 characters"),
        new("forbid_self_approval as a string", Doc("\"forbid_self_approval\": \"yes\""),
            "forbid_self_approval → must be true or false, not a string"),
        new("forbid_repeat_approvers as a number", Doc("\"forbid_repeat_approvers\": 1"),
            "forbid_repeat_approvers → must be true or false, not a number"),
        new("stages is an object", Doc("\"stages\": {}"), "stages → must be an array, not an object"),
        new("a stage is a number", Stages("5"), "stages[0] → must be an object, not a number"),

        // stage fields
        new("empty stage", Stages("{}"), "stages[0].name → is required", "stages[0].stage_order → is required"),
        new("stage_order 0", Stages("""{"name": "s", "stage_order": 0, "rules": [%A]}""".Replace("%A", UserA)),
            "stages[0].stage_order → must be ≥ 1 (got 0)"),
        new("stage_order fractional", Stages("""{"name": "s", "stage_order": 1.5, "rules": [%A]}""".Replace("%A", UserA)),
            "stages[0].stage_order → must be an integer, not a number"),
        new("stage_order as a string", Stages("""{"name": "s", "stage_order": "1", "rules": [%A]}""".Replace("%A", UserA)),
            "stages[0].stage_order → must be an integer, not a string"),
        new("stage_order beyond int", Stages("""{"name": "s", "stage_order": 3000000000, "rules": [%A]}""".Replace("%A", UserA)),
            "stages[0].stage_order → must be at most 2147483647 (got 3000000000)"),
        new("unknown mode", Stages(Stage(extra: "\"mode\": \"majority\"")),
            "stages[0].mode → must be one of 'all', 'any-n', 'quorum', 'percentage' (got 'majority')"),
        new("colon form of mode", Stages(Stage(extra: "\"mode\": \"Quorum:2\"")),
            "stages[0].mode → 'Quorum:2' uses a colon form; write mode 'quorum' and put the number in mode_value"),
        new("mode is a number", Stages(Stage(extra: "\"mode\": 2")), "stages[0].mode → must be a string, one of 'all'"),
        new("mode_value 0", Stages(Stage(extra: "\"mode\": \"any-n\", \"mode_value\": 0")), "stages[0].mode_value → must be ≥ 1 (got 0)"),
        new("percentage above 100", Stages(Stage(extra: "\"mode\": \"percentage\", \"mode_value\": 101")),
            "stages[0].mode_value → is a percentage and must be between 1 and 100 (got 101)"),
        new("sla_hours 0", Stages(Stage(extra: "\"sla_hours\": 0")), "stages[0].sla_hours → must be between 1 and 87600 (got 0)"),
        new("sla_hours beyond ten years", Stages(Stage(extra: "\"sla_hours\": 2147483647")), "stages[0].sla_hours → must be between 1 and 87600"),
        new("parallel_group fractional", Stages(Stage(extra: "\"parallel_group\": 1.5")),
            "stages[0].parallel_group → must be an integer, not a number"),
        new("unknown on_empty", Stages(Stage(extra: "\"on_empty\": \"maybe\"")),
            "stages[0].on_empty → must be one of 'skip', 'block' (got 'maybe')"),
        new("unknown on_breach", Stages(Stage(extra: "\"sla_hours\": 4, \"on_breach\": \"panic\"")),
            "stages[0].on_breach → must be one of 'notify', 'auto_approve', 'auto_reject', 'escalate' (got 'panic')"),
        new("on_breach without sla_hours", Stages(Stage(extra: "\"on_breach\": \"notify\"")),
            "stages[0].sla_hours → is required when on_breach is set ('notify' needs a deadline)"),
        new("escalate without escalation rules", Stages(Stage(extra: "\"sla_hours\": 4, \"on_breach\": \"escalate\"")),
            "stages[0].escalation_rules → must list at least one rule when on_breach is 'escalate'"),
        new("escalate without escalation rules or sla_hours", Stages(Stage(extra: "\"on_breach\": \"escalate\"")),
            "stages[0].escalation_rules → must list at least one rule", "stages[0].sla_hours → is required when on_breach is set"),
        new("skip_if is a string", Stages(Stage(extra: "\"skip_if\": \"amount < 100\"")),
            "stages[0].skip_if → must be a JSONLogic rule object"),
        new("skip_if with an unknown operator", Stages(Stage(extra: """ "skip_if": {"smaller": [{"var": "amount"}, 100]} """)),
            "stages[0].skip_if → is not valid JSONLogic: unknown operator 'smaller'"),
        new("skip_if with two problems", Stages(Stage(extra: """ "skip_if": {"and": [{"nope": 1}, {"==": [1]}]} """)),
            "stages[0].skip_if → is not valid JSONLogic: at and[0]: unknown operator 'nope'",
            "stages[0].skip_if → is not valid JSONLogic: at and[1]:"),
        new("rules is an object", Stages("""{"name": "s", "stage_order": 1, "rules": {}}"""), "stages[0].rules → must be an array, not an object"),
        new("no rules", Stages("""{"name": "s", "stage_order": 1}"""),
            "stages[0].rules → needs at least one approver rule (or set on_empty to 'skip' to let an empty stage pass)"),
        new("only observer rules", Rules("""{"rule_type": "user", "rule_value": {"user_id": "u-o"}, "kind": "observer"}"""),
            "stages[0].rules → needs at least one approver rule"),

        // rules
        new("a rule is a string", Rules("\"u-a\""), "stages[0].rules[0] → must be an object, not a string"),
        new("rule without rule_type", Rules("""{"rule_value": {"user_id": "u-a"}}"""), "stages[0].rules[0].rule_type → is required"),
        new("unknown rule_type", Rules("""{"rule_type": "robot", "rule_value": {}}"""),
            "stages[0].rules[0].rule_type → must be one of 'user', 'role', 'group', 'expression', 'http' (got 'robot')"),
        new("rule without rule_value", Rules("""{"rule_type": "user"}"""),
            "stages[0].rules[0].rule_value → is required and must be an object"),
        new("rule_value is a string", Rules("""{"rule_type": "user", "rule_value": "u-a"}"""),
            "stages[0].rules[0].rule_value → must be an object, not a string"),
        new("user rule without user_id", Rules("""{"rule_type": "user", "rule_value": {"id": "u-a"}}"""),
            "stages[0].rules[0].rule_value.user_id → is required"),
        new("role rule without role", Rules("""{"rule_type": "role", "rule_value": {"name": "finance"}}"""),
            "stages[0].rules[0].rule_value.role → is required"),
        new("role rule with a numeric client", Rules("""{"rule_type": "role", "rule_value": {"role": "finance", "client": 5}}"""),
            "stages[0].rules[0].rule_value.client → must be a string, not a number"),
        new("group rule without group", Rules("""{"rule_type": "group", "rule_value": {}}"""),
            "stages[0].rules[0].rule_value.group → is required"),
        new("group rule with a string include_subgroups", Rules("""{"rule_type": "group", "rule_value": {"group": "/f", "include_subgroups": "yes"}}"""),
            "stages[0].rules[0].rule_value.include_subgroups → must be true or false, not a string"),
        new("expression without logic", Rules("""{"rule_type": "expression", "rule_value": {}}"""),
            "stages[0].rules[0].rule_value.logic → is required: a JSONLogic rule that yields a user id or a list of user ids"),
        new("expression with invalid logic", Rules("""{"rule_type": "expression", "rule_value": {"logic": {"pick": [1]}}}"""),
            "stages[0].rules[0].rule_value.logic → is not valid JSONLogic: unknown operator 'pick'"),
        new("http rule with an ftp url", Rules("""{"rule_type": "http", "rule_value": {"url": "ftp://resolver.example/x"}}"""),
            "stages[0].rules[0].rule_value.url → must be an absolute http(s) URL (got 'ftp://resolver.example/x')"),
        new("http rule with a relative url", Rules("""{"rule_type": "http", "rule_value": {"url": "/resolve"}}"""),
            "stages[0].rules[0].rule_value.url → must be an absolute http(s) URL"),
        new("unknown kind", Rules("""{"rule_type": "user", "rule_value": {"user_id": "u-a"}, "kind": "boss"}"""),
            "stages[0].rules[0].kind → must be one of 'approver', 'observer' (got 'boss')"),
        new("required as a string", Rules("""{"rule_type": "user", "rule_value": {"user_id": "u-a"}, "required": "true"}"""),
            "stages[0].rules[0].required → must be true or false, not a string"),
        new("required observer", Rules(UserA, """{"rule_type": "user", "rule_value": {"user_id": "u-o"}, "kind": "observer", "required": true}"""),
            "stages[0].rules[1].required → cannot be true for an observer (observers never vote)"),
        new("bad escalation rule", Stages(Stage(extra: """ "sla_hours": 4, "on_breach": "escalate", "escalation_rules": [{"rule_value": {"user_id": "u-boss"}}] """)),
            "stages[0].escalation_rules[0].rule_type → is required"),

        // across stages
        new("duplicate stage_order", Stages(Stage(1), Stage(2), Stage(1, rules: UserB)),
            "stages[2].stage_order → 1 is already used by stages[0]; stage_order must be unique"),
        new("duplicate stage_order written as 1 and 1.0",
            Stages(Stage(1), """{"name": "again", "stage_order": 1.0, "rules": [%B]}""".Replace("%B", UserB)),
            "stages[1].stage_order → 1 is already used by stages[0]"),
        new("parallel group split by a sequential stage",
            Stages(Stage(1, "\"parallel_group\": 1"), Stage(2), Stage(3, "\"parallel_group\": 1")),
            "stages[2].parallel_group → group 1 is split by other stages; stages of one parallel group must have consecutive stage_order values"),
        new("parallel group split by another group",
            Stages(Stage(1, "\"parallel_group\": 1"), Stage(2, "\"parallel_group\": 2"), Stage(3, "\"parallel_group\": 1")),
            "stages[2].parallel_group → group 1 is split"),
        new("parallel group split, stages listed out of order",
            Stages(Stage(3, "\"parallel_group\": 1"), Stage(1, "\"parallel_group\": 1"), Stage(2)),
            "stages[0].parallel_group → group 1 is split"),

        // quorum nobody can reach with the users named
        new("any-n above the number of literal users", Stages(Stage(extra: "\"mode\": \"any-n\", \"mode_value\": 3", rules: $"{UserA}, {UserB}")),
            "stages[0].mode_value → needs 3 approvals but the stage names only 2 approver(s); lower mode_value or add approvers"),
        new("quorum counts a user listed twice once", Stages(Stage(extra: "\"mode\": \"quorum\", \"mode_value\": 2", rules: $"{UserA}, {UserA}")),
            "stages[0].mode_value → needs 2 approvals but the stage names only 1 approver(s)"),
        new("a padded user id is the same user", Stages(Stage(extra: "\"mode\": \"any-n\", \"mode_value\": 2",
                rules: UserA + """, {"rule_type": "user", "rule_value": {"user_id": " u-a "}}""")),
            "stages[0].mode_value → needs 2 approvals but the stage names only 1 approver(s)"),
        new("observers do not count toward the quorum",
            Stages(Stage(extra: "\"mode\": \"any-n\", \"mode_value\": 2",
                rules: UserA + """, {"rule_type": "user", "rule_value": {"user_id": "u-o"}, "kind": "observer"}""")),
            "stages[0].mode_value → needs 2 approvals but the stage names only 1 approver(s)"),

        // unknown fields, with hints where a likely intent is known
        new("unknown top-level field", Doc("\"owner\": \"x\""), "owner → is not a known field"),
        new("min_approvals at the top", Doc("\"min_approvals\": 2"),
            "min_approvals → is not a known field (set a stage's mode and mode_value instead)"),
        new("key instead of policy_key", """{"key": "k", "name": "n", "artifact_type": "loan"}""",
            "key → is not a known field (did you mean policy_key?)", "policy_key → is required"),
        new("order instead of stage_order", Stages("""{"name": "s", "order": 1, "rules": [%A]}""".Replace("%A", UserA)),
            "stages[0].order → is not a known field (did you mean stage_order?)", "stages[0].stage_order → is required"),
        new("approvers instead of rules", Stages("""{"name": "s", "stage_order": 1, "approvers": ["u-a"]}"""),
            "stages[0].approvers → is not a known field (did you mean rules?)"),
        new("min_approvals on a stage", Stages(Stage(extra: "\"min_approvals\": 1")),
            "stages[0].min_approvals → is not a known field (use mode 'any-n' with mode_value)"),
        new("unknown rule field", Rules("""{"rule_type": "user", "rule_value": {"user_id": "u-a"}, "weight": 2}"""),
            "stages[0].rules[0].weight → is not a known field"),
    ];

    public static TheoryData<string> InvalidNames() => new(InvalidCases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void Invalid_documents_report_each_problem_with_its_path(string name)
    {
        var c = InvalidCases.Single(x => x.Name == name);
        var (policy, problems) = Read(c.Json);

        Assert.Null(policy);
        Assert.True(problems.Count == c.Expected.Length,
            $"expected {c.Expected.Length} problem(s), got {problems.Count}:\n{string.Join("\n", problems)}");
        for (var i = 0; i < c.Expected.Length; i++)
        {
            var parts = c.Expected[i].Split(" → ", 2);
            Assert.Equal(parts[0].Trim(), problems[i].Path);
            Assert.Contains(parts[1], problems[i].Message);
        }
    }

    [Fact]
    public void Case_names_are_unique() =>
        Assert.Equal(InvalidCases.Length, InvalidCases.Select(c => c.Name).Distinct().Count());

    [Fact]
    public void A_missing_body_is_one_problem_at_the_root()
    {
        var (policy, problems) = PolicyReader.Read(null);
        Assert.Null(policy);
        Assert.Equal([new ValidationProblem("", "is required and must be an object")], problems);
    }

    [Fact]
    public void Many_problems_across_levels_are_reported_in_one_pass()
    {
        var (policy, problems) = Read("""
            {
              "policy_key": "bad key",
              "artifact_type": "loan",
              "forbid_self_approval": "no",
              "min_approvals": 2,
              "stages": [
                {"name": "A", "stage_order": 1, "mode": "percentage", "mode_value": 150,
                 "rules": [{"rule_type": "user", "rule_value": {}}]},
                {"name": "B", "stage_order": 1, "on_empty": "sometimes",
                 "rules": [{"rule_type": "http", "rule_value": {"url": "nope"}, "kind": "observer", "required": true}]},
                {"stage_order": 3, "skip_if": {"unknown": []}, "rules": []}
              ]
            }
            """);
        Assert.Null(policy);
        Assert.Equal(
            [
                "min_approvals: is not a known field (set a stage's mode and mode_value instead)",
                "policy_key: may contain only letters, digits and . _ - : (no spaces or slashes)",
                "name: is required",
                "forbid_self_approval: must be true or false, not a string",
                "stages[0].mode_value: is a percentage and must be between 1 and 100 (got 150)",
                "stages[0].rules[0].rule_value.user_id: is required",
                "stages[1].on_empty: must be one of 'skip', 'block' (got 'sometimes')",
                "stages[1].rules[0].required: cannot be true for an observer (observers never vote)",
                "stages[1].rules[0].rule_value.url: must be an absolute http(s) URL (got 'nope')",
                "stages[2].name: is required",
                "stages[2].skip_if: is not valid JSONLogic: unknown operator 'unknown'",
                "stages[1].stage_order: 1 is already used by stages[0]; stage_order must be unique",
            ],
            problems.Select(p => p.ToString()));
    }

    // ---- valid documents ----

    [Fact]
    public void A_full_document_reads_into_policy_input()
    {
        var (policy, problems) = Read("""
            {
              "policy_key": "loan-approval.v2:eu_west",
              "name": "Loan approval",
              "description": "Two-step loan approval",
              "artifact_type": "loan",
              "forbid_self_approval": true,
              "forbid_repeat_approvers": true,
              "stages": [
                {"name": "Committee", "stage_order": 2, "mode": "ANY-N", "mode_value": 2, "sla_hours": 48,
                 "parallel_group": 5, "on_empty": "Skip", "on_breach": "escalate",
                 "skip_if": {"<": [{"var": "amount"}, 1000]},
                 "escalation_rules": [{"rule_type": "role", "rule_value": {"role": "director"}}],
                 "rules": [
                   {"rule_type": "Role", "rule_value": {"role": "credit", "client": "portal"}, "required": true},
                   {"rule_type": "expression", "rule_value": {"logic": {"var": "officer"}}},
                   {"rule_type": "user", "rule_value": {"user_id": "u-audit"}, "kind": "OBSERVER"}
                 ]},
                {"name": "Branch", "stage_order": 1, "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-a"}}]}
              ]
            }
            """);

        Assert.Empty(problems);
        Assert.NotNull(policy);
        Assert.Equal(("loan-approval.v2:eu_west", "Loan approval", "Two-step loan approval", "loan", true, true),
            (policy.PolicyKey, policy.Name, policy.Description, policy.ArtifactType, policy.ForbidSelfApproval, policy.ForbidRepeatApprovers));
        Assert.Equal([1, 2], policy.Stages.Select(s => s.StageOrder)); // ordered by stage_order, not document order

        var branch = policy.Stages[0];
        Assert.Equal(("Branch", "all", null, null, null, "block", null, null),
            (branch.Name, branch.Mode, branch.ModeValue, branch.SlaHours, branch.ParallelGroup, branch.OnEmpty, branch.OnBreach, branch.SkipIf));
        Assert.Empty(branch.EscalationRules);
        var userRule = Assert.Single(branch.Rules);
        Assert.Equal(("user", "approver", false), (userRule.RuleType, userRule.Kind, userRule.Required));
        Assert.Equal("""{"user_id":"u-a"}""", userRule.RuleValue.ToJsonString());

        var committee = policy.Stages[1];
        Assert.Equal(("Committee", "any-n", 2, 48, 5, "skip", "escalate"),
            (committee.Name, committee.Mode, committee.ModeValue, committee.SlaHours, committee.ParallelGroup, committee.OnEmpty, committee.OnBreach));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"<": [{"var": "amount"}, 1000]}"""), committee.SkipIf));
        Assert.Equal(
            ["role|approver|True|{\"role\":\"credit\",\"client\":\"portal\"}", "expression|approver|False|{\"logic\":{\"var\":\"officer\"}}",
             "user|observer|False|{\"user_id\":\"u-audit\"}"],
            committee.Rules.Select(r => $"{r.RuleType}|{r.Kind}|{r.Required}|{r.RuleValue.ToJsonString()}"));
        var escalation = Assert.Single(committee.EscalationRules);
        Assert.Equal(("role", "approver", false), (escalation.RuleType, escalation.Kind, escalation.Required));
    }

    [Fact]
    public void Read_values_are_copies_of_the_document()
    {
        var body = JsonNode.Parse(Stages(Stage(extra: """ "skip_if": {"==": [1, 1]} """)))!;
        var (policy, _) = PolicyReader.Read(body);
        body["stages"]![0]!["skip_if"]!["=="]![0] = 2;
        body["stages"]![0]!["rules"]![0]!["rule_value"]!["user_id"] = "u-changed";
        Assert.Equal("""{"==":[1,1]}""", policy!.Stages[0].SkipIf!.ToJsonString());
        Assert.Equal("u-a", (string?)policy.Stages[0].Rules[0].RuleValue["user_id"]);
    }

    public sealed record Valid(string Name, string Json);

    public static readonly Valid[] ValidCases =
    [
        new("no stages", Doc()),
        new("stages null", Doc("\"stages\": null")),
        new("empty stages", Doc("\"stages\": []")),
        new("null optional fields take defaults", Stages(Stage(extra: "\"mode\": null, \"on_empty\": null, \"sla_hours\": null, \"on_breach\": null"))),
        new("empty description", Doc("\"description\": \"\"")),
        new("stage without rules but on_empty skip", Stages("""{"name": "s", "stage_order": 1, "on_empty": "skip"}""")),
        new("observers only with on_empty skip",
            Stages("""{"name": "s", "stage_order": 1, "on_empty": "skip", "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-o"}, "kind": "observer"}]}""")),
        new("percentage 100 with one user", Stages(Stage(extra: "\"mode\": \"percentage\", \"mode_value\": 100"))),
        new("any-n equal to the users named", Stages(Stage(extra: "\"mode\": \"any-n\", \"mode_value\": 2", rules: $"{UserA}, {UserB}"))),
        new("any-n above the users named but with a role rule",
            Stages(Stage(extra: "\"mode\": \"any-n\", \"mode_value\": 5", rules: UserA + """, {"rule_type": "role", "rule_value": {"role": "finance"}}"""))),
        new("percentage mode_value above user count is fine", Stages(Stage(extra: "\"mode\": \"percentage\", \"mode_value\": 50", rules: UserA))),
        new("consecutive stages share a group", Stages(Stage(1, "\"parallel_group\": 1"), Stage(2, "\"parallel_group\": 1"), Stage(3))),
        new("two adjacent groups",
            Stages(Stage(1, "\"parallel_group\": 1"), Stage(2, "\"parallel_group\": 1"), Stage(3, "\"parallel_group\": 2"), Stage(4, "\"parallel_group\": 2"))),
        new("negative group numbers", Stages(Stage(1, "\"parallel_group\": -1"), Stage(2, "\"parallel_group\": -1"))),
        new("notify with sla", Stages(Stage(extra: "\"sla_hours\": 4, \"on_breach\": \"notify\""))),
        new("http rule with https url", Rules("""{"rule_type": "http", "rule_value": {"url": "https://resolver.example/approvers"}}""")),
        new("output-only policy fields are ignored",
            Doc("""
                "id": "7d0c", "version": 4, "status": "active", "created_by": "u-admin",
                "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z"
                """)),
        new("stage and rule ids are ignored",
            Stages("""{"id": "s-1", "name": "s", "stage_order": 1, "rules": [{"id": "r-1", "rule_type": "user", "rule_value": {"user_id": "u-a"}}]}""")),
    ];

    public static TheoryData<string> ValidNames() => new(ValidCases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void Valid_documents_have_no_problems(string name)
    {
        var (policy, problems) = Read(ValidCases.Single(c => c.Name == name).Json);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.NotNull(policy);
    }

    [Fact]
    public void Defaults_apply_when_fields_are_absent_or_null()
    {
        var (policy, _) = Read(Stages(Stage(extra: "\"mode\": null, \"on_empty\": null")));
        Assert.Equal((false, false, null), (policy!.ForbidSelfApproval, policy.ForbidRepeatApprovers, policy.Description));
        var stage = Assert.Single(policy.Stages);
        Assert.Equal(("all", "block", null), (stage.Mode, stage.OnEmpty, stage.OnBreach));
        Assert.Equal(("approver", false), (stage.Rules[0].Kind, stage.Rules[0].Required));
    }

    [Theory]
    [InlineData("ALL", "all")]
    [InlineData("Any-N", "any-n")]
    [InlineData(" quorum ", "quorum")]
    [InlineData("PERCENTAGE", "percentage")]
    public void Mode_is_matched_case_insensitively_and_stored_lower_case(string written, string stored)
    {
        var (policy, problems) = Read(Stages(Stage(extra: $"\"mode\": \"{written}\"")));
        Assert.Empty(problems);
        Assert.Equal(stored, policy!.Stages[0].Mode);
    }

    [Fact]
    public void Output_only_fields_do_not_reach_the_input()
    {
        var (policy, _) = Read(Doc("\"version\": 9, \"status\": \"archived\", \"stages\": []"));
        Assert.Equal("loan-approval", policy!.PolicyKey);
        Assert.Empty(policy.Stages);
    }

    [Theory]
    [InlineData("loan-approval", true)]
    [InlineData("a.b_c-d:e9", true)]
    [InlineData("loan approval", false)]
    [InlineData("loan/approval", false)]
    [InlineData("prêt", false)]
    [InlineData("loan?x=1", false)]
    public void Policy_keys_allow_only_url_safe_characters(string key, bool valid) =>
        Assert.Equal(valid, PolicyReader.IsValidKey(key));
}
