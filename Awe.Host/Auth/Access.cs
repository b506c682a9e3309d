using Awe.Host.Api;
using Microsoft.AspNetCore.Authentication;

namespace Awe.Host.Auth;

public enum Access { AnyCaller, Viewer, Admin }

/// <summary>Endpoint metadata naming the access an endpoint requires; the OpenAPI contract reads it (security, 401/403).</summary>
public sealed record AccessRequirement(Access Access);

public static class AccessExtensions
{
    /// <summary>Endpoints state what they need; the filter answers 401/403 in the error envelope before the handler runs.</summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, Access access) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRequirement(access)).AddEndpointFilter(async (ctx, next) =>
        {
            var identity = await AuthenticateAsync(ctx.HttpContext);
            switch (access)
            {
                case Access.Admin when !identity.IsAdmin:
                    throw AweException.Forbidden($"this needs the {Roles.Admin} role; your token has {Describe(identity)}");
                case Access.Viewer when !identity.IsViewer:
                    throw AweException.Forbidden($"this needs the {Roles.Viewer} or {Roles.Admin} role; your token has {Describe(identity)}");
            }
            return await next(ctx);
        });

    public static async Task<CallerIdentity> AuthenticateAsync(HttpContext ctx)
    {
        if (ctx.Items.TryGetValue(typeof(CallerIdentity), out var cached) && cached is CallerIdentity known) return known;
        var result = await ctx.AuthenticateAsync();
        if (ctx.Items.TryGetValue(JwtAuthenticationHandler.UnavailableItem, out var unavailable))
            throw new AweException(StatusCodes.Status503ServiceUnavailable, ErrorCodes.KeysUnavailable,
                $"tokens cannot be checked right now: {unavailable}. Retry shortly");
        if (!result.Succeeded || CallerIdentity.FromPrincipal(result.Principal!) is not { } identity)
            throw new AweException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated,
                result.Failure?.Message is { } why ? $"the bearer token was refused: {why}" : "a bearer token is required (Authorization: Bearer <token>)");
        ctx.Items[typeof(CallerIdentity)] = identity;
        return identity;
    }

    public static CallerIdentity Caller(this HttpContext ctx) =>
        ctx.Items.TryGetValue(typeof(CallerIdentity), out var v) && v is CallerIdentity id
            ? id
            : throw new InvalidOperationException("endpoint has no RequireAccess filter");

    private static string Describe(CallerIdentity identity) =>
        identity.Roles.Count == 0 ? "no roles" : $"roles {string.Join(", ", identity.Roles.Order())}";
}
