using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Json.Schema;

namespace Awe.Host.Tests.Contract;

/// <summary>
/// The documented schemas and the API's own readers must agree: every schema's example is accepted by both, and
/// bodies broken one field at a time (missing, wrong type, too long, out of range, not in the enum, blank, unknown
/// field) are refused by both — the API with a 422 naming exactly that field's path.
/// </summary>
public sealed class SchemaAgreementTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private JsonObject? _document;

    private async Task<JsonObject> DocumentAsync() =>
        _document ??= (await fx.App.CreateClient().GetJson("/v1/awe/openapi.json")).Expect(HttpStatusCode.OK).Json.AsObject();

    public static TheoryData<string> BodySchemas() =>
    [
        "PolicyIn", "CreateRequestIn", "CancelRequestIn", "DecisionIn", "ReassignIn", "DelegationIn", "SimulateIn",
        "CallbackSecretIn", "RotateSecretIn", "BulkRetryIn",
    ];

    [Theory]
    [MemberData(nameof(BodySchemas))]
    public async Task Example_is_valid_for_the_schema_and_accepted_by_the_api(string schemaName)
    {
        var document = await DocumentAsync();
        var example = document["components"]!["schemas"]![schemaName]!["example"]!;
        var schema = SchemaFor(document, schemaName);
        Assert.True(schema.Evaluate(Element(example)).IsValid, $"{schemaName}'s example breaks its own schema: {example.ToJsonString()}");
        var reply = await SendAsync(document, schemaName, example);
        Assert.True(reply.Status is not (HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest),
            $"the API refused {schemaName}'s example: {reply.Raw}");
    }

    [Theory]
    [MemberData(nameof(BodySchemas))]
    public async Task Bodies_broken_one_field_at_a_time_are_refused_by_both_at_that_path(string schemaName)
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var example = schemas[schemaName]!["example"]!;
        var schema = SchemaFor(document, schemaName);
        var mutations = new List<Mutation>();
        Mutate(schemas, schemas[schemaName]!.AsObject(), example, [], mutations);
        Assert.NotEmpty(mutations);
        var failures = new List<string>();
        foreach (var m in mutations)
        {
            var body = m.Apply(example.DeepClone());
            var schemaValid = schema.Evaluate(Element(body)).IsValid;
            var reply = await SendAsync(document, schemaName, body);
            var paths = reply.Body?["errors"]?.AsArray().Select(e => e?["path"]?.GetValue<string>()).ToList() ?? [];
            if (m.Either)
            {
                var apiAccepts = reply.Status != HttpStatusCode.BadRequest && !paths.Contains(m.Path);
                if (schemaValid != apiAccepts) failures.Add($"schema {(schemaValid ? "accepts" : "refuses")} but API {(apiAccepts ? "accepts" : "refuses")} {m.Description}: {reply.Raw}");
                continue;
            }
            if (m.Valid)
            {
                if (!schemaValid) failures.Add($"schema refuses {m.Description}");
                if (reply.Status == HttpStatusCode.BadRequest || paths.Contains(m.Path)) failures.Add($"API refuses {m.Description}: {reply.Raw}");
                continue;
            }
            if (schemaValid) failures.Add($"schema accepts {m.Description}");
            if (reply.Status != HttpStatusCode.UnprocessableEntity || !paths.Contains(m.Path))
                failures.Add($"API answered {(int)reply.Status} for {m.Description}, not a 422 at '{m.Path}': {reply.Raw}");
        }
        Assert.True(failures.Count == 0, $"{schemaName}: {mutations.Count} mutations, disagreements:\n" + string.Join("\n", failures));
    }

    /// <summary>Rules across fields that the schema states with if/then, checked against the reader too.</summary>
    [Theory]
    [InlineData("""{"name":"s","stage_order":1,"mode":"percentage","mode_value":101,"rules":[{"rule_type":"user","rule_value":{"user_id":"a"}}]}""", "stages[0].mode_value")]
    [InlineData("""{"name":"s","stage_order":1,"on_breach":"notify","rules":[{"rule_type":"user","rule_value":{"user_id":"a"}}]}""", "stages[0].sla_hours")]
    [InlineData("""{"name":"s","stage_order":1,"sla_hours":4,"on_breach":"escalate","rules":[{"rule_type":"user","rule_value":{"user_id":"a"}}]}""", "stages[0].escalation_rules")]
    [InlineData("""{"name":"s","stage_order":1,"rules":[{"rule_type":"user","kind":"observer","required":true,"rule_value":{"user_id":"a"}}]}""", "stages[0].rules[0].required")]
    [InlineData("""{"name":"s","stage_order":1,"rules":[{"rule_type":"user","kind":"observer","rule_value":{"user_id":"a"}}]}""", "stages[0].rules")]
    [InlineData("""{"name":"s","stage_order":1}""", "stages[0].rules")]
    [InlineData("""{"name":"s","stage_order":1,"rules":[{"rule_type":"role","rule_value":{"user_id":"a"}}]}""", "stages[0].rules[0].rule_value.role")]
    [InlineData("""{"name":"s","stage_order":1,"rules":[{"rule_type":"http","rule_value":{"url":"ftp://x"}}]}""", "stages[0].rules[0].rule_value.url")]
    [InlineData("""{"name":"s","stage_order":1,"rules":[{"rule_type":"expression","rule_value":{}}]}""", "stages[0].rules[0].rule_value.logic")]
    public async Task Cross_field_rules_are_refused_by_both(string stageJson, string path)
    {
        var document = await DocumentAsync();
        var body = new JsonObject
        {
            ["policy_key"] = "cross.field", ["name"] = "Cross field", ["artifact_type"] = "demo.artifact",
            ["stages"] = new JsonArray(JsonNode.Parse(stageJson)),
        };
        Assert.False(SchemaFor(document, "PolicyIn").Evaluate(Element(body)).IsValid, $"schema accepts {stageJson}");
        var reply = await fx.Admin.PostJson("/v1/awe/policies", body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reply.Status);
        Assert.Contains(path, reply.Json["errors"]!.AsArray().Select(e => e?["path"]?.GetValue<string>()));
    }

    [Fact]
    public async Task An_empty_stage_that_may_be_skipped_is_valid_for_both()
    {
        var document = await DocumentAsync();
        var body = JsonNode.Parse("""
            {"policy_key":"empty.skip","name":"Empty","artifact_type":"demo.artifact","stages":[{"name":"s","stage_order":1,"on_empty":"skip"}]}
            """)!;
        Assert.True(SchemaFor(document, "PolicyIn").Evaluate(Element(body)).IsValid);
        (await fx.Admin.PostJson("/v1/awe/policies", body)).Expect(HttpStatusCode.Created);
    }

    // ---- sending a body to the operation that takes it ----

    private async Task<Reply> SendAsync(JsonObject document, string schemaName, JsonNode body)
    {
        // Prefer a creation (POST without path parameters); path parameters get ids that do not exist, which is
        // fine: every reader runs before the look-up, so a valid body answers 404 and an invalid one 422.
        var target = $"#/components/schemas/{schemaName}";
        var (method, path) = (from p in document["paths"]!.AsObject()
                              from op in p.Value!.AsObject()
                              where op.Value!["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>() == target
                              orderby op.Key == "post" ? 0 : 1, p.Key.Count(c => c == '{')
                              select (op.Key, p.Key)).First();
        var url = path.Replace("{version}", "1").Replace("{key}", "no.such.policy").Replace("{id}", "no-such-id");
        return await fx.Admin.SendAsync(new HttpMethod(method.ToUpperInvariant()), url, body);
    }

    // ---- schema plumbing ----

    /// <summary>One component as a standalone JSON Schema 2020-12, its references pointing into $defs.</summary>
    private static JsonSchema SchemaFor(JsonObject document, string name)
    {
        var defs = document["components"]!["schemas"]!.ToJsonString().Replace("#/components/schemas/", "#/$defs/");
        var text = $$"""{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{{defs}},"$ref":"#/$defs/{{name}}"}""";
        return JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    private static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;

    /// <param name="Valid">a value at the edge of what the schema allows: both must accept it</param>
    /// <param name="Either">both must give the same verdict, whichever it is (null where a cross-field rule may need the field)</param>
    private sealed record Mutation(string Description, string Path, Func<JsonNode, JsonNode> Apply, bool Valid = false, bool Either = false);

    private static JsonObject Resolve(JsonObject schemas, JsonNode schema)
    {
        var s = schema.AsObject();
        return s["$ref"] is { } r ? Resolve(schemas, schemas[r.GetValue<string>().Split('/')[^1]]!) : s;
    }

    private static string Join(IReadOnlyList<object> segments) => string.Concat(segments.Select((s, i) =>
        s is int n ? $"[{n}]" : i == 0 ? (string)s : "." + s));

    private static Func<JsonNode, JsonNode> At(IReadOnlyList<object> parent, Action<JsonNode> change) => root =>
    {
        var node = root;
        foreach (var s in parent) node = s is int n ? node[n]! : node[(string)s]!;
        change(node);
        return root;
    };

    /// <summary>Breaks the example one field at a time, guided by the schema: each mutation names the path the reader must report.</summary>
    private static void Mutate(JsonObject schemas, JsonObject schema, JsonNode instance, List<object> at, List<Mutation> output)
    {
        if (instance is not JsonObject obj || schema["properties"] is not JsonObject declared) return;
        // Properties as the instance selects them: an if/then whose condition holds narrows a property (rule_value by rule_type).
        var properties = declared.ToDictionary(p => p.Key, p => Resolve(schemas, p.Value!));
        foreach (var branch in schema["allOf"]?.AsArray() ?? [])
        {
            var condition = branch!["if"]?["properties"]?.AsObject().FirstOrDefault();
            if (condition?.Value?["const"] is { } value && obj[condition.Value.Key]?.ToJsonString() == value.ToJsonString()
                && branch["then"]?["properties"] is JsonObject narrowed)
                foreach (var (name, s) in narrowed) properties[name] = Resolve(schemas, s!);
        }

        var required = schema["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
        foreach (var name in required.Where(obj.ContainsKey))
            output.Add(new($"{Join([.. at, name])} removed", Join([.. at, name]), At(at, n => n.AsObject().Remove(name))));
        if (schema["additionalProperties"]?.GetValue<bool>() == false)
            output.Add(new($"unknown field {Join([.. at, "zz_unknown"])}", Join([.. at, "zz_unknown"]), At(at, n => n["zz_unknown"] = 1)));

        // Every declared field, present in the example or not: a bad value is added where the example has none.
        foreach (var (name, p) in properties)
        {
            var value = obj[name];
            var path = Join([.. at, name]);
            void Set(string what, JsonNode? bad) => output.Add(new($"{path} {what}", path, At(at, n => n[name] = bad?.DeepClone())));
            void Edge(string what, JsonNode good) => output.Add(new($"{path} {what}", path, At(at, n => n[name] = good.DeepClone()), Valid: true));
            var types = p["type"] switch
            {
                JsonArray a => a.Select(t => t!.GetValue<string>()).ToList(),
                JsonValue v => [v.GetValue<string>()],
                _ => [],
            };
            // An optional field may be null: the reader takes it as not given.
            if (!required.Contains(name) && types.Contains("null"))
                output.Add(new($"{path} as null", path, At(at, n => n[name] = null), Either: true));
            if (types.Contains("string"))
            {
                Set("as a number", 12345);
                if (p["maxLength"] is { } max)
                {
                    Set("too long", new string('x', max.GetValue<int>() + 1));
                    // A calendar must be one this deployment configures (awe.calendars): no length makes a name valid.
                    if (p["format"] is null && p["pattern"]?.GetValue<string>() is null or "\\S" && p["enum"] is null && name != "calendar")
                        Edge("at its maximum length", new string('x', max.GetValue<int>()));
                }
                if (p["enum"] is not null) Set("outside the enum", "no-such-value");
                else if (p["pattern"] is not null) Set("blank or off-pattern", "   ");
            }
            if (types.Contains("integer"))
            {
                Set("as a string", "seven");
                Set("as a fraction", 1.5);
                if (p["minimum"] is { } min)
                {
                    Set("below the minimum", (long)min.GetValue<decimal>() - 1);
                    Edge("at the minimum", (long)min.GetValue<decimal>());
                }
                if (p["maximum"] is { } top)
                {
                    Set("above the maximum", (long)top.GetValue<decimal>() + 1);
                    // An open-ended range's int.MaxValue is the reader's type limit, where cross-field checks (reachable quorums) speak.
                    if (top.GetValue<decimal>() < int.MaxValue) Edge("at the maximum", (long)top.GetValue<decimal>());
                }
            }
            if (types.Contains("boolean")) Set("as a string", "yes");
            if (types.Contains("array"))
            {
                Set("as an object", new JsonObject());
                if (value is JsonArray { Count: > 0 } items && p["items"] is { } itemSchema)
                    Mutate(schemas, Resolve(schemas, itemSchema), items[0]!, [.. at, name, 0], output);
            }
            if (types.Contains("object"))
            {
                Set("as a string", "text");
                if (value is not null) Mutate(schemas, p, value, [.. at, name], output);
            }
        }
    }
}
