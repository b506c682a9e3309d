using System.Security.Cryptography;
using System.Text;

namespace Awe.Activities.Webhooks;

/// <summary>
/// The two signature schemes every delivery carries, computed over the exact bytes sent.
/// <list type="bullet">
/// <item>Reference-compatible: <c>X-Approval-Signature: sha256=&lt;hex HMAC-SHA256(secret as UTF-8, "{timestamp}." + body)&gt;</c>.</item>
/// <item>Standard Webhooks: <c>webhook-signature: v1,&lt;base64 HMAC-SHA256(key, "{id}.{timestamp}." + body)&gt;</c>, where the key is
/// the base64-decoded part of the <c>whsec_</c> secret.</item>
/// </list>
/// With several valid secrets (during a rotation's grace period) each header carries one value per secret:
/// space-separated for Standard Webhooks (as that spec says; the list then ends with its first entry again, see
/// <see cref="Headers"/>), ", "-separated for the reference header.
/// This file has no dependencies so that callers may copy it to verify deliveries.
/// </summary>
#if AWE_CLIENT
// Compiled into Awe.Client too, where it stays internal behind AweWebhookVerifier so the two assemblies never clash.
internal
#else
public
#endif
static class WebhookSignatures
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A new secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string ReferenceSignature(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{timestamp}.");
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Concat(prefix, body));
        return "sha256=" + Convert.ToHexStringLower(mac);
    }

    public static string StandardSignature(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var mac = HMACSHA256.HashData(StandardKey(secret), Concat(prefix, body));
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>Headers for one attempt, signed with every secret given (newest first). No secrets → no signature headers.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(IReadOnlyList<string> secrets, string eventId, long timestamp, ReadOnlySpan<byte> body)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("X-Approval-Event-Id", eventId),
            new("X-Approval-Timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("webhook-id", eventId),
            new("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (secrets.Count == 0) return headers;
        var reference = new List<string>();
        var standard = new List<string>();
        foreach (var secret in secrets)
        {
            reference.Add(ReferenceSignature(secret, timestamp, body));
            standard.Add(StandardSignature(secret, eventId, timestamp, body));
        }
        // With several signatures, the list ends with the first one again. The spec lets a verifier accept any
        // entry, so the repeat changes nothing for it; but a widely used .NET verifier (NuGet StandardWebhooks 1.1.2)
        // never looks at the last entry of a list, and without the repeat a caller still on the old secret would
        // reject every delivery during a rotation's grace period.
        if (standard.Count > 1) standard.Add(standard[0]);
        headers.Add(new("X-Approval-Signature", string.Join(", ", reference)));
        headers.Add(new("webhook-signature", string.Join(' ', standard)));
        return headers;
    }

    /// <summary>
    /// Verifies a reference-scheme delivery: the timestamp within <paramref name="tolerance"/> of now, and one of the
    /// header's <c>sha256=</c> values matching (constant-time).
    /// </summary>
    public static bool VerifyReference(string secret, string? signatureHeader, string? timestampHeader, ReadOnlySpan<byte> body,
        DateTimeOffset now, TimeSpan tolerance)
    {
        if (signatureHeader is null || !TryTimestamp(timestampHeader, now, tolerance, out var timestamp)) return false;
        var expected = Encoding.ASCII.GetBytes(ReferenceSignature(secret, timestamp, body));
        foreach (var candidate in signatureHeader.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected)) return true;
        return false;
    }

    /// <summary>Verifies a Standard Webhooks delivery (webhook-id, webhook-timestamp, webhook-signature headers).</summary>
    public static bool VerifyStandard(string secret, string? idHeader, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body,
        DateTimeOffset now, TimeSpan tolerance)
    {
        if (idHeader is null || signatureHeader is null || !TryTimestamp(timestampHeader, now, tolerance, out var timestamp)) return false;
        var expected = Encoding.ASCII.GetBytes(StandardSignature(secret, idHeader, timestamp, body));
        foreach (var candidate in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected)) return true;
        return false;
    }

    private static bool TryTimestamp(string? header, DateTimeOffset now, TimeSpan tolerance, out long timestamp)
    {
        if (!long.TryParse(header, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out timestamp))
            return false;
        return Math.Abs(now.ToUnixTimeSeconds() - timestamp) <= tolerance.TotalSeconds;
    }

    private static byte[] StandardKey(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);

    private static byte[] Concat(byte[] prefix, ReadOnlySpan<byte> body)
    {
        var data = new byte[prefix.Length + body.Length];
        prefix.CopyTo(data, 0);
        body.CopyTo(data.AsSpan(prefix.Length));
        return data;
    }
}
