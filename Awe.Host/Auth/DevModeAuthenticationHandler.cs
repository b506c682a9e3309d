using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Awe.Host.Auth;

/// <summary>
/// Dev mode (empty awe.keycloak.issuer): the token's claims are read WITHOUT verifying any signature, so the
/// seed's unsigned dev token works. Start-up logs a warning and refuses it in Production unless allowed.
/// </summary>
public sealed class DevModeAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AweDevMode";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrWhiteSpace(header)) return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("the Authorization header must be 'Bearer <token>'"));

        var claims = ReadClaims(header["Bearer ".Length..].Trim(), out var error);
        if (claims is null) return Task.FromResult(AuthenticateResult.Fail(error!));
        // Compared as Unix seconds: converting a caller's exp to a date throws when it lies outside years 1-9999.
        if (claims["exp"] is JsonValue exp && exp.TryGetValue(out long seconds) && seconds < TimeProvider.GetUtcNow().ToUnixTimeSeconds())
            return Task.FromResult(AuthenticateResult.Fail("the token has expired (exp is in the past)"));
        var identity = CallerIdentity.FromClaims(claims);
        if (identity is null) return Task.FromResult(AuthenticateResult.Fail("the token has no 'sub' claim"));
        if (identity.UnrecordableReason is { } why) return Task.FromResult(AuthenticateResult.Fail(why));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(identity.ToPrincipal(claims, SchemeName), SchemeName)));
    }

    /// <summary>Decodes the payload segment of a JWT (header.payload[.signature]) without checking the signature.</summary>
    public static JsonObject? ReadClaims(string token, out string? error)
    {
        error = null;
        var parts = token.Split('.');
        if (parts.Length < 2)
        {
            error = "the bearer token is not a JWT (expected header.payload.signature)";
            return null;
        }
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            // The same decoding as request bodies: duplicate claims, lone surrogates and NULs are refused here, not
            // left to throw at the first claim lookup or database write (a 500).
            var (node, problems) = Api.JsonBody.Decode(Convert.FromBase64String(payload), maxDepth: 64);
            if (problems.Count > 0)
                error = $"the token's claim {(problems[0].Path.Length == 0 ? "" : $"'{problems[0].Path}' ")}{problems[0].Message}";
            else if (node is JsonObject o) return o;
            else error = "the token's payload is not a JSON object";
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or ArgumentException)
        {
            error = "the token's payload is not base64url-encoded JSON";
        }
        return null;
    }
}
