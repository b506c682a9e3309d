using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Awe.Studio.Auth;

/// <summary>Tokens Studio holds for an OIDC user.</summary>
public sealed record UserTokens(string AccessToken, string? RefreshToken, DateTimeOffset ExpiresAt, string? IdToken);

/// <summary>
/// Trades a refresh token for new tokens at Keycloak's token endpoint (public client: client_id, no secret). Used by
/// the cookie (renewed on the next page load) and by a live circuit, which cannot rewrite its cookie.
/// </summary>
public sealed class OidcTokenRefresher(IHttpClientFactory httpClients, IOptionsMonitor<OpenIdConnectOptions> oidc, TimeProvider clock,
    ILogger<OidcTokenRefresher> log)
{
    /// <summary>Refresh this long before expiry, so a call never leaves with a token about to lapse.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(60);

    public bool IsDue(DateTimeOffset expiresAt) => expiresAt - clock.GetUtcNow() < Margin;

    /// <summary>New tokens, or null when the refresh token is refused (session ended at Keycloak) or Keycloak cannot be reached.</summary>
    public async Task<UserTokens?> RefreshAsync(string refreshToken, CancellationToken ct)
    {
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
