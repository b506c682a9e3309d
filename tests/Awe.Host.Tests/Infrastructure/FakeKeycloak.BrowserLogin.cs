using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// The browser side of the fake Keycloak: the authorization endpoint with a login form (Keycloak's field ids
/// username / password / kc-login), authorization codes bound to client, redirect URI and a PKCE S256 challenge,
/// the code and refresh_token grants (id_token with nonce, rotating refresh tokens) and the logout endpoint.
/// A public client must send PKCE, as the awe-admin-portal client is configured to.
/// </summary>
public sealed partial class FakeKeycloak
{
    private sealed record PendingCode(string ClientId, string RedirectUri, string Challenge, string Username, string? Nonce, DateTimeOffset Expires);
    private sealed record RefreshGrant(string ClientId, string Username);

    private readonly ConcurrentDictionary<string, PendingCode> codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshGrant> refreshTokens = new(StringComparer.Ordinal);
    private int codeRedemptions, refreshRedemptions, logouts;

    /// <summary>Authorization codes exchanged for tokens (each with a verified PKCE verifier).</summary>
    public int CodeRedemptions => Volatile.Read(ref codeRedemptions);
    /// <summary>Refresh tokens exchanged for new tokens.</summary>
    public int RefreshRedemptions => Volatile.Read(ref refreshRedemptions);
    /// <summary>Calls of the logout (end session) endpoint.</summary>
    public int Logouts => Volatile.Read(ref logouts);

    private void MapBrowserLogin(RouteGroupBuilder realm)
    {
        realm.MapGet("/protocol/openid-connect/auth", (HttpContext ctx) =>
        {
            var q = ctx.Request.Query;
            if (AuthorizationProblem(q["client_id"], q["redirect_uri"], q["response_type"], q["code_challenge"], q["code_challenge_method"]) is { } problem)
                return Results.Content($"<!doctype html><title>Error</title><p id=\"kc-error-message\">{WebUtility.HtmlEncode(problem)}</p>", "text/html", Encoding.UTF8, 400);
            var hidden = string.Concat(new[] { "client_id", "redirect_uri", "state", "nonce", "code_challenge", "response_mode" }
                .Select(k => $"<input type=\"hidden\" name=\"{k}\" value=\"{WebUtility.HtmlEncode(q[k].ToString())}\">"));
            return Results.Content($"""
                <!doctype html><title>Sign in to {Realm}</title>
                <form id="kc-form-login" method="post" action="{Issuer}/protocol/openid-connect/auth">
                  {hidden}
                  <label for="username">Username</label><input id="username" name="username">
                  <label for="password">Password</label><input id="password" name="password" type="password">
                  <input id="kc-login" type="submit" value="Sign In">
                </form>
                """, "text/html", Encoding.UTF8);
        });

        realm.MapPost("/protocol/openid-connect/auth", async (HttpContext ctx) =>
        {
            var form = await ctx.Request.ReadFormAsync();
            string? clientId = form["client_id"], redirectUri = form["redirect_uri"], challenge = form["code_challenge"];
            if (AuthorizationProblem(clientId, redirectUri, "code", challenge, "S256") is { } problem) return Error(400, problem);
            FakeUser? user;
            lock (gate) user = users.FirstOrDefault(u => u.Username == ((string?)form["username"])?.ToLowerInvariant());
            if (user is null || !user.Enabled || user.Password != form["password"])
                return Results.Content("<!doctype html><p id=\"input-error\">Invalid username or password.</p>", "text/html", Encoding.UTF8, 200);
            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            codes[code] = new PendingCode(clientId!, redirectUri!, challenge!, user.Username, form["nonce"], DateTimeOffset.UtcNow.AddMinutes(1));
            var separator = redirectUri!.Contains('?') ? '&' : '?';
            return Results.Redirect($"{redirectUri}{separator}state={Uri.EscapeDataString(form["state"].ToString())}&session_state={Guid.NewGuid()}&iss={Uri.EscapeDataString(Issuer)}&code={code}");
        });

        realm.MapGet("/protocol/openid-connect/logout", (string? post_logout_redirect_uri, string? state) =>
        {
            Interlocked.Increment(ref logouts);
            if (post_logout_redirect_uri is null) return Results.Content("<!doctype html><p>You are logged out</p>", "text/html");
            var separator = post_logout_redirect_uri.Contains('?') ? '&' : '?';
            return Results.Redirect(state is null ? post_logout_redirect_uri : $"{post_logout_redirect_uri}{separator}state={Uri.EscapeDataString(state)}");
        });
    }

    private string? AuthorizationProblem(string? clientId, string? redirectUri, string? responseType, string? challenge, string? method)
    {
        FakeClient? client;
        lock (gate) client = clients.FirstOrDefault(c => c.ClientId == clientId);
        if (client is null) return "Client not found.";
        if (responseType != "code") return "Invalid parameter: response_type";
        if (!Uri.TryCreate(redirectUri, UriKind.Absolute, out _)) return "Invalid parameter: redirect_uri";
        if (client.PublicClient && (string.IsNullOrEmpty(challenge) || method != "S256")) return "Missing parameter: code_challenge_method";
        return null;
    }

    private IResult RedeemCode(FakeClient client, IFormCollection form, TimeSpan lifetime)
    {
        var invalid = Json(new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Code not valid" }, 400);
        // Single use: the code is gone whatever happens next.
        if (!codes.TryRemove(form["code"].ToString(), out var pending) || pending.Expires < DateTimeOffset.UtcNow) return invalid;
        if (pending.ClientId != client.ClientId || pending.RedirectUri != form["redirect_uri"]) return invalid;
        var verifier = form["code_verifier"].ToString();
        if (verifier.Length == 0 || B64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != pending.Challenge)
            return Json(new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "PKCE verification failed: Code mismatch" }, 400);
        Interlocked.Increment(ref codeRedemptions);
        return BrowserTokens(client, pending.Username, pending.Nonce, lifetime);
    }

    private IResult Refresh(FakeClient client, IFormCollection form, TimeSpan lifetime)
    {
        if (!refreshTokens.TryRemove(form["refresh_token"].ToString(), out var grant) || grant.ClientId != client.ClientId)
            return Json(new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Invalid refresh token" }, 400);
        Interlocked.Increment(ref refreshRedemptions);
        return BrowserTokens(client, grant.Username, nonce: null, lifetime);
    }

    private IResult BrowserTokens(FakeClient client, string username, string? nonce, TimeSpan lifetime)
    {
        var access = UserClaims(username, lifetime, client.ClientId);
        var id = new JsonObject
        {
            ["exp"] = access["exp"]!.DeepClone(), ["iat"] = access["iat"]!.DeepClone(), ["iss"] = Issuer, ["aud"] = client.ClientId,
            ["sub"] = access["sub"]!.DeepClone(), ["typ"] = "ID", ["azp"] = client.ClientId, ["sid"] = access["sid"]!.DeepClone(),
            ["preferred_username"] = username,
        };
        if (nonce is not null) id["nonce"] = nonce;
        var refresh = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        refreshTokens[refresh] = new RefreshGrant(client.ClientId, username);
        return Json(new JsonObject
        {
            ["access_token"] = Sign(access), ["expires_in"] = (int)lifetime.TotalSeconds, ["refresh_expires_in"] = 1800,
            ["refresh_token"] = refresh, ["token_type"] = "Bearer", ["id_token"] = Sign(id), ["not-before-policy"] = 0,
            ["session_state"] = access["sid"]!.DeepClone(), ["scope"] = "openid profile email",
        });
    }
}
