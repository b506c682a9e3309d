using System.Text.Encodings.Web;
using Awe.Host.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Awe.Host.Auth;

/// <summary>
/// Bearer tokens when awe.keycloak.issuer is set: signature (RS256 or ES256 only — "none" and HMAC tokens are
/// refused, so nobody can sign with a public key as an HMAC secret), issuer (issuer or additional_issuers),
/// audience when configured, lifetime with clock_skew_seconds.
/// </summary>
public sealed class JwtAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    JwksKeySource keys, IOptionsMonitor<AweOptions> options) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "AweJwt";
    public const string UnavailableItem = "awe:auth_unavailable";

    private static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrWhiteSpace(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("the Authorization header must be 'Bearer <token>'");
        var raw = header["Bearer ".Length..].Trim();

        JsonWebToken token;
        try
        {
            token = new JsonWebToken(raw);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return AuthenticateResult.Fail("the bearer token is not a well-formed JWT");
        }
        if (!Algorithms.Contains(token.Alg))
            return AuthenticateResult.Fail($"tokens signed with '{token.Alg}' are not accepted; the issuer must sign with RS256 or ES256");

        IReadOnlyList<SecurityKey> signingKeys;
        try
        {
            signingKeys = await keys.GetKeysAsync(Context.RequestAborted);
        }
        catch (SigningKeysUnavailableException e)
        {
            Context.Items[UnavailableItem] = e.Message;
            return AuthenticateResult.Fail(e.Message);
        }

        var result = await Handler.ValidateTokenAsync(token, Parameters(signingKeys));
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && await keys.RefreshAsync(Context.RequestAborted))
            result = await Handler.ValidateTokenAsync(token, Parameters(await keys.GetKeysAsync(Context.RequestAborted)));
        if (!result.IsValid) return AuthenticateResult.Fail(Explain(result.Exception));

        var claims = DevModeAuthenticationHandler.ReadClaims(raw, out var error);
        if (claims is null) return AuthenticateResult.Fail(error!);
        var identity = CallerIdentity.FromClaims(claims);
        if (identity is null) return AuthenticateResult.Fail("the token has no 'sub' claim");
        if (identity.UnrecordableReason is { } why) return AuthenticateResult.Fail(why);
        return AuthenticateResult.Success(new AuthenticationTicket(identity.ToPrincipal(claims, SchemeName), SchemeName));
    }

    private TokenValidationParameters Parameters(IReadOnlyList<SecurityKey> signingKeys)
    {
        var k = options.CurrentValue.Keycloak;
        return new TokenValidationParameters
        {
            ValidIssuers = [k.Issuer, .. k.AdditionalIssuers.Where(i => !string.IsNullOrWhiteSpace(i))],
            ValidateAudience = !string.IsNullOrWhiteSpace(k.Audience),
            ValidAudience = k.Audience,
            IssuerSigningKeys = signingKeys,
            ValidAlgorithms = Algorithms,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(k.ClockSkewSeconds),
        };
    }

    private static string Explain(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf in the future)",
        SecurityTokenInvalidIssuerException => "the token's issuer is not accepted by this server",
        SecurityTokenInvalidAudienceException => "the token's audience does not include this server",
        SecurityTokenSignatureKeyNotFoundException => "the token is signed with a key the issuer does not publish",
        SecurityTokenInvalidSignatureException => "the token's signature is invalid",
        SecurityTokenNoExpirationException => "the token has no expiry (exp)",
        SecurityTokenInvalidAlgorithmException => "the token's signing algorithm is not accepted",
        null => "the token was refused",
        _ => $"the token was refused ({e.GetType().Name})",
    };
}
