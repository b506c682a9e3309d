using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Policies;

/// <summary>
/// No caller mistake gives a 500: every value of a complete policy document is swapped, one at a time, for values
/// of the wrong type or at the edges of its range. Each variant is either refused (422 in the envelope) or accepted,
/// and an accepted one must then activate, simulate and run a request without a server error.
/// </summary>
public sealed class PolicyRobustnessTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private const string Document = """
        {
          "policy_key": "rb.base", "name": "Robust", "description": "d", "artifact_type": "test.artifact",
          "forbid_self_approval": true, "forbid_repeat_approvers": true,
          "stages": [
            {
              "name": "One", "stage_order": 1, "mode": "any-n", "mode_value": 1, "sla_hours": 24,
              "skip_if": {"<": [{"var": "amount"}, 100]}, "on_empty": "skip", "on_breach": "escalate",
              "escalation_rules": [{"rule_type": "user", "rule_value": {"user_id": "u-boss"}}],
              "rules": [
                {"rule_type": "user", "rule_value": {"user_id": "u-alice"}, "kind": "approver", "required": true},
                {"rule_type": "expression", "rule_value": {"logic": {"var": "reviewer"}}, "kind": "observer"}
              ]
            },
            {
              "name": "Two", "stage_order": 2, "mode": "percentage", "mode_value": 50, "parallel_group": 1,
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-bob"}}]
            },
            {
              "name": "Three", "stage_order": 3, "mode": "all", "parallel_group": 1,
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-carol"}}]
            }
          ]
        }
        """;

    private static readonly Func<JsonNode?>[] Replacements =
    [
        () => null, () => -1, () => 0, () => 101, () => int.MaxValue, () => 2147483648L, () => 1.5, () => "", () => "x",
        () => new string('x', 3000), () => true, () => new JsonArray(1, "a"), () => new JsonObject(),
    ];

    /// <summary>Every node of the document with its path and a way to replace it in a copy.</summary>
    private static IEnumerable<string> Paths(JsonNode node, string path = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    var p = path.Length == 0 ? name : $"{path}.{name}";
                    yield return p;
                    if (child is not null) foreach (var deeper in Paths(child, p)) yield return deeper;
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var p = $"{path}[{i}]";
                    yield return p;
                    if (a[i] is { } child) foreach (var deeper in Paths(child, p)) yield return deeper;
                }
                break;
        }
    }

    private static JsonObject With(string path, JsonNode? value)
    {
        var copy = JsonNode.Parse(Document)!.AsObject();
        JsonNode parent = copy;
        var steps = System.Text.RegularExpressions.Regex.Matches(path, @"([^.\[\]]+)|\[(\d+)\]").Select(m => m).ToList();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var last = i == steps.Count - 1;
            if (step.Groups[2].Success)
            {
                var index = int.Parse(step.Groups[2].Value);
                if (last) parent.AsArray()[index] = value;
                else parent = parent.AsArray()[index]!;
            }
            else
            {
                if (last) parent.AsObject()[step.Groups[1].Value] = value;
                else parent = parent.AsObject()[step.Groups[1].Value]!;
            }
        }
        return copy;
    }

    [Fact]
    public async Task Every_field_with_a_wrong_or_extreme_value_is_refused_or_works_never_a_500()
    {
        var admin = fx.Admin;
        var variants = Paths(JsonNode.Parse(Document)!).Where(p => p != "policy_key")
            .SelectMany(path => Replacements.Select(replacement => (Path: path, Value: replacement)))
            .Select((v, i) => (Key: $"rb.{i}", v.Path, v.Value))
            .ToList();
        var accepted = new System.Collections.Concurrent.ConcurrentBag<(string Key, string? ArtifactType)>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>(); // all of them, not just the first
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 4 };

        await Parallel.ForEachAsync(variants, parallel, async (variant, _) =>
        {
            var document = With(variant.Path, variant.Value());
            document["policy_key"] = variant.Key;
            var reply = await admin.PostJson("/v1/awe/policies", document);
            var what = $"{variant.Path} = {variant.Value()?.ToJsonString() ?? "null"}";
            if (reply.Status == HttpStatusCode.Created)
                accepted.Add((variant.Key, (string?)reply.Json["artifact_type"]));
            else if (reply.Status != HttpStatusCode.UnprocessableEntity)
                failures.Add($"{what}: HTTP {(int)reply.Status} {reply.Raw}");
            else if (EnvelopeAssert.Error(reply, HttpStatusCode.UnprocessableEntity, "AWE-012").Any(e => string.IsNullOrEmpty((string?)e!["path"])))
                failures.Add($"{what}: a problem without a path: {reply.Raw}");
        });

        Assert.NotEmpty(accepted);
        var contexts = new[]
        {
            new JsonObject { ["amount"] = 5000, ["reviewer"] = "u-rita" },
            new JsonObject { ["amount"] = "many", ["reviewer"] = new JsonArray("u-x", null, 0, "u-y") },
        };
        await Parallel.ForEachAsync(accepted, parallel, async (policy, _) =>
        {
            var (key, artifactType) = policy;
            var activate = await admin.PostJson($"/v1/awe/policies/{key}/versions/1/activate");
            if (activate.Status != HttpStatusCode.OK)
            {
                failures.Add($"activate {key}: {(int)activate.Status} {activate.Raw}");
                return;
            }
            for (var i = 0; i < contexts.Length; i++)
            {
                var simulate = await admin.PostJson($"/v1/awe/policies/{key}/versions/1/simulate", new JsonObject
                {
                    ["context"] = contexts[i].DeepClone(), ["requester"] = "u-alice",
                });
                if (simulate.Status != HttpStatusCode.OK && !NoUserIds(simulate)) failures.Add($"simulate {key} #{i}: {(int)simulate.Status} {simulate.Raw}");
                var request = await admin.PostJson("/v1/awe/requests", new JsonObject
                {
                    ["policy_key"] = key, ["artifact_type"] = artifactType, ["artifact_id"] = $"a-{i}", ["context"] = contexts[i].DeepClone(),
                    ["requester"] = "u-alice",
                });
                if (request.Status != HttpStatusCode.Created)
                {
                    if (NoUserIds(request)) continue;
                    failures.Add($"request {key} #{i}: {(int)request.Status} {request.Raw}");
                    continue;
                }
                var workflow = await admin.GetJson($"/v1/awe/requests/{request.Json["request_id"]}/workflow");
                if (workflow.Status != HttpStatusCode.OK) failures.Add($"workflow {key} #{i}: {(int)workflow.Status} {workflow.Raw}");
            }
        });
        Assert.True(failures.IsEmpty, $"{failures.Count} server errors:\n{string.Join("\n", failures.Order())}");
    }

    /// <summary>
    /// The 422 for an expression whose result can never be user ids (a 3000-character literal, true, an object): the
    /// caller's answer for a policy that was valid to store but yields no usable approvers for this context.
    /// </summary>
    private static bool NoUserIds(Reply reply) =>
        reply.Status == HttpStatusCode.UnprocessableEntity && reply.ErrorCode == "AWE-012"
        && reply.Raw.Contains("(expression)") && (reply.Raw.Contains("at most 128") || reply.Raw.Contains("only strings and numbers are user ids"));

    [Fact]
    public async Task Odd_query_and_route_values_never_give_a_500()
    {
        string[] values = ["", " ", "x", "-1", "0", "1001", "99999999999", "1.5", "2026-01-01", "2026-02-30T00:00:00Z", "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z", "%00", "%FF", "%C3%A9", new string('q', 3000), "a%2Fb", "*", "null"];
        string[] parameters = ["actor", "action", "resource_type", "resource_id", "since", "until", "limit", "before", "after"];
        var failures = new List<string>();
        foreach (var name in parameters)
        foreach (var value in values)
        {
            var reply = await fx.Viewer.GetJson($"/v1/awe/admin/audit?{name}={value}");
            if ((int)reply.Status >= 500 || (reply.Status != HttpStatusCode.OK && reply.ErrorCode is null))
                failures.Add($"audit {name}={value}: {(int)reply.Status} {reply.Raw}");
        }
        foreach (var value in values.Where(v => v.Length > 0 && v.Length < 1000 && v != "%00"))
        {
            foreach (var url in new[]
                     {
                         $"/v1/awe/policies/{value}/versions", $"/v1/awe/policies/{value}/versions/1", $"/v1/awe/policies/rb/versions/{value}",
                         $"/v1/awe/policies/{value}/versions/1/workflow",
                     })
            {
                var reply = await fx.Viewer.GetJson(url);
                if ((int)reply.Status >= 500 || reply.ErrorCode is null) failures.Add($"GET {url}: {(int)reply.Status} {reply.Raw}");
            }
            var simulate = await fx.Admin.PostJson($"/v1/awe/policies/{value}/versions/1/simulate", new JsonObject());
            if ((int)simulate.Status >= 500 || simulate.ErrorCode is null) failures.Add($"simulate {value}: {(int)simulate.Status} {simulate.Raw}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
