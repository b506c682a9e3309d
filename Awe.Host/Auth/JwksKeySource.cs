using System.Text.Json.Nodes;
using Awe.Host.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Awe.Host.Auth;

/// <summary>The identity provider's signing keys could not be fetched and none are cached (HTTP 503).</summary>
public sealed class SigningKeysUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Signing keys of the issuer, from awe.keycloak.jwks_url or the issuer's discovery document. Cached; fetched
/// again when a token names an unknown key id (Keycloak rotated its keys), at most once per
/// jwks_refresh_min_seconds, so a flood of bad tokens cannot hammer Keycloak.
/// </summary>
public sealed class JwksKeySource(IHttpClientFactory http, IOptionsMonitor<AweOptions> options, TimeProvider clock, ILogger<JwksKeySource> log)
{
    public const string HttpClientName = "awe-jwks";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _lastFetch = DateTimeOffset.MinValue;
    private string? _lastError;

    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(CancellationToken ct)
    {
        if (_keys.Count == 0) await RefreshAsync(ct);
        return _keys.Count > 0 ? _keys : throw new SigningKeysUnavailableException(_lastError ?? "the issuer's signing keys (JWKS) could not be fetched");
    }

    /// <summary>
    /// Fetches the keys again unless the last fetch was less than jwks_refresh_min_seconds ago. Returns whether
    /// the set of key ids changed. A failed fetch keeps the cached keys.
    /// </summary>
    public async Task<bool> RefreshAsync(CancellationToken ct)
    {
        var minInterval = TimeSpan.FromSeconds(options.CurrentValue.Keycloak.JwksRefreshMinSeconds);
        await _gate.WaitAsync(ct);
        try
        {
            var now = clock.GetUtcNow();
            if (now - _lastFetch < minInterval) return false;
            _lastFetch = now;
            var fetched = await FetchAsync(ct);
            var changed = !fetched.Select(k => k.KeyId).Order().SequenceEqual(_keys.Select(k => k.KeyId).Order());
            _keys = fetched;
            _lastError = null;
            if (changed) log.LogInformation("Loaded {Count} signing keys from the issuer ({Kids})", fetched.Count, string.Join(", ", fetched.Select(k => k.KeyId)));
            return changed;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            _lastError = $"the issuer's signing keys (JWKS) could not be fetched: {e.Message}";
            log.LogWarning("JWKS fetch failed ({Message}); {Count} cached keys stay in use", e.Message, _keys.Count);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyList<SecurityKey>> FetchAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue.Keycloak;
        var client = http.CreateClient(HttpClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, options.CurrentValue.Resolver.HttpTimeoutSeconds)));
        var url = settings.JwksUrl;
        if (string.IsNullOrWhiteSpace(url))
        {
            var discovery = JsonNode.Parse(await client.GetStringAsync($"{settings.Issuer.TrimEnd('/')}/.well-known/openid-configuration", timeout.Token));
            url = (string?)discovery?["jwks_uri"] ?? throw new InvalidOperationException("the issuer's discovery document has no jwks_uri");
        }
        var set = new JsonWebKeySet(await client.GetStringAsync(url, timeout.Token));
        var keys = set.GetSigningKeys();
        if (keys.Count == 0) throw new InvalidOperationException($"the JWKS at {url} holds no usable signing key");
        return keys.ToList();
    }
}
