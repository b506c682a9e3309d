using System.Security.Cryptography;
using System.Text;
using Awe.Activities.Webhooks;

namespace Awe.Activities.Tests.Webhooks;

public class WebhookSignaturesTests
{
    // The Standard Webhooks specification's own test vector (msg id, timestamp, payload, secret → signature).
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecMessageId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private const string SpecPayload = "{\"test\": 2432232314}";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static readonly DateTimeOffset SpecNow = DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp);
    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void New_secrets_are_whsec_prefixed_base64_of_32_random_bytes()
    {
        var a = WebhookSignatures.NewSecret();
        var b = WebhookSignatures.NewSecret();
        Assert.StartsWith("whsec_", a);
        Assert.Equal(32, Convert.FromBase64String(a["whsec_".Length..]).Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Standard_signature_matches_the_specification_test_vector()
    {
        Assert.Equal(SpecSignature, WebhookSignatures.StandardSignature(SpecSecret, SpecMessageId, SpecTimestamp, Utf8(SpecPayload)));
        // The key is the decoded part after whsec_; a bare base64 key gives the same signature.
        Assert.Equal(SpecSignature, WebhookSignatures.StandardSignature(SpecSecret["whsec_".Length..], SpecMessageId, SpecTimestamp, Utf8(SpecPayload)));
    }

    [Theory]
    // Expected values computed outside .NET (Python hmac/hashlib) over the exact UTF-8 bytes.
    [InlineData(SpecSecret, 1614265330L, "{\"test\": 2432232314}", "sha256=2e37df5d4a028c51a7f3133d64ae1e300d2c2c900f1b1d49d4369ad2530f8964")]
    [InlineData(SpecSecret, 1700000000L, "{\"name\":\"Zoë ✓\"}", "sha256=51b5ed7ac9ce274fb7ba36eeba4491e1604d1cd128bed7fd2c4955d7c402eda8")]
    public void Reference_signature_keys_on_the_whole_secret_string_and_signs_timestamp_dot_body(string secret, long timestamp, string body,
        string expected)
    {
        Assert.Equal(expected, WebhookSignatures.ReferenceSignature(secret, timestamp, Utf8(body)));
    }

    [Fact]
    public void Reference_signature_is_lowercase_hex_of_hmac_over_the_raw_bytes()
    {
        var secret = WebhookSignatures.NewSecret();
        var body = Utf8("{\"event_id\":\"e-1\",\"seq\":1}");
        var mac = HMACSHA256.HashData(Utf8(secret), Utf8("1700000123.").Concat(body).ToArray());
        Assert.Equal("sha256=" + Convert.ToHexString(mac).ToLowerInvariant(), WebhookSignatures.ReferenceSignature(secret, 1700000123, body));
    }

    [Fact]
    public void Headers_without_a_secret_carry_ids_and_timestamps_but_no_signature()
    {
        var headers = WebhookSignatures.Headers([], "evt-1", 1700000000, Utf8("{}")).ToDictionary(h => h.Key, h => h.Value);
        Assert.Equal(new Dictionary<string, string>
        {
            ["X-Approval-Event-Id"] = "evt-1", ["X-Approval-Timestamp"] = "1700000000",
            ["webhook-id"] = "evt-1", ["webhook-timestamp"] = "1700000000",
        }, headers);
    }

    [Fact]
    public void Headers_with_two_secrets_carry_one_signature_per_secret_newest_first_and_the_standard_list_repeats_its_first()
    {
        var newer = WebhookSignatures.NewSecret();
        var older = WebhookSignatures.NewSecret();
        var body = Utf8("{\"a\":1}");
        var headers = WebhookSignatures.Headers([newer, older], "evt-9", 1700000001, body).ToDictionary(h => h.Key, h => h.Value);

        Assert.Equal(
            $"{WebhookSignatures.ReferenceSignature(newer, 1700000001, body)}, {WebhookSignatures.ReferenceSignature(older, 1700000001, body)}",
            headers["X-Approval-Signature"]);
        var first = WebhookSignatures.StandardSignature(newer, "evt-9", 1700000001, body);
        Assert.Equal($"{first} {WebhookSignatures.StandardSignature(older, "evt-9", 1700000001, body)} {first}", headers["webhook-signature"]);
    }

    [Fact]
    public void Verify_helpers_accept_every_signature_in_a_multi_secret_header()
    {
        var newer = WebhookSignatures.NewSecret();
        var older = WebhookSignatures.NewSecret();
        var body = Utf8("{\"a\":1}");
        var h = WebhookSignatures.Headers([newer, older], "evt-9", SpecTimestamp, body).ToDictionary(x => x.Key, x => x.Value);
        foreach (var secret in new[] { newer, older })
        {
            Assert.True(WebhookSignatures.VerifyReference(secret, h["X-Approval-Signature"], h["X-Approval-Timestamp"], body, SpecNow, FiveMinutes));
            Assert.True(WebhookSignatures.VerifyStandard(secret, h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body, SpecNow, FiveMinutes));
        }
        var stranger = WebhookSignatures.NewSecret();
        Assert.False(WebhookSignatures.VerifyReference(stranger, h["X-Approval-Signature"], h["X-Approval-Timestamp"], body, SpecNow, FiveMinutes));
        Assert.False(WebhookSignatures.VerifyStandard(stranger, h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body, SpecNow, FiveMinutes));
    }

    [Fact]
    public void Verify_standard_accepts_the_specification_vector()
    {
        Assert.True(WebhookSignatures.VerifyStandard(SpecSecret, SpecMessageId, SpecTimestamp.ToString(), SpecSignature, Utf8(SpecPayload),
            SpecNow, FiveMinutes));
    }

    public static TheoryData<string, string?, string?, string?, string, long> StandardRejections => new()
    {
        // description, id, timestamp, signature, body, now (unix seconds)
        { "body changed by one byte", SpecMessageId, "1614265330", SpecSignature, "{\"test\": 2432232315}", SpecTimestamp },
        { "other message id", "msg_other", "1614265330", SpecSignature, SpecPayload, SpecTimestamp },
        { "timestamp changed", SpecMessageId, "1614265331", SpecSignature, SpecPayload, SpecTimestamp },
        { "timestamp older than the tolerance", SpecMessageId, "1614265330", SpecSignature, SpecPayload, SpecTimestamp + 301 },
        { "timestamp further ahead than the tolerance", SpecMessageId, "1614265330", SpecSignature, SpecPayload, SpecTimestamp - 301 },
        { "timestamp not a number", SpecMessageId, "16142653x0", SpecSignature, SpecPayload, SpecTimestamp },
        { "timestamp with a sign", SpecMessageId, "+1614265330", SpecSignature, SpecPayload, SpecTimestamp },
        { "no timestamp", SpecMessageId, null, SpecSignature, SpecPayload, SpecTimestamp },
        { "no id", null, "1614265330", SpecSignature, SpecPayload, SpecTimestamp },
        { "no signature", SpecMessageId, "1614265330", null, SpecPayload, SpecTimestamp },
        { "signature without version", SpecMessageId, "1614265330", SpecSignature["v1,".Length..], SpecPayload, SpecTimestamp },
        { "other version", SpecMessageId, "1614265330", "v2," + SpecSignature["v1,".Length..], SpecPayload, SpecTimestamp },
        { "truncated signature", SpecMessageId, "1614265330", SpecSignature[..^2], SpecPayload, SpecTimestamp },
    };

    [Theory]
    [MemberData(nameof(StandardRejections))]
    public void Verify_standard_rejects(string because, string? id, string? timestamp, string? signature, string body, long now)
    {
        Assert.False(WebhookSignatures.VerifyStandard(SpecSecret, id, timestamp, signature, Utf8(body), DateTimeOffset.FromUnixTimeSeconds(now),
            FiveMinutes), because);
    }

    [Fact]
    public void Verify_standard_accepts_the_edges_of_the_tolerance()
    {
        foreach (var skew in new[] { -300, 300 })
            Assert.True(WebhookSignatures.VerifyStandard(SpecSecret, SpecMessageId, "1614265330", SpecSignature, Utf8(SpecPayload),
                DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp + skew), FiveMinutes));
    }

    [Fact]
    public void Verify_reference_rejects_tampering_stale_timestamps_and_missing_headers()
    {
        var body = Utf8(SpecPayload);
        var signature = WebhookSignatures.ReferenceSignature(SpecSecret, SpecTimestamp, body);
        Assert.True(WebhookSignatures.VerifyReference(SpecSecret, signature, "1614265330", body, SpecNow, FiveMinutes));

        Assert.False(WebhookSignatures.VerifyReference(SpecSecret, signature, "1614265330", Utf8("{\"test\": 2432232315}"), SpecNow, FiveMinutes));
        Assert.False(WebhookSignatures.VerifyReference(SpecSecret, signature, "1614265331", body, SpecNow, FiveMinutes));
        Assert.False(WebhookSignatures.VerifyReference(SpecSecret, signature, "1614265330", body, SpecNow.AddSeconds(301), FiveMinutes));
        Assert.False(WebhookSignatures.VerifyReference(SpecSecret, signature, null, body, SpecNow, FiveMinutes));
        Assert.False(WebhookSignatures.VerifyReference(SpecSecret, null, "1614265330", body, SpecNow, FiveMinutes));
        Assert.False(WebhookSignatures.VerifyReference(SpecSecret, signature.ToUpperInvariant(), "1614265330", body, SpecNow, FiveMinutes));
        // The key is the whole secret string, prefix included: the decoded bytes are a different key.
        Assert.False(WebhookSignatures.VerifyReference(SpecSecret["whsec_".Length..], signature, "1614265330", body, SpecNow, FiveMinutes));
    }
}
