using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Npgsql;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Awe.Host.Tests.Webhooks;

/// <summary>
/// A host whose dispatcher is quick enough for tests: a tick a second, three attempts with 0 s then 1 s between
/// them, a 2 s timeout, and loopback receivers allowed.
/// </summary>
public class WebhookFixture : PostgresAppFixture
{
    public static readonly IReadOnlyDictionary<string, string?> FastDispatcher = new Dictionary<string, string?>
    {
        ["awe:outbound:allow_private_networks"] = "true",
        ["awe:webhook:poll_interval_seconds"] = "1",
        ["awe:webhook:max_attempts"] = "3",
        ["awe:webhook:backoff_seconds:0"] = "0",
        ["awe:webhook:backoff_seconds:1"] = "1",
        ["awe:webhook:timeout_seconds"] = "2",
        ["awe:webhook:batch_size"] = "20",
    };

    protected override IReadOnlyDictionary<string, string?>? Settings => FastDispatcher;

    public static IReadOnlyDictionary<string, string?> With(IReadOnlyDictionary<string, string?> settings, params (string Key, string? Value)[] changes)
    {
        var copy = new Dictionary<string, string?>(settings);
        foreach (var (k, v) in changes) copy[k] = v;
        return copy;
    }
}

/// <summary>Steps shared by the webhook tests: policies, requests with a callback, secrets, deliveries.</summary>
public static class WebhookKit
{
    public const string Approver = "u-alice";

    /// <summary>A fresh caller-service name (the token sub), so each test has its own secrets.</summary>
    public static string NewService(string hint) => $"svc-{hint}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Creates and activates a one-stage policy approved by u-alice; returns its key.</summary>
    public static Task<string> PolicyAsync(HttpClient admin, string hint) =>
        TestPolicies.CreateActiveAsync(admin, TestPolicies.Policy($"wh.{hint}.{Guid.NewGuid().ToString("N")[..8]}", TestPolicies.Stage(1, "any-n", 1, TestPolicies.User(Approver))));

    /// <summary>Creates a request with a callback URL (request_created + stage_started: two events); returns the create answer.</summary>
    public static async Task<JsonNode> RequestAsync(HttpClient caller, string policyKey, string callbackUrl, string? artifactId = null,
        string? callbackSecretId = null)
    {
        var body = new JsonObject
        {
            ["policy_key"] = policyKey, ["artifact_type"] = "test.artifact", ["artifact_id"] = artifactId ?? $"a-{Guid.NewGuid():N}",
            ["context"] = new JsonObject(), ["callback_url"] = callbackUrl,
        };
        if (callbackSecretId is not null) body["callback_secret_id"] = callbackSecretId;
        return (await caller.PostJson("/v1/awe/requests", body)).Expect(HttpStatusCode.Created).Json;
    }

    /// <summary>u-alice approves the request's open task (task_decided, stage_completed, request_approved: three more events).</summary>
    public static async Task ApproveAsync(HttpClient alice, JsonNode created)
    {
        var task = created["tasks"]!.AsArray().Single()!;
        (await alice.PostJson($"/v1/awe/tasks/{task["id"]}/decision", new JsonObject { ["action"] = "approve" })).Expect(HttpStatusCode.Created);
    }

    public static string Id(JsonNode created) => (string)created["request_id"]!;

    /// <summary>Issues a secret for a caller service; returns (secret id, raw secret).</summary>
    public static async Task<(string Id, string Secret)> IssueSecretAsync(HttpClient admin, string callerService)
    {
        var issued = (await admin.PostJson("/v1/awe/admin/callback-secrets", new JsonObject { ["caller_service"] = callerService }))
            .Expect(HttpStatusCode.Created).Json;
        return ((string)issued["id"]!, (string)issued["secret"]!);
    }

    /// <summary>The request's deliveries in journal order.</summary>
    public static async Task<List<JsonNode>> DeliveriesAsync(HttpClient admin, string requestId)
    {
        var list = (await admin.GetJson($"/v1/awe/admin/deliveries?request_id={requestId}")).Expect(HttpStatusCode.OK).Json.AsArray();
        return list.Select(d => d!).OrderBy(d => (int)d["seq"]!).ToList();
    }

    /// <summary>Waits until the request has <paramref name="count"/> deliveries and all satisfy <paramref name="condition"/>.</summary>
    public static Task<List<JsonNode>> WaitForDeliveriesAsync(HttpClient admin, string requestId, int count, Func<JsonNode, bool> condition,
        string what, int seconds = 30) =>
        Wait.UntilAsync(() => DeliveriesAsync(admin, requestId), list => list.Count == count && list.All(condition),
            $"{what} (request {requestId}, {count} deliveries)", seconds, list => string.Join("\n", list.Select(d => d.ToJsonString())));

    public static bool Is(JsonNode delivery, string status) => (string?)delivery["status"] == status;

    public static async Task<List<JsonNode>> EventsAsync(HttpClient admin, string requestId) =>
        (await admin.GetJson($"/v1/awe/requests/{requestId}/events")).Expect(HttpStatusCode.OK).Json.AsArray().Select(e => e!).ToList();

    // ---- signatures, recomputed here independently of the production code ----

    /// <summary>X-Approval-Signature value for one secret: sha256=hex(HMAC-SHA256(UTF-8 of the whole secret, "ts." + body)).</summary>
    public static string ReferenceSignature(string secret, string timestamp, byte[] body) =>
        "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray()))
            .ToLowerInvariant();

    /// <summary>webhook-signature value for one secret: v1,base64(HMAC-SHA256(base64-decoded key, "id.ts." + body)).</summary>
    public static string StandardSignature(string secret, string id, string timestamp, byte[] body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret["whsec_".Length..]),
            Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray()));

    /// <summary>The values of X-Approval-Signature (", "-separated when several secrets sign).</summary>
    public static string[] ReferenceValues(ReceivedWebhook r) =>
        r.Header("X-Approval-Signature")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];

    /// <summary>The values of webhook-signature (space-separated when several secrets sign).</summary>
    public static string[] StandardValues(ReceivedWebhook r) =>
        r.Header("webhook-signature")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];

    /// <summary>
    /// Verifies one Standard Webhooks signature value with the off-the-shelf StandardWebhooks package, over the raw
    /// body as received. Returns the library's complaint, or null when it accepts.
    /// </summary>
    public static string? LibraryVerify(string secret, ReceivedWebhook r, string? signatureValue = null)
    {
        var headers = new HeaderDictionary();
        foreach (var (k, v) in r.Headers) headers[k] = v;
        if (signatureValue is not null) headers["webhook-signature"] = signatureValue;
        try
        {
            new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(r.Body), headers);
            return null;
        }
        catch (WebhookVerificationException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Asserts the delivery carries, in both schemes, exactly one signature per secret in <paramref name="secrets"/> (in
    /// that order; with several, the Standard Webhooks list repeats its first at the end), each equal byte for byte to an
    /// independent recomputation and each accepted by the StandardWebhooks package on its own.
    /// </summary>
    public static void AssertSignedBy(ReceivedWebhook r, params string[] secrets)
    {
        var id = r.Header("webhook-id")!;
        var timestamp = r.Header("webhook-timestamp")!;
        Assert.Equal(r.Header("X-Approval-Event-Id"), id);
        Assert.Equal(r.Header("X-Approval-Timestamp"), timestamp);
        Assert.Equal(secrets.Select(s => ReferenceSignature(s, timestamp, r.Body)), ReferenceValues(r));
        var expected = secrets.Select(s => StandardSignature(s, id, timestamp, r.Body)).ToList();
        if (expected.Count > 1) expected.Add(expected[0]);
        Assert.Equal(expected, StandardValues(r));
        var values = StandardValues(r);
        for (var i = 0; i < secrets.Length; i++) Assert.Null(LibraryVerify(secrets[i], r, values[i]));
    }

    // ---- direct database reads (only to check what is stored, never to drive the system) ----

    public static async Task<List<string>> RowsAsJsonAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    public static async Task<long> CountAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
