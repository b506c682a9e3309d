using System.Net;
using System.Net.Http.Headers;

namespace Awe.Client;

/// <summary>
/// Adds the bearer token, gives each request creation an Idempotency-Key (unless the caller chose one), and
/// retries 503 answers. AWE changes nothing when it answers 503, and a retried creation carries the same key, so
/// every retry is safe.
/// </summary>
public sealed class AweHttpHandler(AweClientOptions options, Func<CancellationToken, ValueTask<string?>> token) : DelegatingHandler
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (await token(ct) is { Length: > 0 } bearer)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (request.Method == HttpMethod.Post && request.RequestUri?.AbsolutePath.TrimEnd('/').EndsWith("/v1/awe/requests", StringComparison.Ordinal) == true
            && !request.Headers.Contains("Idempotency-Key"))
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        // Buffered so that the same body can be sent again.
        if (request.Content is not null) await request.Content.LoadIntoBufferAsync(ct);

        var delay = options.RetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            var response = await base.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt >= options.MaxRetries) return response;
            // The server's Retry-After wins, capped so that a misconfigured proxy cannot park the caller for hours.
            var wait = response.Headers.RetryAfter?.Delta is { } asked ? TimeSpan.FromTicks(Math.Min(asked.Ticks, MaxWait.Ticks)) : delay;
            response.Dispose();
            await Task.Delay(wait, ct);
            delay *= 2;
        }
    }
}
