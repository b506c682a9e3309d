using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Platform;

/// <summary>
/// Every operation of the API, read from the served OpenAPI document (so a new endpoint is swept without editing this
/// test), called with hostile values in each of its path parameters — ids that do not exist, SQL and script text, path
/// traversal, NUL, bytes that are not UTF-8, an emoji, 3,000 characters, numbers past long — and once with headers
/// larger than the server accepts. Each call is a 4xx in the error envelope with an AWE code and changes nothing.
/// </summary>
public sealed partial class BogusIdSweepTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    /// <summary>Path segments as sent on the wire (already percent-encoded where needed).</summary>
    private static readonly string[] BogusSegments =
    [
        Guid.NewGuid().ToString(), "%27%20OR%20%271%27%3D%271%27%3B%20DROP%20TABLE%20approval_request%3B--",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "..%2F..%2Fetc%2Fpasswd", "%00", "%FF%FE", "%F0%9F%92%A9", new string('x', 3000),
        "99999999999999999999999",
    ];

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex PathParameter();

    /// <summary>A plausible body per operation, so that the id is what gets judged rather than a missing field.</summary>
    private static string BodyFor(string path, string method) => path switch
    {
        _ when path.EndsWith("/decision") => """{"action": "approve", "comment": "c"}""",
        _ when path.EndsWith("/reassign") => """{"new_assignee": "u-new", "reason": "r"}""",
        _ when path.EndsWith("/cancel") => """{"reason": "r"}""",
        _ when path.EndsWith("/simulate") => """{"context": {}}""",
        _ when path.EndsWith("/rotate") => """{"grace_seconds": 60}""",
        _ when method == "patch" => """{"name": "renamed"}""",
        _ when method == "put" => """{"policy_key": "sweep.p", "name": "n", "artifact_type": "t", "stages": [{"name": "s", "stage_order": 1, "mode": "all", "rules": [{"rule_type": "user", "rule_value": {"user_id": "u"}}]}]}""",
        _ => "{}",
    };

    private async Task<List<(string Path, string Method)>> OperationsAsync()
    {
        var doc = (await fx.Admin.GetJson("/v1/awe/openapi.json")).Expect(HttpStatusCode.OK).Json;
        return doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => (p.Key, m.Key))).ToList();
    }

    private Task<Reply> SendAsync(string method, string url, string? body, string? filler = null) => SendAsync(fx.Admin, method, url, body, filler);

    private static async Task<Reply> SendAsync(HttpClient client, string method, string url, string? body, string? filler = null)
    {
        using var message = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
        if (method is "post" or "put" or "patch")
            message.Content = new StringContent(body ?? "{}", System.Text.Encoding.UTF8, "application/json");
        if (filler is not null) message.Headers.TryAddWithoutValidation("X-Filler", filler);
        using var response = await client.SendAsync(message);
        var raw = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try { json = raw.Length > 0 ? JsonNode.Parse(raw) : null; }
        catch (System.Text.Json.JsonException) { }
        return new Reply(response.StatusCode, json, raw);
    }

    private static string? Judge(string label, Reply reply)
    {
        if ((int)reply.Status is < 400 or >= 500) return $"{label}: HTTP {(int)reply.Status} {Cut(reply.Raw)}";
        if (reply.ErrorCode is not { } code) return $"{label}: HTTP {(int)reply.Status} without an AWE error code: {Cut(reply.Raw)}";
        try
        {
            EnvelopeAssert.Error(reply, reply.Status, code);
            return null;
        }
        catch (Exception e)
        {
            return $"{label}: not the error envelope: {Cut(e.Message)}";
        }
    }

    [Fact]
    public async Task Every_path_parameter_of_every_operation_with_a_bogus_value_is_a_4xx_that_changes_nothing()
    {
        // Something to find, so that a bogus id is judged beside real rows rather than in an empty database.
        var key = await CreateActiveAsync(fx.Admin, Policy("sweep.real", Stage(1, "all", null, User("u-sweep"))));
        await RequestAsync(fx.Admin, key);
        var operations = await OperationsAsync();
        var parameterised = operations.Where(o => PathParameter().IsMatch(o.Path)).ToList();
        Assert.True(parameterised.Count >= 20, $"only {parameterised.Count} operations with path parameters in the OpenAPI document");

        // Over real HTTP (Kestrel's URL decoding, not the test server's): a %00 or a 3,000-character segment meets the
        // server exactly as it would from a caller.
        await using var host = await HostProcess.StartAsync(fx.Database.ConnectionString);
        using var admin = host.ClientFor(Tokens.Admin);
        var failures = new List<string>();
        var fingerprint = await DatabaseFingerprint.OfAsync(fx.Database.ConnectionString);
        foreach (var (path, method) in parameterised)
        {
            var names = PathParameter().Matches(path).Select(m => m.Value).ToList();
            foreach (var name in names)
            foreach (var bogus in BogusSegments)
            {
                // The other parameters keep real values (the real policy, version 1), so each bogus value is judged alone.
                var url = names.Aggregate(path, (u, n) => u.Replace(n, n == name ? bogus : n == "{version}" ? "1" : n == "{key}" ? key : "nope"));
                var reply = await SendAsync(admin, method, url, BodyFor(path, method));
                var label = $"{method.ToUpperInvariant()} {path} with {name} = {Cut(bogus, 40)}";
                if (bogus == "%00")
                {
                    // Kestrel's request-line parser refuses a NUL in the path with a bare 400 before any AWE code runs
                    // (no hook can give it a body); docs/api.md says so. Still a 4xx, and nothing is read or written.
                    if (reply.Status != HttpStatusCode.BadRequest) failures.Add($"{label}: expected Kestrel's 400, got {(int)reply.Status}");
                }
                else if (Judge(label, reply) is { } failure) failures.Add(failure);
            }
        }
        // Every call was refused, so the rows are exactly as before the sweep.
        Assert.Equal(fingerprint, await DatabaseFingerprint.OfAsync(fx.Database.ConnectionString));
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task Headers_larger_than_the_server_accepts_are_431_AWE_014_on_every_operation()
    {
        var filler = new string('h', 40_000); // over awe.server.max_header_bytes (32768), under Kestrel's own limit (4x)
        var failures = new List<string>();
        var fingerprint = await DatabaseFingerprint.OfAsync(fx.Database.ConnectionString);
        foreach (var (path, method) in await OperationsAsync())
        {
            var url = PathParameter().Replace(path, "nope");
            var reply = await SendAsync(method, url, BodyFor(path, method), filler);
            var label = $"{method.ToUpperInvariant()} {path} with a 40 KB header";
            if (Judge(label, reply) is { } failure) failures.Add(failure);
            else if (reply.Status != HttpStatusCode.RequestHeaderFieldsTooLarge || reply.ErrorCode != "AWE-014")
                failures.Add($"{label}: expected 431 AWE-014, got {(int)reply.Status} {reply.ErrorCode}");
        }
        Assert.Equal(fingerprint, await DatabaseFingerprint.OfAsync(fx.Database.ConnectionString));
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    private static string Cut(string s, int max = 300) => s.Length <= max ? s : s[..max] + "…";
}
