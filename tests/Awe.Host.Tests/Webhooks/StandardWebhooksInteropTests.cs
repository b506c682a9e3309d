using System.Text;
using Awe.Activities.Webhooks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Awe.Host.Tests.Webhooks;

/// <summary>
/// The headers AWE computes, checked by the off-the-shelf StandardWebhooks package (1.1.2) exactly as a caller
/// would use it: the whole header set as sent, and the raw body.
/// </summary>
public sealed class StandardWebhooksInteropTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"event_id\":\"e-1\",\"event_type\":\"request_created\",\"data\":{\"note\":\"Zoë ✓\"}}");

    private static HeaderDictionary Sent(IReadOnlyList<string> secrets, long timestamp)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in WebhookSignatures.Headers(secrets, "e-1", timestamp, Body)) headers[name] = value;
        return headers;
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public void One_secret_verifies()
    {
        var secret = WebhookSignatures.NewSecret();
        new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(Body), Sent([secret], Now));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)] // rotated twice within one grace period
    public void During_a_rotation_a_caller_on_any_of_the_signing_secrets_verifies_the_header_as_sent(int count)
    {
        // This package never reads the last entry of a multi-signature header; AWE's headers account for that.
        var secrets = Enumerable.Range(0, count).Select(_ => WebhookSignatures.NewSecret()).ToList();
        var headers = Sent(secrets, Now);
        foreach (var secret in secrets) new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(Body), headers);
    }

    [Fact]
    public void Another_secret_a_changed_body_or_a_stale_timestamp_is_refused()
    {
        var secret = WebhookSignatures.NewSecret();
        var headers = Sent([secret], Now);
        Assert.Throws<WebhookVerificationException>(() =>
            new StandardWebhook(WebhookSignatures.NewSecret()).Verify(Encoding.UTF8.GetString(Body), headers));
        Assert.Throws<WebhookVerificationException>(() =>
            new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(Body).Replace("Zoë", "Zoe"), headers));
        Assert.Throws<WebhookVerificationException>(() =>
            new StandardWebhook(secret).Verify(Encoding.UTF8.GetString(Body), Sent([secret], Now - 3600)));
    }
}
