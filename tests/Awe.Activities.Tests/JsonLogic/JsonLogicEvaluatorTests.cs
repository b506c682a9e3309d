using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;

namespace Awe.Activities.Tests.JsonLogic;

// Each case is (rule, data, expected) as JSON text; results are compared after normalising numbers,
// so 3 and 3.0 count as the same expected value.
public class JsonLogicEvaluatorTests
{
    [Theory]
    [InlineData("1", "null", "1")]
    [InlineData("\"abc\"", "null", "\"abc\"")]
    [InlineData("true", "null", "true")]
    [InlineData("null", """{"a":1}""", "null")]
    [InlineData("[]", "null", "[]")]
    [InlineData("""[1, {"var":"a"}, "x", [{"var":"b"}]]""", """{"a":2,"b":3}""", """[1,2,"x",[3]]""")]
    public void Literals_evaluate_to_themselves(string rule, string data, string expected) =>
        AssertApply(rule, data, expected);

    [Theory]
    [InlineData("""{"var":"a"}""", """{"a":1}""", "1")]
    [InlineData("""{"var":["a"]}""", """{"a":1}""", "1")]
    [InlineData("""{"var":"a.b.c"}""", """{"a":{"b":{"c":"deep"}}}""", "\"deep\"")]
    [InlineData("""{"var":"a.b"}""", """{"a":1}""", "null")]
    [InlineData("""{"var":"a.b"}""", """{"a":null}""", "null")]
    [InlineData("""{"var":["x", 42]}""", "{}", "42")]
    [InlineData("""{"var":["a.b", "fallback"]}""", """{"a":{}}""", "\"fallback\"")]
    [InlineData("""{"var":["a", 42]}""", """{"a":null}""", "null")]
    [InlineData("""{"var":["x", 9]}""", """{"x":0}""", "0")]
    [InlineData("""{"var":1}""", """["zero","one","two"]""", "\"one\"")]
    [InlineData("""{"var":"1"}""", """["zero","one","two"]""", "\"one\"")]
    [InlineData("""{"var":"1"}""", """{"1":"numeric key"}""", "\"numeric key\"")]
    [InlineData("""{"var":"items.1.name"}""", """{"items":[{"name":"a"},{"name":"b"}]}""", "\"b\"")]
    [InlineData("""{"var":"items.5"}""", """{"items":[1]}""", "null")]
    [InlineData("""{"var":"items.01"}""", """{"items":[1,2]}""", "null")]
    [InlineData("""{"var":"items.-1"}""", """{"items":[1,2]}""", "null")]
    [InlineData("""{"var":""}""", """{"x":1}""", """{"x":1}""")]
    [InlineData("""{"var":[]}""", "5", "5")]
    [InlineData("""{"var":null}""", """[1,2]""", "[1,2]")]
    [InlineData("""{"var":"a"}""", "null", "null")]
    [InlineData("""{"var":"a"}""", "5", "null")]
    [InlineData("""{"var":"a"}""", """{"a":[1,{"b":2}]}""", """[1,{"b":2}]""")]
    [InlineData("""{"var":{"cat":["a",".","b"]}}""", """{"a":{"b":7}}""", "7")]
    [InlineData("""{"var":["missing", {"var":"other"}]}""", """{"other":"computed default"}""", "\"computed default\"")]
    public void Var(string rule, string data, string expected) => AssertApply(rule, data, expected);

    [Theory]
    [InlineData("""{"missing":["a","b"]}""", """{"a":1}""", """["b"]""")]
    [InlineData("""{"missing":["a","b"]}""", """{"a":1,"b":2}""", "[]")]
    [InlineData("""{"missing":"a"}""", "{}", """["a"]""")]
    [InlineData("""{"missing":["a.b","c"]}""", """{"a":{"b":1}}""", """["c"]""")]
    [InlineData("""{"missing":["a","b","c"]}""", """{"a":"","b":null,"c":false}""", """["a","b"]""")]
    [InlineData("""{"missing":["a"]}""", """{"a":0}""", "[]")]
    [InlineData("""{"missing":[]}""", "{}", "[]")]
    [InlineData("""{"missing":[["a","b"]]}""", """{"b":false}""", """["a"]""")]
    [InlineData("""{"missing":{"merge":["a",["b","c"]]}}""", """{"b":1}""", """["a","c"]""")]
    [InlineData("""{"missing_some":[1,["a","b","c"]]}""", """{"a":"apple"}""", "[]")]
    [InlineData("""{"missing_some":[2,["a","b","c"]]}""", """{"a":"apple"}""", """["b","c"]""")]
    [InlineData("""{"missing_some":[0,["a"]]}""", "{}", "[]")]
    [InlineData("""{"missing_some":[3,["a","b","c"]]}""", """{"a":1,"b":2,"c":3}""", "[]")]
    [InlineData(
        """{"if":[{"merge":[{"missing":["first","last"]},{"missing_some":[1,["phone","email"]]}]},"incomplete","ok"]}""",
        """{"first":"Ada","last":"L","email":"ada@example.com"}""", "\"ok\"")]
    [InlineData(
        """{"if":[{"merge":[{"missing":["first","last"]},{"missing_some":[1,["phone","email"]]}]},"incomplete","ok"]}""",
        """{"first":"Ada"}""", "\"incomplete\"")]
    public void Missing_and_missing_some(string rule, string data, string expected) =>
        AssertApply(rule, data, expected);

    [Theory]
    [InlineData("""{"if":[true,"yes","no"]}""", "null", "\"yes\"")]
    [InlineData("""{"if":[false,"yes","no"]}""", "null", "\"no\"")]
    [InlineData("""{"if":[true,"yes"]}""", "null", "\"yes\"")]
    [InlineData("""{"if":[false,"yes"]}""", "null", "null")]
    [InlineData("""{"if":[false,1,false,2]}""", "null", "null")]
    [InlineData("""{"if":["only"]}""", "null", "\"only\"")]
    [InlineData("""{"if":[[],"a","b"]}""", "null", "\"b\"")]
    [InlineData("""{"if":["0","a","b"]}""", "null", "\"a\"")]
    [InlineData("""{"if":[{"var":"x"},"set","unset"]}""", "{}", "\"unset\"")]
    [InlineData("""{"?:":[true,1,2]}""", "null", "1")]
    [InlineData("""{"?:":[0,1,2]}""", "null", "2")]
    [InlineData("""{"if":[true,"ok",{"/":[1,0]}]}""", "null", "\"ok\"")]
    [InlineData(TemperatureRule, """{"t":-5}""", "\"freezing\"")]
    [InlineData(TemperatureRule, """{"t":55}""", "\"liquid\"")]
    [InlineData(TemperatureRule, """{"t":200}""", "\"gas\"")]
    public void If(string rule, string data, string expected) => AssertApply(rule, data, expected);

    private const string TemperatureRule =
        """{"if":[{"<":[{"var":"t"},0]},"freezing",{"<":[{"var":"t"},100]},"liquid","gas"]}""";

    [Theory]
    [InlineData("""{"and":[true,"a",3]}""", "3")]
    [InlineData("""{"and":[true,"",3]}""", "\"\"")]
    [InlineData("""{"and":[false,{"/":[1,0]}]}""", "false")]
    [InlineData("""{"and":[[1]]}""", "[1]")]
    [InlineData("""{"and":[1,[]]}""", "[]")]
    [InlineData("""{"or":[false,0,"a"]}""", "\"a\"")]
    [InlineData("""{"or":[false,0]}""", "0")]
    [InlineData("""{"or":[[],null]}""", "null")]
    [InlineData("""{"or":[true,{"/":[1,0]}]}""", "true")]
    [InlineData("""{"!":true}""", "false")]
    [InlineData("""{"!":[false]}""", "true")]
    [InlineData("""{"!":[[]]}""", "true")]
    [InlineData("""{"!":["0"]}""", "false")]
    [InlineData("""{"!!":["0"]}""", "true")]
    [InlineData("""{"!!":[[]]}""", "false")]
    [InlineData("""{"!!":[[0]]}""", "true")]
    public void Logic(string rule, string expected) => AssertApply(rule, "null", expected);

    // Loose equality follows JavaScript's == coercions; each row also checks symmetry and that != disagrees.
    [Theory]
    [InlineData("1", "1", true)]
    [InlineData("1", "1.0", true)]
    [InlineData("1", "\"1\"", true)]
    [InlineData("1", "\"1.0\"", true)]
    [InlineData("10", "\"1e1\"", true)]
    [InlineData("\"10\"", "\"1e1\"", false)]
    [InlineData("5", "\" 5 \"", true)]
    [InlineData("16", "\"0x10\"", true)]
    [InlineData("0", "\"\"", true)]
    [InlineData("0", "\"0\"", true)]
    [InlineData("\"\"", "\"0\"", false)]
    [InlineData("0", "false", true)]
    [InlineData("\"\"", "false", true)]
    [InlineData("1", "true", true)]
    [InlineData("2", "true", false)]
    [InlineData("\"1\"", "true", true)]
    [InlineData("\"true\"", "true", false)]
    [InlineData("null", "null", true)]
    [InlineData("null", "0", false)]
    [InlineData("null", "false", false)]
    [InlineData("null", "\"\"", false)]
    [InlineData("\"abc\"", "\"abc\"", true)]
    [InlineData("\"abc\"", "\"ABC\"", false)]
    [InlineData("\"abc\"", "0", false)]
    [InlineData("[1]", "1", true)]
    [InlineData("[1,2]", "\"1,2\"", true)]
    [InlineData("[]", "false", true)]
    [InlineData("[1]", "[1]", false)]
    public void Loose_equality(string left, string right, bool expected)
    {
        var json = expected ? "true" : "false";
        var negated = expected ? "false" : "true";
        AssertApply($$"""{"==":[{{left}},{{right}}]}""", "null", json);
        AssertApply($$"""{"==":[{{right}},{{left}}]}""", "null", json);
        AssertApply($$"""{"!=":[{{left}},{{right}}]}""", "null", negated);
    }

    [Theory]
    [InlineData("""{"===":[1,1]}""", "null", "true")]
    [InlineData("""{"===":[1,1.0]}""", "null", "true")]
    [InlineData("""{"===":[1,"1"]}""", "null", "false")]
    [InlineData("""{"===":[null,null]}""", "null", "true")]
    [InlineData("""{"===":[0,false]}""", "null", "false")]
    [InlineData("""{"!==":[1,"1"]}""", "null", "true")]
    [InlineData("""{"!==":["a","a"]}""", "null", "false")]
    // Arrays and objects compare by identity, as in JavaScript: the same data value is identical to itself.
    [InlineData("""{"===":[{"var":"a"},{"var":"a"}]}""", """{"a":[1]}""", "true")]
    [InlineData("""{"===":[[1],[1]]}""", "null", "false")]
    public void Strict_equality(string rule, string data, string expected) => AssertApply(rule, data, expected);

    [Theory]
    [InlineData("""{">":[2,1]}""", "true")]
    [InlineData("""{">":[1,2]}""", "false")]
    [InlineData("""{">":["5",3]}""", "true")]
    [InlineData("""{">":["10","9"]}""", "false")]
    [InlineData("""{">":[10,"9"]}""", "true")]
    [InlineData("""{">=":[1,1]}""", "true")]
    [InlineData("""{">=":[1,"2"]}""", "false")]
    [InlineData("""{"<":[1,2]}""", "true")]
    [InlineData("""{"<":[2,2]}""", "false")]
    [InlineData("""{"<=":[2,2]}""", "true")]
    [InlineData("""{"<":["a","b"]}""", "true")]
    [InlineData("""{"<":["B","a"]}""", "true")]
    [InlineData("""{">":[null,-1]}""", "true")]
    [InlineData("""{"<":["abc",1]}""", "false")]
    [InlineData("""{">=":["abc",1]}""", "false")]
    [InlineData("""{"<":[1,2,3]}""", "true")]
    [InlineData("""{"<":[1,1,3]}""", "false")]
    [InlineData("""{"<":[1,4,3]}""", "false")]
    [InlineData("""{"<=":[1,1,3]}""", "true")]
    [InlineData("""{"<=":[1,3,3]}""", "true")]
    [InlineData("""{"<=":[1,4,3]}""", "false")]
    public void Comparison(string rule, string expected) => AssertApply(rule, "null", expected);

    [Theory]
    [InlineData("""{"<":[{"var":"age"},18]}""", """{"age":"17"}""", "true")]
    [InlineData("""{"<=":[0,{"var":"score"},100]}""", """{"score":100}""", "true")]
    [InlineData("""{"<":[0,{"var":"score"},100]}""", """{"score":100}""", "false")]
    public void Comparison_with_data(string rule, string data, string expected) => AssertApply(rule, data, expected);

    [Theory]
    [InlineData("""{"+":[1,2]}""", "3")]
    [InlineData("""{"+":[1,"2.5"]}""", "3.5")]
    [InlineData("""{"+":"3.14"}""", "3.14")]
    [InlineData("""{"+":["42"]}""", "42")]
    [InlineData("""{"+":[]}""", "0")]
    [InlineData("""{"+":[1,2,3,4]}""", "10")]
    [InlineData("""{"+":[0.1,0.2]}""", "0.30000000000000004")]
    [InlineData("""{"+":["3px",1]}""", "4")]
    [InlineData("""{"+":["abc",1]}""", "null")]
    [InlineData("""{"-":[5,3]}""", "2")]
    [InlineData("""{"-":2}""", "-2")]
    [InlineData("""{"-":["5"]}""", "-5")]
    [InlineData("""{"-":[1,2.5]}""", "-1.5")]
    [InlineData("""{"*":[2,3,4]}""", "24")]
    [InlineData("""{"*":["2",0.5]}""", "1")]
    [InlineData("""{"*":["2"]}""", "2")]
    [InlineData("""{"/":[7,2]}""", "3.5")]
    [InlineData("""{"/":[6,"3"]}""", "2")]
    [InlineData("""{"%":[7,3]}""", "1")]
    [InlineData("""{"%":[-7,3]}""", "-1")]
    [InlineData("""{"%":[7.5,2]}""", "1.5")]
    [InlineData("""{"max":[1,3,2]}""", "3")]
    [InlineData("""{"max":["10",9]}""", "10")]
    [InlineData("""{"max":[1,"x"]}""", "null")]
    [InlineData("""{"min":[1,-3,2]}""", "-3")]
    [InlineData("""{"min":[5]}""", "5")]
    public void Arithmetic(string rule, string expected) => AssertApply(rule, "null", expected);

    [Theory]
    [InlineData("""{"map":[{"var":"xs"},{"*":[{"var":""},2]}]}""", """{"xs":[1,2,3]}""", "[2,4,6]")]
    [InlineData("""{"map":[{"var":"people"},{"var":"name"}]}""", """{"people":[{"name":"a"},{"name":"b"}]}""", """["a","b"]""")]
    [InlineData("""{"map":[{"var":"nope"},{"var":""}]}""", "{}", "[]")]
    [InlineData("""{"filter":[{"var":"xs"},{">=":[{"var":""},2]}]}""", """{"xs":[1,2,3]}""", "[2,3]")]
    [InlineData("""{"filter":[[0,1,"",null,"a",[]],{"var":""}]}""", "null", """[1,"a"]""")]
    [InlineData("""{"filter":["not an array",true]}""", "null", "[]")]
    [InlineData("""{"reduce":[{"var":"xs"},{"+":[{"var":"current"},{"var":"accumulator"}]},0]}""", """{"xs":[1,2,3,4]}""", "10")]
    [InlineData("""{"reduce":[[3,9,2],{"max":[{"var":"current"},{"var":"accumulator"}]},0]}""", "null", "9")]
    [InlineData("""{"reduce":[[1,2],{"cat":[{"var":"accumulator"},{"var":"current"}]},"x"]}""", "null", "\"x12\"")]
    [InlineData("""{"reduce":[[],{"var":"current"},"init"]}""", "null", "\"init\"")]
    [InlineData("""{"reduce":[{"var":"nope"},{"var":"current"},5]}""", "{}", "5")]
    [InlineData("""{"reduce":[{"var":"xs"},{"+":[{"var":"current.n"},{"var":"accumulator"}]},{"var":"start"}]}""", """{"xs":[{"n":1},{"n":2}],"start":10}""", "13")]
    // Without an initial value the accumulator starts as null, and parseFloat(null) is NaN, as in json-logic-js.
    [InlineData("""{"reduce":[[1,2],{"+":[{"var":"current"},{"var":"accumulator"}]}]}""", "null", "null")]
    [InlineData("""{"all":[[1,2,3],{">":[{"var":""},0]}]}""", "null", "true")]
    [InlineData("""{"all":[[1,-2],{">":[{"var":""},0]}]}""", "null", "false")]
    [InlineData("""{"all":[[],{">":[{"var":""},0]}]}""", "null", "false")]
    [InlineData("""{"all":[{"var":"nope"},true]}""", "{}", "false")]
    [InlineData("""{"some":[[-1,2],{">":[{"var":""},0]}]}""", "null", "true")]
    [InlineData("""{"some":[[-1,-2],{">":[{"var":""},0]}]}""", "null", "false")]
    [InlineData("""{"some":[[],true]}""", "null", "false")]
    [InlineData("""{"some":[{"var":"pies"},{"==":[{"var":"filling"},"apple"]}]}""", """{"pies":[{"filling":"pumpkin"},{"filling":"apple"}]}""", "true")]
    [InlineData("""{"none":[[-1,-2],{">":[{"var":""},0]}]}""", "null", "true")]
    [InlineData("""{"none":[[1],{">":[{"var":""},0]}]}""", "null", "false")]
    [InlineData("""{"none":[[],true]}""", "null", "true")]
    public void Array_iteration(string rule, string data, string expected) => AssertApply(rule, data, expected);

    [Theory]
    [InlineData("""{"merge":[[1,2],[3,4]]}""", "null", "[1,2,3,4]")]
    [InlineData("""{"merge":[1,2,[3,[4,5]]]}""", "null", "[1,2,3,[4,5]]")]
    [InlineData("""{"merge":[]}""", "null", "[]")]
    [InlineData("""{"merge":[null]}""", "null", "[null]")]
    [InlineData("""{"merge":"a"}""", "null", """["a"]""")]
    [InlineData("""{"merge":[{"var":"a"},{"var":"b"}]}""", """{"a":[1],"b":{"k":2}}""", """[1,{"k":2}]""")]
    [InlineData("""{"in":["b",["a","b"]]}""", "null", "true")]
    [InlineData("""{"in":[1,[1,2]]}""", "null", "true")]
    [InlineData("""{"in":[1,["1",2]]}""", "null", "false")]
    [InlineData("""{"in":["x",null]}""", "null", "false")]
    [InlineData("""{"in":["x",42]}""", "null", "false")]
    [InlineData("""{"in":[{"var":"role"},["admin","approver"]]}""", """{"role":"approver"}""", "true")]
    [InlineData("""{"in":["Spring","Springfield"]}""", "null", "true")]
    [InlineData("""{"in":["spring","Springfield"]}""", "null", "false")]
    [InlineData("""{"in":[1,"x1y"]}""", "null", "true")]
    [InlineData("""{"in":["","abc"]}""", "null", "true")]
    public void Merge_and_in(string rule, string data, string expected) => AssertApply(rule, data, expected);

    [Theory]
    [InlineData("""{"cat":["I love"," pie"]}""", "\"I love pie\"")]
    [InlineData("""{"cat":["a",1,true,null,2.5]}""", "\"a1true2.5\"")]
    [InlineData("""{"cat":[[1,null,[2,3]],"x"]}""", "\"1,,2,3x\"")]
    [InlineData("""{"cat":[]}""", "\"\"")]
    [InlineData("""{"cat":"solo"}""", "\"solo\"")]
    [InlineData("""{"cat":[1.0, -0.5, 100]}""", "\"1-0.5100\"")]
    [InlineData("""{"cat":[1e21, " ", 1e-7, " ", 0.000001, " ", 123456789012345680000]}""", "\"1e+21 1e-7 0.000001 123456789012345680000\"")]
    [InlineData("""{"cat":[{"/":[1,3]}]}""", "\"0.3333333333333333\"")]
    [InlineData("""{"substr":["jsonlogic",4]}""", "\"logic\"")]
    [InlineData("""{"substr":["jsonlogic",-5]}""", "\"logic\"")]
    [InlineData("""{"substr":["jsonlogic",1,3]}""", "\"son\"")]
    [InlineData("""{"substr":["jsonlogic",4,-2]}""", "\"log\"")]
    [InlineData("""{"substr":["jsonlogic",-5,-2]}""", "\"log\"")]
    [InlineData("""{"substr":["abc",10]}""", "\"\"")]
    [InlineData("""{"substr":["abc",-10]}""", "\"abc\"")]
    [InlineData("""{"substr":["abc",1,-5]}""", "\"\"")]
    [InlineData("""{"substr":["abc",0,0]}""", "\"\"")]
    [InlineData("""{"substr":[12345,1,2]}""", "\"23\"")]
    [InlineData("""{"log":"apple"}""", "\"apple\"")]
    [InlineData("""{"log":[[1,{"+":[1,1]}]]}""", "[1,2]")]
    public void Strings_and_log(string rule, string expected) => AssertApply(rule, "null", expected);

    [Fact]
    public void Cat_renders_objects_like_javascript() =>
        AssertApply("""{"cat":[{"var":"o"}]}""", """{"o":{"k":1}}""", "\"[object Object]\"");

    // Rows are evaluated both through IsTruthy and through "!!" on data, so the two cannot drift apart.
    [Theory]
    [InlineData("0", false)]
    [InlineData("0.0", false)]
    [InlineData("1", true)]
    [InlineData("-1", true)]
    [InlineData("0.5", true)]
    [InlineData("\"\"", false)]
    [InlineData("\"0\"", true)]
    [InlineData("\"false\"", true)]
    [InlineData("\" \"", true)]
    [InlineData("[]", false)]
    [InlineData("[0]", true)]
    [InlineData("[[]]", true)]
    [InlineData("{}", true)]
    [InlineData("null", false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void Truthiness(string value, bool expected)
    {
        Assert.Equal(expected, JsonLogicEvaluator.IsTruthy(JsonNode.Parse(value)));
        AssertApply("""{"!!":{"var":""}}""", value, expected ? "true" : "false");
        AssertApply("""{"!":{"var":""}}""", value, expected ? "false" : "true");
    }

    [Theory]
    [InlineData("""{"fooo":[1]}""", "unknown operator 'fooo'")]
    [InlineData("""{"and":[true,{"nope":1}]}""", "unknown operator 'nope'")]
    [InlineData("""{"/":[1,0]}""", "division by zero in operator '/'")]
    [InlineData("""{"/":[1,"0"]}""", "division by zero in operator '/'")]
    [InlineData("""{"%":[1,0]}""", "division by zero in operator '%'")]
    [InlineData("""{"a":1,"b":2}""", "rule object must have exactly one key (the operator), found 2: 'a', 'b'")]
    [InlineData("{}", "rule object must have exactly one key (the operator), found none")]
    [InlineData("""{"==":[1]}""", "operator '==' needs exactly 2 arguments, got 1")]
    [InlineData("""{"<":[1,2,3,4]}""", "operator '<' accepts at most 3 arguments, got 4")]
    [InlineData("""{"if":[]}""", "operator 'if' needs at least 1 argument, got 0")]
    [InlineData("""{"map":[[1]]}""", "operator 'map' needs exactly 2 arguments, got 1")]
    [InlineData("""{"missing_some":[1]}""", "operator 'missing_some' needs exactly 2 arguments, got 1")]
    public void Errors_throw_JsonLogicException(string rule, string message)
    {
        var error = Assert.Throws<JsonLogicException>(() => JsonLogicEvaluator.Apply(Parse(rule), null));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Null_rule_and_null_data_give_null() => Assert.Null(JsonLogicEvaluator.Apply(null, null));

    [Theory]
    [InlineData("""{"+":[1,2]}""", "3")]
    [InlineData("""{"*":[1.5,2]}""", "3")]
    [InlineData("""{"/":[10,4]}""", "2.5")]
    [InlineData("""{"-":[0,0]}""", "0")]
    [InlineData("""{"var":"x"}""", "3")]
    public void Integral_results_are_written_as_integers(string rule, string expectedText)
    {
        var result = JsonLogicEvaluator.Apply(Parse(rule), Parse("""{"x":3.0}"""));
        Assert.Equal(expectedText, result!.ToJsonString());
    }

    [Fact]
    public void Numbers_from_clr_values_compare_by_value()
    {
        // JsonValues built from int and decimal, not parsed from text, must behave like parsed numbers.
        var data = new JsonObject
        {
            ["i"] = JsonValue.Create(3),
            ["m"] = JsonValue.Create(3.0m),
            ["s"] = JsonValue.Create("3"),
            ["e"] = JsonValue.Create(new[] { 1, 2 }),
        };
        Assert.True(Bool("""{"===":[{"var":"i"},{"var":"m"}]}""", data));
        Assert.True(Bool("""{"==":[{"var":"m"},{"var":"s"}]}""", data));
        Assert.True(Bool("""{"==":[{"var":"i"},3.0]}""", data));
        Assert.True(Bool("""{"in":[2,{"var":"e"}]}""", data));
        Assert.Equal("6", JsonLogicEvaluator.Apply(Parse("""{"+":[{"var":"i"},{"var":"m"}]}"""), data)!.ToJsonString());
    }

    [Fact]
    public void Inputs_are_not_mutated_and_results_are_detached()
    {
        var rule = Parse("""{"merge":[{"var":"a"},{"filter":[{"var":"b"},true]},{"map":[{"var":"b"},{"var":""}]}]}""");
        var data = Parse("""{"a":[{"k":1}],"b":[{"k":2}]}""");
        var ruleBefore = rule!.ToJsonString();
        var dataBefore = data!.ToJsonString();

        var result = JsonLogicEvaluator.Apply(rule, data)!.AsArray();

        Assert.Equal(ruleBefore, rule.ToJsonString());
        Assert.Equal(dataBefore, data.ToJsonString());
        Assert.Null(result.Parent);
        result[0]!["k"] = 99;
        Assert.Equal(dataBefore, data.ToJsonString());
        // A returned part of the data can be attached elsewhere without "node already has a parent" errors.
        var whole = JsonLogicEvaluator.Apply(Parse("""{"var":"a"}"""), data)!;
        _ = new JsonArray(whole);
    }

    [Fact]
    public void Rule_objects_inside_data_are_not_evaluated()
    {
        // Data is never interpreted as logic: an operator-shaped object from data comes back verbatim.
        AssertApply("""{"var":"x"}""", """{"x":{"fooo":[1]}}""", """{"fooo":[1]}""");
    }

    private static bool Bool(string rule, JsonNode? data) =>
        JsonLogicEvaluator.Apply(Parse(rule), data)!.GetValue<bool>();

    private static JsonNode? Parse(string json) => JsonNode.Parse(json);

    private static void AssertApply(string rule, string data, string expected)
    {
        var actual = JsonLogicEvaluator.Apply(Parse(rule), Parse(data));
        Assert.Equal(Canonical(Parse(expected)), Canonical(actual));
    }

    // Structural rendering in which numbers are printed from their double value, so 3, 3.0 and 3e0 coincide.
    private static string Canonical(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray array => "[" + string.Join(",", array.Select(Canonical)) + "]",
        JsonObject obj => "{" + string.Join(",", obj.Select(p => JsonValue.Create(p.Key).ToJsonString() + ":" + Canonical(p.Value))) + "}",
        JsonValue value when value.GetValueKind() == JsonValueKind.Number =>
            double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
