using Awe.Studio.ApiClient;
using Microsoft.AspNetCore.Components.Authorization;

namespace Awe.Studio.Auth;

/// <summary>
/// The signed-in user's API token, per circuit (or per request while prerendering). Dev mode mints a short-lived
/// unsigned token from the user's claims; OIDC users send their Keycloak access token, refreshed before it expires.
/// </summary>
public sealed class UserTokenSource(AuthenticationStateProvider authState, OidcTokenRefresher refresher, TimeProvider clock) : IAweTokenSource
{
    private static readonly TimeSpan DevTokenLifetime = TimeSpan.FromHours(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private UserTokens? _tokens;

    public async ValueTask<string?> GetAccessTokenAsync(CancellationToken ct)
    {
        var user = (await authState.GetAuthenticationStateAsync()).User;
        if (user.Identity?.IsAuthenticated != true) return null;

        await _gate.WaitAsync(ct);
        try
        {
            if (user.IsDevMode())
            {
                if (_tokens is null || refresher.IsDue(_tokens.ExpiresAt))
                {
                    var expires = clock.GetUtcNow().Add(DevTokenLifetime);
                    var roles = new[] { StudioUser.AdminRole, StudioUser.ViewerRole }.Where(user.IsInRole);
                    _tokens = new UserTokens(DevTokens.Mint(user.UserId(), roles, expires), null, expires, null);
                }
                return _tokens.AccessToken;
            }

            _tokens ??= FromClaims(user);
            if (_tokens is null) return null;
            if (refresher.IsDue(_tokens.ExpiresAt) && _tokens.RefreshToken is { } refresh && await refresher.RefreshAsync(refresh, ct) is { } fresh)
                _tokens = fresh;
            // A token that could not be refreshed is still sent: the API's 401 tells the user to sign in again.
            return _tokens.AccessToken;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static UserTokens? FromClaims(System.Security.Claims.ClaimsPrincipal user)
    {
        var access = user.FindFirst(StudioUser.AccessTokenClaim)?.Value;
        if (access is null) return null;
        var expires = long.TryParse(user.FindFirst(StudioUser.ExpiresAtClaim)?.Value, out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : DateTimeOffset.MinValue;
        return new UserTokens(access, user.FindFirst(StudioUser.RefreshTokenClaim)?.Value, expires, user.FindFirst(StudioUser.IdTokenClaim)?.Value);
    }
}
