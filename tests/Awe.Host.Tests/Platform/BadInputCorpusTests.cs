using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Platform;

/// <summary>
/// A generated corpus of bad input for every JSON body the API accepts (policies, requests, decisions, reassign,
/// cancel, delegations, simulate, callback secrets and their rotation, bulk delivery retry): each value of a valid
/// body, one at a time, is swapped for invalid Unicode (lone surrogates, bytes that are not UTF-8), NUL, null, and
/// values of the wrong type or size, SQL and script text, nesting deeper than the parser allows; so is the whole body.
/// Every variant is either accepted (2xx) or refused with a 4xx in the error envelope with an AWE code, and a refused
/// one changes nothing in the database. Ids in URLs and oversized headers: <see cref="BogusIdSweepTests"/>.
/// </summary>
public sealed class BadInputCorpusTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    /// <summary>Raw JSON values (bytes, so that text which is not UTF-8 can be sent as it is).</summary>
    private static readonly (string Label, byte[] Json)[] Values =
    [
        ("null", Utf8("null")),
        ("lone low surrogate", Utf8("\"\\udc00\"")),
        ("lone high surrogate", Utf8("\"x\\ud800\"")),
        ("reversed surrogate pair", Utf8("\"\\udc00\\ud800\"")),
        ("bytes that are not UTF-8", [0x22, 0xFF, 0xFE, 0x22]),
        ("truncated UTF-8", [0x22, 0x61, 0xE2, 0x82, 0x22]),
        ("NUL", Utf8("\"a\\u0000b\"")),
        ("empty string", Utf8("\"\"")),
        ("blank string", Utf8("\"   \"")),
        ("long string", Utf8($"\"{new string('x', 5000)}\"")),
        ("number", Utf8("12")),
        ("negative number", Utf8("-1")),
        ("fraction", Utf8("1.5")),
        ("number beyond double", Utf8("1e400")),
        ("number beyond long", Utf8("9223372036854775808")),
        ("true", Utf8("true")),
        ("empty array", Utf8("[]")),
        ("array with a lone surrogate", Utf8("[\"\\udc00\"]")),
        ("array with null", Utf8("[null]")),
        ("empty object", Utf8("{}")),
        ("object with a lone surrogate name", Utf8("{\"\\udc00\": 1}")),
        ("object with a NUL name", Utf8("{\"a\\u0000\": 1}")),
        ("SQL", Utf8("\"x'); DROP TABLE approval_request; --\"")),
        ("script", Utf8("\"<script>alert(1)</script>{{7*7}}${7*7}\"")),
        ("nested 100 deep", Utf8(new string('[', 100) + new string(']', 100))),
    ];

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private const string Marker = "\"@@corpus-marker@@\"";

    /// <summary>One endpoint: a valid body and where to send it (refreshed after a variant was accepted and used it up).</summary>
    private sealed record Target(string Name, Func<JsonObject> Body, Func<Task<string>> Url, Action<JsonObject, int>? Uniquify = null);

    private IEnumerable<Target> Targets(string policyKey)
    {
        async Task<JsonNode> NewRequestAsync() => await Flow.CreateAsync(fx.Admin, policyKey, new JsonObject { ["amount"] = 5 });
        async Task<string> LiveTaskAsync() => (await NewRequestAsync())["tasks"]![0]!.Str("id");

        yield return new Target("policy", () => JsonNode.Parse("""
            {
              "policy_key": "corpus.p", "name": "Corpus", "description": "d", "artifact_type": "test.artifact",
              "forbid_self_approval": true, "forbid_repeat_approvers": false,
              "stages": [
                {
                  "name": "One", "stage_order": 1, "mode": "any-n", "mode_value": 1, "sla_hours": 24, "parallel_group": 1,
                  "skip_if": {"<": [{"var": "amount"}, 100]}, "on_empty": "skip", "on_breach": "escalate",
                  "escalation_rules": [{"rule_type": "user", "rule_value": {"user_id": "u-boss"}}],
                  "rules": [
                    {"rule_type": "user", "rule_value": {"user_id": "u-alice"}, "kind": "approver", "required": true},
                    {"rule_type": "expression", "rule_value": {"logic": {"var": "reviewer"}}, "kind": "observer"}
                  ]
                }
              ]
            }
            """)!.AsObject(), () => Task.FromResult("/v1/awe/policies"), (body, i) => body["policy_key"] = $"corpus.p{i}");

        yield return new Target("request", () => new JsonObject
        {
            ["policy_key"] = policyKey, ["artifact_type"] = "test.artifact", ["artifact_id"] = "a",
            ["context"] = new JsonObject { ["amount"] = 5, ["notes"] = new JsonArray("n1", new JsonObject { ["deep"] = "x" }) },
            ["callback_url"] = null, ["callback_secret_id"] = null, ["requester"] = "u-req",
        }, () => Task.FromResult("/v1/awe/requests"), (body, i) => body["artifact_id"] = $"corpus-{i}");

        yield return new Target("decision", () => new JsonObject { ["action"] = "approve", ["comment"] = "c", ["attachments_ref"] = "ref" },
            async () => $"/v1/awe/tasks/{await LiveTaskAsync()}/decision");

        yield return new Target("reassign", () => new JsonObject { ["new_assignee"] = "u-new", ["reason"] = "r" },
            async () => $"/v1/awe/tasks/{await LiveTaskAsync()}/reassign");

        yield return new Target("cancel", () => new JsonObject { ["reason"] = "r" },
            async () => $"/v1/awe/requests/{(await NewRequestAsync()).RequestId()}/cancel");

        yield return new Target("delegation", () => new JsonObject
        {
            ["user_id"] = "u-away", ["delegate_to"] = "u-cover", ["starts_at"] = "2030-01-01T00:00:00Z", ["ends_at"] = "2030-01-02T00:00:00Z",
            ["reason"] = "leave",
        }, () => Task.FromResult("/v1/awe/delegations"));

        yield return new Target("simulate", () => new JsonObject
        {
            ["context"] = new JsonObject { ["amount"] = 500, ["reviewer"] = "u-rev" }, ["requester"] = "u-req",
        }, () => Task.FromResult($"/v1/awe/policies/{policyKey}/versions/1/simulate"));

        yield return new Target("callback secret", () => new JsonObject { ["caller_service"] = "svc" },
            () => Task.FromResult("/v1/awe/admin/callback-secrets"), (body, i) => body["caller_service"] = $"svc-corpus-{i}");

        yield return new Target("secret rotation", () => new JsonObject { ["grace_seconds"] = 60 }, async () =>
        {
            var issued = (await fx.Admin.PostJson("/v1/awe/admin/callback-secrets", new JsonObject { ["caller_service"] = Flow.Unique("svc-rot") }))
                .Expect(HttpStatusCode.Created).Json;
            return $"/v1/awe/admin/callback-secrets/{issued.Str("id")}/rotate";
        });

        yield return new Target("bulk retry", () => new JsonObject
        {
            ["request_id"] = "r-none", ["event_type"] = "stage_started", ["since"] = "2026-01-01T00:00:00Z", ["limit"] = 10,
        }, () => Task.FromResult("/v1/awe/admin/deliveries/retry"));
    }

    /// <summary>Every value's path in a body ("a.b[0].c"), found by walking it.</summary>
    private static IEnumerable<string> Paths(JsonNode? node, string path = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    var p = path.Length == 0 ? name : $"{path}.{name}";
                    yield return p;
                    foreach (var deeper in Paths(child, p)) yield return deeper;
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    yield return $"{path}[{i}]";
                    foreach (var deeper in Paths(a[i], $"{path}[{i}]")) yield return deeper;
                }
                break;
        }
    }

    /// <summary>The body with the value at <paramref name="path"/> replaced by <paramref name="value"/>, as bytes.</summary>
    private static byte[] Replace(JsonObject body, string path, byte[] value)
    {
        JsonNode parent = body;
        var steps = System.Text.RegularExpressions.Regex.Matches(path, @"([^.\[\]]+)|\[(\d+)\]").ToList();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var last = i == steps.Count - 1;
            JsonNode? marker = last ? JsonValue.Create("@@corpus-marker@@") : null;
            if (step.Groups[2].Success)
            {
                var index = int.Parse(step.Groups[2].Value);
                if (last) parent.AsArray()[index] = marker;
                else parent = parent.AsArray()[index]!;
            }
            else
            {
                if (last) parent.AsObject()[step.Groups[1].Value] = marker;
                else parent = parent.AsObject()[step.Groups[1].Value]!;
            }
        }
        return Splice(body.ToJsonString(), value);
    }

    private static byte[] Splice(string json, byte[] value)
    {
        var at = json.IndexOf(Marker, StringComparison.Ordinal);
        return [.. Utf8(json[..at]), .. value, .. Utf8(json[(at + Marker.Length)..])];
    }

    private Task<string> FingerprintAsync() => DatabaseFingerprint.OfAsync(fx.Database.ConnectionString);

    private async Task<Reply> PostAsync(string url, byte[] body)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await fx.Admin.SendAsync(message);
        var raw = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try { json = raw.Length > 0 ? JsonNode.Parse(raw) : null; }
        catch (System.Text.Json.JsonException) { }
        return new Reply(response.StatusCode, json, raw);
    }

    [Fact]
    public async Task Every_field_of_every_body_with_invalid_unicode_null_or_a_wrong_type_is_a_4xx_that_changes_nothing_or_works()
    {
        var policyKey = await CreateActiveAsync(fx.Admin, new JsonObject
        {
            ["policy_key"] = "corpus.target", ["name"] = "Target", ["artifact_type"] = "test.artifact",
            ["stages"] = new JsonArray(Stage(1, "all", null, User("u-approver"))),
        });
        var failures = new List<string>();
        var refused = 0;
        var counter = 0;

        foreach (var target in Targets(policyKey))
        {
            var variants = Paths(target.Body())
                .SelectMany(path => Values.Select(v => (What: $"{path} = {v.Label}", Path: path, v.Json)))
                .Select(v => (v.What, Make: (Func<JsonObject, byte[]>)(body => Replace(body, v.Path, v.Json))))
                // The whole body, and field names that are not valid text.
                .Concat(Values.Select(v => ($"whole body = {v.Label}", (Func<JsonObject, byte[]>)(_ => v.Json))))
                .Concat(new[] { "\\udc00", "a\\u0000", "\\ud800x" }.Select(name => ($"extra field named \"{name}\"",
                    (Func<JsonObject, byte[]>)(body => Splice(body.ToJsonString()[..^1] + $",\"{name}\":" + Marker + "}", Utf8("1"))))));

            string? url = null;
            string? fingerprint = null;
            foreach (var (what, make) in variants)
            {
                var body = target.Body();
                target.Uniquify?.Invoke(body, counter++);
                url ??= await target.Url();
                fingerprint ??= await FingerprintAsync();

                var reply = await PostAsync(url, make(body));
                var label = $"{target.Name}: {what}";
                if ((int)reply.Status is >= 200 and < 300)
                {
                    // Accepted: the change is legitimate; the next variant needs a fresh target and a fresh baseline.
                    (url, fingerprint) = (null, null);
                    continue;
                }
                refused++;
                if ((int)reply.Status is < 400 or >= 500)
                    failures.Add($"{label}: HTTP {(int)reply.Status} {Cut(reply.Raw)}");
                else if (reply.ErrorCode is null || !System.Text.RegularExpressions.Regex.IsMatch(reply.ErrorCode, "^AWE-0\\d\\d$"))
                    failures.Add($"{label}: HTTP {(int)reply.Status} without an AWE error code: {Cut(reply.Raw)}");
                else
                {
                    try
                    {
                        EnvelopeAssert.Error(reply, reply.Status, reply.ErrorCode);
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{label}: not the error envelope: {Cut(e.Message)}");
                    }
                }
                var after = await FingerprintAsync();
                if (after != fingerprint) failures.Add($"{label}: refused with {(int)reply.Status}, yet the database changed");
                fingerprint = after;
            }
        }

        Assert.True(refused > 500, $"only {refused} variants were refused; the corpus is not being generated");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    private static string Cut(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
