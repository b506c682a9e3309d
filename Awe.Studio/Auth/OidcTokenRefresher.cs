using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Awe.Studio.Auth;

/// <summary>Tokens Studio holds for an OIDC user.</summary>
public sealed record UserTokens(string AccessToken, string? RefreshToken, DateTimeOffset ExpiresAt, string? IdToken);

/// <summary>
/// Trades a refresh token for new tokens at Keycloak's token endpoint (public client: client_id, no secret). Used by
/// the cookie (renewed on the next page load) and by a live circuit, which cannot rewrite its cookie.
/// Each refresh token is exchanged once and the answer shared: Keycloak may revoke a refresh token on use, and the
/// cookie, a page's prerendering and its circuit all start from the same one. A cookie holding a token that a
/// circuit already exchanged follows that chain to the newest tokens.
/// </summary>
public sealed class OidcTokenRefresher(IHttpClientFactory httpClients, IOptionsMonitor<OpenIdConnectOptions> oidc, TimeProvider clock,
    ILogger<OidcTokenRefresher> log)
{
    /// <summary>Refresh this long before expiry, so a call never leaves with a token about to lapse.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Remembered = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, Lazy<Task<UserTokens?>> Answer)> _exchanged = new(StringComparer.Ordinal);

    public bool IsDue(DateTimeOffset expiresAt) => expiresAt - clock.GetUtcNow() < Margin;

    /// <summary>New tokens, or null when the refresh token is refused (session ended at Keycloak) or Keycloak cannot be reached.</summary>
    public async Task<UserTokens?> RefreshAsync(string refreshToken, CancellationToken ct)
    {
        Forget();
        var now = clock.GetUtcNow();
        var entry = _exchanged.GetOrAdd(refreshToken, token => (now, new Lazy<Task<UserTokens?>>(() => ExchangeAsync(token))));
        var tokens = await entry.Answer.Value.WaitAsync(ct);
        if (tokens is null)
        {
            _exchanged.TryRemove(refreshToken, out _); // a failure is not remembered: the next call asks Keycloak again
            return null;
        }
        // Someone (another circuit, a later page) already exchanged the token we got: take theirs, newest last.
        for (var hops = 0; hops < 20 && tokens.RefreshToken is { } next && next != refreshToken
             && _exchanged.TryGetValue(next, out var later) && later.Answer.IsValueCreated; hops++)
        {
            var newer = await later.Answer.Value.WaitAsync(ct);
            if (newer is null) break;
            refreshToken = next;
            tokens = newer;
        }
        return tokens;
    }

    private void Forget()
    {
        var cutoff = clock.GetUtcNow() - Remembered;
        foreach (var (key, value) in _exchanged)
            if (value.At < cutoff) _exchanged.TryRemove(key, out _);
    }

    // Not cancelled by the caller who happened to start it: others may be waiting for the same answer.
    private async Task<UserTokens?> ExchangeAsync(string refreshToken)
    {
        var ct = CancellationToken.None;
        var options = oidc.Get(OpenIdConnectDefaults.AuthenticationScheme);
        try
        {
            var metadata = await options.ConfigurationManager!.GetConfigurationAsync(ct);
            using var response = await httpClients.CreateClient(nameof(OidcTokenRefresher)).PostAsync(metadata.TokenEndpoint,
                new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["client_id"] = options.ClientId!,
                    ["refresh_token"] = refreshToken,
                }), ct);
            if (!response.IsSuccessStatusCode)
            {
                log.LogInformation("token refresh refused by {Endpoint}: {Status}", metadata.TokenEndpoint, (int)response.StatusCode);
                return null;
            }
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject;
            var access = (string?)body?["access_token"];
            if (access is null) return null;
            return new UserTokens(access, (string?)body!["refresh_token"] ?? refreshToken,
                clock.GetUtcNow().AddSeconds((int?)body["expires_in"] ?? 60), (string?)body["id_token"]);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            log.LogWarning(e, "token refresh failed");
            return null;
        }
    }
}
