using Awe.Activities.Webhooks;

namespace Awe.Client.Webhooks;

/// <summary>
/// Checks that a webhook delivery comes from AWE: either signature scheme (Standard Webhooks' webhook-signature or the
/// reference's X-Approval-Signature), any of several secrets (during a rotation both are valid), and a timestamp
/// within the tolerance (default five minutes) so that an old delivery cannot be replayed.
/// </summary>
public sealed class AweWebhookVerifier(IReadOnlyList<string> secrets, TimeSpan? tolerance = null, TimeProvider? clock = null)
{
    private readonly TimeSpan window = tolerance ?? TimeSpan.FromMinutes(5);
    private readonly TimeProvider time = clock ?? TimeProvider.System;

    public AweWebhookVerifier(string secret) : this([secret]) { }

    /// <param name="header">looks a header up by name, case-insensitively (e.g. <c>n => request.Headers[n]</c>)</param>
    /// <param name="body">the body exactly as received, before any parsing</param>
    public bool Verify(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var now = time.GetUtcNow();
        foreach (var secret in secrets)
        {
            if (WebhookSignatures.VerifyStandard(secret, header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"), body, now, window)
                || WebhookSignatures.VerifyReference(secret, header("X-Approval-Signature"), header("X-Approval-Timestamp"), body, now, window))
                return true;
        }
        return false;
    }

    public bool Verify(IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body)
    {
        var lookup = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        return Verify(n => lookup.GetValueOrDefault(n), body);
    }
}
