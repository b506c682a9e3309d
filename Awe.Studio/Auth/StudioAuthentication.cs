using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Studio.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace Awe.Studio.Auth;

/// <summary>
/// Studio's sign-in: a cookie holds who the user is and their API token. With Keycloak configured the cookie is
/// filled by OIDC (authorization code + PKCE, public client); without, by the dev sign-in page.
/// </summary>
public static class StudioAuthentication
{
    public const string DevSignInPath = "/signin";

    public static void AddStudioAuthentication(this IServiceCollection services, StudioOptions options)
    {
        services.AddHttpClient(nameof(OidcTokenRefresher), c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<OidcTokenRefresher>();
        services.AddScoped<UserTokenSource>();
        services.AddCascadingAuthenticationState();
        services.AddAuthorization();

        var auth = services.AddAuthentication(o =>
        {
            o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.DefaultChallengeScheme = options.DevMode ? CookieAuthenticationDefaults.AuthenticationScheme : OpenIdConnectDefaults.AuthenticationScheme;
        });
        auth.AddCookie(o =>
        {
            o.Cookie.Name = "awe-studio";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = options.DevMode ? DevSignInPath : "/auth/login";
            o.AccessDeniedPath = "/no-access"; // a page that needs AWE_VIEWER or AWE_ADMIN, opened without either
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            if (!options.DevMode) o.Events.OnValidatePrincipal = RefreshCookieTokensAsync;
        });
        if (options.DevMode) return;

        auth.AddOpenIdConnect(o =>
        {
            o.Authority = options.Keycloak.Authority;
            o.MetadataAddress = options.Keycloak.MetadataAddress;
            o.ClientId = options.Keycloak.ClientId;
            o.ResponseType = "code";
            // The code comes back on a top-level GET, where the Lax correlation cookies travel (form_post would need SameSite=None).
            o.ResponseMode = "query";
            o.UsePkce = true;
            o.RequireHttpsMetadata = options.Keycloak.MetadataAddress.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            o.MapInboundClaims = false;
            o.SaveTokens = false; // kept as claims instead, where a circuit can read them
            o.Scope.Clear();
            foreach (var scope in new[] { "openid", "profile", "email" }) o.Scope.Add(scope);
            o.Events.OnTokenValidated = ctx =>
            {
                var response = ctx.TokenEndpointResponse!;
                var expiresIn = int.TryParse(response.ExpiresIn, out var seconds) ? seconds : 60;
                ctx.Principal = PrincipalFromTokens(new UserTokens(response.AccessToken, response.RefreshToken,
                    DateTimeOffset.UtcNow.AddSeconds(expiresIn), response.IdToken));
                return Task.CompletedTask;
            };
            o.Events.OnRedirectToIdentityProviderForSignOut = ctx =>
            {
                ctx.ProtocolMessage.IdTokenHint = ctx.HttpContext.User.FindFirst(StudioUser.IdTokenClaim)?.Value;
                return Task.CompletedTask;
            };
        });
    }

    public static void MapStudioAuthEndpoints(this IEndpointRouteBuilder app, StudioOptions options)
    {
        // Starts the Keycloak login (OIDC mode); in dev mode the sign-in page does the job.
        app.MapGet("/auth/login", (string? returnUrl) => options.DevMode
            ? Results.Redirect($"{DevSignInPath}?returnUrl={Uri.EscapeDataString(LocalUrl(returnUrl))}")
            : Results.Challenge(new AuthenticationProperties { RedirectUri = LocalUrl(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme]));

        // A form POST with an antiforgery token, so another site cannot sign a user out.
        app.MapPost("/auth/signout", async (HttpContext ctx) =>
        {
            if (options.DevMode || ctx.User.IsDevMode())
            {
                await ctx.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                return Results.Redirect(DevSignInPath);
            }
            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" },
                [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]);
        });
    }

    /// <summary>
    /// A return address only if it stays on this site: "/requests?status=x" yes; "//evil", "/\\evil", "https://evil" no,
    /// nor anything with control characters (browsers drop a tab: "/\t/evil" would become "//evil").
    /// </summary>
    public static string LocalUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") && !url.Any(char.IsControl) ? url : "/";

    /// <summary>The cookie principal of an OIDC user: identity and roles as the API will see them in the access token.</summary>
    public static ClaimsPrincipal PrincipalFromTokens(UserTokens tokens)
    {
        var claims = ReadPayload(tokens.AccessToken);
        var userId = (string?)claims?["preferred_username"] ?? (string?)claims?["username"] ?? (string?)claims?["sub"] ?? "unknown";
        var extra = new List<Claim>
        {
            new(StudioUser.AccessTokenClaim, tokens.AccessToken),
            new(StudioUser.ExpiresAtClaim, tokens.ExpiresAt.ToUnixTimeSeconds().ToString()),
        };
        if (tokens.RefreshToken is not null) extra.Add(new Claim(StudioUser.RefreshTokenClaim, tokens.RefreshToken));
        if (tokens.IdToken is not null) extra.Add(new Claim(StudioUser.IdTokenClaim, tokens.IdToken));
        return new ClaimsPrincipal(StudioUser.NewIdentity(userId, RolesOf(claims), extra));
    }

    /// <summary>Realm roles plus the roles of every client, as the API unions them.</summary>
    private static IEnumerable<string> RolesOf(JsonObject? claims)
    {
        var lists = new List<JsonNode?> { claims?["realm_access"]?["roles"] };
        if (claims?["resource_access"] is JsonObject clients) lists.AddRange(clients.Select(c => c.Value?["roles"]));
        return lists.OfType<JsonArray>().SelectMany(a => a).Select(r => r?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)r : null)
            .OfType<string>();
    }

    // The access token came straight from Keycloak's token endpoint over the back channel; Studio only reads it to
    // show who is signed in. The API verifies it on every call.
    private static JsonObject? ReadPayload(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length < 2) return null;
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload))) as JsonObject;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task RefreshCookieTokensAsync(CookieValidatePrincipalContext ctx)
    {
        var user = ctx.Principal;
        if (user is null || user.IsDevMode()) return;
        var refresher = ctx.HttpContext.RequestServices.GetRequiredService<OidcTokenRefresher>();
        var expires = long.TryParse(user.FindFirst(StudioUser.ExpiresAtClaim)?.Value, out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : DateTimeOffset.MinValue;
        if (!refresher.IsDue(expires)) return;
        var refresh = user.FindFirst(StudioUser.RefreshTokenClaim)?.Value;
        var fresh = refresh is null ? null : await refresher.RefreshAsync(refresh, ctx.HttpContext.RequestAborted);
        if (fresh is null)
        {
            // The Keycloak session is over: sign in again rather than carry a dead token.
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        ctx.ReplacePrincipal(PrincipalFromTokens(fresh with { IdToken = fresh.IdToken ?? user.FindFirst(StudioUser.IdTokenClaim)?.Value }));
        ctx.ShouldRenew = true;
    }
}
