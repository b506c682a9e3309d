using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Runtime;
using static Awe.Activities.Tests.Runtime.Build;

namespace Awe.Activities.Tests.Runtime;

public class WorkflowCompilerTests
{
    private static readonly DateTime CompiledAt = new(2025, 3, 3, 9, 0, 0, DateTimeKind.Utc);

    // ---- graph shapes: (stage_order, parallel_group) lists → group layout, nodes and connections ----

    public sealed record Shape(string Name, (int Order, int? Group)[] Stages, string[][] Groups);

    public static readonly Shape[] Shapes =
    [
        new("zero stages", [], []),
        new("one stage", [(1, null)], [["1"]]),
        new("sequential stages", [(1, null), (2, null), (3, null)], [["1"], ["2"], ["3"]]),
        new("two stages share a group", [(1, 7), (2, 7)], [["1", "2"]]),
        new("group between sequential stages", [(1, null), (2, 4), (3, 4), (4, null)], [["1"], ["2", "3"], ["4"]]),
        new("two adjacent groups with different numbers", [(1, 1), (2, 1), (3, 2), (4, 2)], [["1", "2"], ["3", "4"]]),
        new("same number, not consecutive → separate groups", [(1, 5), (2, null), (3, 5)], [["1"], ["2"], ["3"]]),
        new("same number split by another group → three groups", [(1, 5), (2, 6), (3, 5)], [["1"], ["2"], ["3"]]),
        new("a lone stage with a group number is its own group", [(1, 9), (2, null)], [["1"], ["2"]]),
        new("orders with gaps keep their numbers", [(10, null), (20, 3), (30, 3)], [["10"], ["20", "30"]]),
        new("stages listed out of order are sorted by stage_order", [(3, null), (1, 2), (2, 2)], [["1", "2"], ["3"]]),
    ];

    public static TheoryData<string> ShapeNames() => new(Shapes.Select(s => s.Name));

    private static ApprovalPolicy PolicyOf(Shape shape) =>
        Policy(shape.Stages.Select(s => Stage(s.Order, User($"u-{s.Order}")).Group(s.Group)).ToArray());

    [Theory]
    [MemberData(nameof(ShapeNames))]
    public void Stage_groups_follow_consecutive_parallel_group_numbers(string name)
    {
        var shape = Shapes.Single(s => s.Name == name);
        var groups = WorkflowCompiler.StageGroups(PolicyOf(shape).Stages);
        Assert.Equal(shape.Groups, groups.Select(g => g.Select(s => s.StageOrder.ToString()).ToArray()).ToArray());
    }

    [Theory]
    [MemberData(nameof(ShapeNames))]
    public void Graph_has_fork_stages_and_join_per_group_between_start_and_outcomes(string name)
    {
        var shape = Shapes.Single(s => s.Name == name);
        var definition = WorkflowCompiler.Compile(PolicyOf(shape), CompiledAt);

        // Expected nodes: start, per group (fork, its stages, join), approved, rejected.
        var expectedNodes = new List<string> { "start:start" };
        var expectedConnections = new List<string>();
        var previous = "start";
        foreach (var group in shape.Groups)
        {
            var first = group[0];
            expectedNodes.Add($"group-{first}:stage_group");
            expectedConnections.Add($"{previous}->group-{first}:done");
            foreach (var order in group)
            {
                expectedNodes.Add($"stage-{order}:approval_stage");
                expectedConnections.Add($"group-{first}->stage-{order}:start");
                expectedConnections.Add($"stage-{order}->join-{first}:approved");
                expectedConnections.Add($"stage-{order}->join-{first}:skipped");
                expectedConnections.Add($"stage-{order}->rejected:rejected");
            }
            expectedNodes.Add($"join-{first}:join");
            previous = $"join-{first}";
        }
        expectedConnections.Add($"{previous}->approved:done");
        expectedNodes.AddRange(["approved:outcome", "rejected:outcome"]);

        Assert.Equal(expectedNodes, definition.Nodes.Select(n => $"{n.Id}:{n.Type}"));
        Assert.Equal(expectedConnections, definition.Connections.Select(c => $"{c.From}->{c.To}:{c.Outcome}"));

        // Every connection points at an existing node, and ids are unique.
        var ids = definition.Nodes.Select(n => n.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(definition.Connections, c => Assert.Contains(c.From, ids));
        Assert.All(definition.Connections, c => Assert.Contains(c.To, ids));

        // Fork and join carry the stage orders of their group.
        foreach (var group in shape.Groups)
        {
            var orders = group.Select(int.Parse).ToArray();
            Assert.Equal(orders, definition.Node($"group-{group[0]}").StageOrders);
            Assert.Equal(orders, definition.Node($"join-{group[0]}").StageOrders);
        }
    }

    [Fact]
    public void Zero_stages_connect_start_straight_to_approved()
    {
        var definition = WorkflowCompiler.Compile(Policy(), CompiledAt);
        Assert.Equal(["start", "approved", "rejected"], definition.Nodes.Select(n => n.Id));
        var only = Assert.Single(definition.Connections);
        Assert.Equal(new WorkflowConnection("start", "approved", ConnectionOutcome.Done), only);
        Assert.Empty(definition.StageNodes);
    }

    [Fact]
    public void Labels_name_stages_groups_joins_and_outcomes()
    {
        var policy = Policy(
            Stage(1, User("u-a")),
            Stage(2, User("u-b")).Group(1),
            Stage(3, User("u-c")).Group(1));
        policy.Stages[0].Name = "Branch check";
        policy.Stages[1].Name = "Legal";
        policy.Stages[2].Name = "Finance";
        var d = WorkflowCompiler.Compile(policy, CompiledAt);

        Assert.Equal("Request created", d.Node("start").Label);
        Assert.Equal("Stage 1", d.Node("group-1").Label);
        Assert.Equal("Branch check", d.Node("stage-1").Label);
        Assert.Equal("All of stage 1 complete", d.Node("join-1").Label);
        Assert.Equal("Parallel stages 2, 3", d.Node("group-2").Label);
        Assert.Equal("Legal", d.Node("stage-2").Label);
        Assert.Equal("Finance", d.Node("stage-3").Label);
        Assert.Equal("All of parallel stages 2, 3 complete", d.Node("join-2").Label);
        Assert.Equal("Approved", d.Node("approved").Label);
        Assert.Equal("Rejected", d.Node("rejected").Label);
    }

    [Fact]
    public void Definition_identifies_the_policy_version_and_its_segregation_flags()
    {
        var policy = Policy(Stage(1, User("u-a"))).ForbidSelf();
        var d = WorkflowCompiler.Compile(policy, CompiledAt);
        Assert.Equal("loan-approval:v3", d.DefinitionId);
        Assert.Equal(policy.Id, d.PolicyId);
        Assert.Equal("loan-approval", d.PolicyKey);
        Assert.Equal(3, d.PolicyVersion);
        Assert.True(d.ForbidSelfApproval);
        Assert.False(d.ForbidRepeatApprovers);
        Assert.Equal(CompiledAt, d.CompiledAt);
    }

    [Fact]
    public void Stage_spec_carries_every_stage_setting()
    {
        var stage = Stage(2, User("u-a")).Mode("any-n", 2).Sla(48).Group(4).SkipIf("""{"<":[{"var":"amount"},100]}""").OnEmpty("skip");
        stage.Name = "Credit committee";
        stage.OnBreach = "escalate";
        var d = WorkflowCompiler.Compile(Policy(stage), CompiledAt);

        var spec = d.StageNode(2).Stage!;
        Assert.Equal(stage.Id, spec.StageId);
        Assert.Equal(2, spec.StageOrder);
        Assert.Equal("Credit committee", spec.Name);
        Assert.Equal("any-n", spec.Mode);
        Assert.Equal(2, spec.ModeValue);
        Assert.Equal(48, spec.SlaHours);
        Assert.Equal(4, spec.ParallelGroup);
        Assert.Equal("skip", spec.OnEmpty);
        Assert.Equal("escalate", spec.OnBreach);
        var skipIf = JsonNode.Parse("""{"<":[{"var":"amount"},100]}""");
        Assert.True(JsonNode.DeepEquals(skipIf, spec.SkipIf));

        // The spec is a copy: editing the policy afterwards does not change the compiled definition.
        stage.SkipIf!["<"]![1] = 5;
        Assert.True(JsonNode.DeepEquals(skipIf, spec.SkipIf));
    }

    [Fact]
    public void Stage_spec_defaults_are_kept_as_written()
    {
        var d = WorkflowCompiler.Compile(Policy(Stage(1, User("u-a"))), CompiledAt);
        var spec = d.StageNode(1).Stage!;
        Assert.Equal("all", spec.Mode);
        Assert.Null(spec.ModeValue);
        Assert.Null(spec.SlaHours);
        Assert.Null(spec.SkipIf);
        Assert.Equal("block", spec.OnEmpty);
        Assert.Null(spec.ParallelGroup);
        Assert.Null(spec.OnBreach);
        Assert.Empty(spec.EscalationRules);
    }

    [Fact]
    public void Rules_are_listed_in_position_order_whatever_the_list_order()
    {
        var stage = Stage(1);
        stage.Rules =
        [
            new ApproverRule { RuleType = "user", RuleValue = new JsonObject { ["user_id"] = "u-third" }, Position = 2 },
            new ApproverRule { RuleType = "role", RuleValue = new JsonObject { ["role"] = "finance" }, Position = 0, Required = true },
            new ApproverRule { RuleType = "user", RuleValue = new JsonObject { ["user_id"] = "u-obs" }, Position = 1, Kind = TaskKind.Observer },
        ];
        var spec = WorkflowCompiler.Compile(Policy(stage), CompiledAt).StageNode(1).Stage!;

        Assert.Equal(
            [
                $"{stage.Rules[1].Id}|role|{{\"role\":\"finance\"}}|approver|True",
                $"{stage.Rules[2].Id}|user|{{\"user_id\":\"u-obs\"}}|observer|False",
                $"{stage.Rules[0].Id}|user|{{\"user_id\":\"u-third\"}}|approver|False",
            ],
            spec.Rules.Select(r => $"{r.RuleId}|{r.RuleType}|{r.RuleValue.ToJsonString()}|{r.Kind}|{r.Required}"));
    }

    [Fact]
    public void Escalation_rules_get_synthetic_ids_and_defaults()
    {
        var stage = Stage(1, User("u-a")).Sla(24);
        stage.OnBreach = "escalate";
        stage.EscalationRulesJson = JsonNode.Parse("""
            [
              {"rule_type": "user", "rule_value": {"user_id": "u-boss"}},
              "not a rule object",
              {"rule_type": "role", "rule_value": {"role": "director"}, "kind": "observer", "required": true},
              {"rule_type": "user"}
            ]
            """);
        var spec = WorkflowCompiler.Compile(Policy(stage), CompiledAt).StageNode(1).Stage!;

        Assert.Equal(
            [
                $"esc-{stage.Id}-0|user|{{\"user_id\":\"u-boss\"}}|approver|False",
                $"esc-{stage.Id}-1|role|{{\"role\":\"director\"}}|observer|True",
                $"esc-{stage.Id}-2|user|{{}}|approver|False",
            ],
            spec.EscalationRules.Select(r => $"{r.RuleId}|{r.RuleType}|{r.RuleValue.ToJsonString()}|{r.Kind}|{r.Required}"));
    }

    [Fact]
    public void Same_policy_compiles_to_the_same_json_apart_from_compiled_at()
    {
        ApprovalPolicy Make()
        {
            var s1 = Stage(1, User("u-a", required: true), Role("finance"), Observer("u-o")).Mode("any-n", 1).Sla(24);
            var s2 = Stage(2, User("u-b")).Group(3).SkipIf("""{"==":[{"var":"kind"},"small"]}""");
            var s3 = Stage(3, User("u-c")).Group(3);
            s3.OnBreach = "escalate";
            s3.EscalationRulesJson = JsonNode.Parse("""[{"rule_type":"user","rule_value":{"user_id":"u-boss"}}]""");
            return Policy(s1, s2, s3);
        }
        var policy = Make();
        var a = WorkflowCompiler.Compile(policy, CompiledAt);
        var b = WorkflowCompiler.Compile(policy, CompiledAt.AddDays(5));

        Assert.NotEqual(a.ToJson(), b.ToJson());
        Assert.Equal(a.ToJson(), (b with { CompiledAt = a.CompiledAt }).ToJson());

        // The stage list order does not matter either: the compiler sorts by stage_order and rule position.
        var shuffled = Policy();
        shuffled.Id = policy.Id;
        shuffled.Stages = [policy.Stages[2], policy.Stages[0], policy.Stages[1]];
        Assert.Equal(a.ToJson(), WorkflowCompiler.Compile(shuffled, CompiledAt).ToJson());
    }

    [Fact]
    public void Json_round_trip_preserves_the_definition()
    {
        var stage = Stage(1, User("u-a", required: true), Role("finance"), Observer("u-o"))
            .Mode("percentage", 60).Sla(24).Group(2).SkipIf("""{"and":[{">":[{"var":"amount"},0]},{"in":["x",["x","y"]]}]}""");
        stage.OnBreach = "escalate";
        stage.EscalationRulesJson = JsonNode.Parse("""[{"rule_type":"user","rule_value":{"user_id":"u-boss"},"required":true}]""");
        var original = WorkflowCompiler.Compile(Policy(stage, Stage(2, User("u-b")).Group(2), Stage(3, User("u-c"))).ForbidRepeat(), CompiledAt);

        var json = original.ToJson();
        var copy = WorkflowDefinition.FromJson(json);

        Assert.Equal(json, copy.ToJson());
        Assert.Equal(original.DefinitionId, copy.DefinitionId);
        Assert.Equal(CompiledAt, copy.CompiledAt);
        Assert.True(copy.ForbidRepeatApprovers);
        Assert.Equal(original.Nodes.Select(n => n.Id), copy.Nodes.Select(n => n.Id));
        Assert.Equal(original.Connections, copy.Connections); // records of strings compare by value
        var spec = copy.StageNode(1).Stage!;
        Assert.Equal("percentage", spec.Mode);
        Assert.Equal(60, spec.ModeValue);
        Assert.Equal(3, spec.Rules.Count);
        Assert.True(spec.Rules[0].Required);
        Assert.Equal("u-boss", (string?)spec.EscalationRules[0].RuleValue["user_id"]);
        Assert.True(JsonNode.DeepEquals(original.StageNode(1).Stage!.SkipIf, spec.SkipIf));
    }

    [Fact]
    public void Json_uses_snake_case_and_omits_nulls()
    {
        var json = JsonNode.Parse(WorkflowCompiler.Compile(Policy(Stage(1, User("u-a"))), CompiledAt).ToJson())!.AsObject();
        Assert.Equal(
            ["definition_id", "policy_id", "policy_key", "policy_version", "forbid_self_approval", "forbid_repeat_approvers",
             "compiled_at", "nodes", "connections"],
            json.Select(p => p.Key));
        var stageNode = json["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "stage-1")!.AsObject();
        Assert.False(stageNode.ContainsKey("stage_orders"));
        var stage = stageNode["stage"]!.AsObject();
        Assert.Equal("all", (string?)stage["mode"]);
        Assert.False(stage.ContainsKey("mode_value"));
        Assert.False(stage.ContainsKey("skip_if"));
        Assert.Equal("""{"user_id":"u-a"}""", stage["rules"]![0]!["rule_value"]!.ToJsonString());
    }

    [Fact]
    public void Navigation_helpers_follow_connections()
    {
        var d = WorkflowCompiler.Compile(Policy(Stage(1, User("u-a")).Group(1), Stage(2, User("u-b")).Group(1)), CompiledAt);
        Assert.Equal(["stage-1", "stage-2"], d.Targets("group-1", ConnectionOutcome.Start).Select(n => n.Id));
        Assert.Equal(["join-1"], d.Targets("stage-2", ConnectionOutcome.Skipped).Select(n => n.Id));
        Assert.Equal(["stage-1", "stage-2"], d.Sources("join-1").Select(n => n.Id));
        Assert.Equal("stage-2", d.StageNode(2).Id);
        Assert.Throws<InvalidOperationException>(() => d.StageNode(3));
        Assert.Throws<InvalidOperationException>(() => d.Node("nope"));
    }
}
