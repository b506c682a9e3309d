using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;

namespace Awe.Activities.Tests.JsonLogic;

public class JsonLogicValidatorTests
{
    [Theory]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("""[1, 2, {"var":"a"}]""")]
    [InlineData("""{"var":"a.b"}""")]
    [InlineData("""{"var":["a", 0]}""")]
    [InlineData("""{"if":[{"==":[{"var":"a"},1]},"x",{"<":[1,{"var":"b"},3]},"y","z"]}""")]
    [InlineData("""{"map":[{"var":"xs"},{"+":[{"var":""},1]}]}""")]
    [InlineData("""{"reduce":[[1],{"+":[{"var":"current"},{"var":"accumulator"}]},0]}""")]
    [InlineData("""{"missing_some":[1,["a","b"]]}""")]
    [InlineData("""{"and":[{"!":[{"var":"x"}]},{"in":["a",["a","b"]]},{"some":[[1],{"var":""}]}]}""")]
    [InlineData("""{"cat":[]}""")]
    [InlineData("""{"log":"x"}""")]
    [InlineData("""{"substr":["abc",-2,1]}""")]
    public void Valid_rules_have_no_problems_and_evaluate(string rule)
    {
        var node = JsonNode.Parse(rule);
        Assert.Empty(JsonLogicValidator.Validate(node));
        // Structurally valid rules must not be rejected by the evaluator either.
        _ = JsonLogicEvaluator.Apply(node, JsonNode.Parse("""{"a":1,"b":2,"xs":[1,2]}"""));
    }

    [Theory]
    [InlineData("""{"fooo":[1]}""", "unknown operator 'fooo'")]
    [InlineData("""{"IF":[true,1,2]}""", "unknown operator 'IF'")]
    [InlineData("""{"and":[true,{"x":[1]}]}""", "at and[1]: unknown operator 'x'")]
    [InlineData("""{"and":[true,{"or":[false,{"x":1}]}]}""", "at and[1].or[1]: unknown operator 'x'")]
    [InlineData("""{"!":{"fooo":1}}""", "at !: unknown operator 'fooo'")]
    [InlineData("""[1,{"var":"a"},{"x":1}]""", "at [2]: unknown operator 'x'")]
    [InlineData("""{"map":[{"var":"xs"},{"bad":[]}]}""", "at map[1]: unknown operator 'bad'")]
    [InlineData("""{"a":1,"b":2}""", "rule object must have exactly one key (the operator), found 2: 'a', 'b'")]
    [InlineData("{}", "rule object must have exactly one key (the operator), found none")]
    [InlineData("""{"in":["a",["b",{"c":1,"d":2}]]}""", "at in[1][1]: rule object must have exactly one key (the operator), found 2: 'c', 'd'")]
    [InlineData("""{"if":[]}""", "operator 'if' needs at least 1 argument, got 0")]
    [InlineData("""{"==":[1,2,3]}""", "operator '==' needs exactly 2 arguments, got 3")]
    [InlineData("""{"<":[1,2,3,4]}""", "operator '<' accepts at most 3 arguments, got 4")]
    [InlineData("""{"var":["a",1,2]}""", "operator 'var' accepts at most 2 arguments, got 3")]
    [InlineData("""{"reduce":[[1]]}""", "operator 'reduce' needs at least 2 arguments, got 1")]
    [InlineData("""{"and":[{"x":1},{"==":[1]}]}""", "at and[0]: unknown operator 'x'|at and[1]: operator '==' needs exactly 2 arguments, got 1")]
    [InlineData("""{"zzz":[{"yyy":1}]}""", "unknown operator 'zzz'|at zzz[0]: unknown operator 'yyy'")]
    public void Invalid_rules_report_problems_with_paths(string rule, string expected)
    {
        var problems = JsonLogicValidator.Validate(JsonNode.Parse(rule));
        Assert.Equal(expected.Split('|'), problems);
    }

    [Fact]
    public void Validation_does_not_need_or_touch_data()
    {
        var rule = JsonNode.Parse("""{"if":[{"var":"never.there"},{"/":[1,0]},"fine"]}""")!;
        var before = rule.ToJsonString();
        Assert.Empty(JsonLogicValidator.Validate(rule));
        Assert.Equal(before, rule.ToJsonString());
    }
}
