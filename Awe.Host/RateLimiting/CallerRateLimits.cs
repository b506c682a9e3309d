using System.Globalization;
using System.Threading.RateLimiting;
using Awe.Host.Api;
using Awe.Host.Configuration;
using Awe.Host.Operations;
using Microsoft.AspNetCore.RateLimiting;

namespace Awe.Host.RateLimiting;

/// <summary>
/// awe.rate_limit: a fixed window of permit_limit calls per caller. The caller is the token's subject when the token
/// was accepted (authentication runs first), else the client's IP (after the trusted proxies' X-Forwarded-For), so
/// floods of bad or missing tokens are limited too. Probes and metrics are exempt: a busy caller must not make a
/// replica look dead to Kubernetes or blind to Prometheus.
/// </summary>
public static class CallerRateLimits
{
    public static IServiceCollection AddAweRateLimiting(this IServiceCollection services, RateLimitOptions settings)
    {
        if (!settings.Enabled) return services;
        var window = new FixedWindowRateLimiterOptions
        {
            PermitLimit = settings.PermitLimit,
            Window = TimeSpan.FromSeconds(settings.WindowSeconds),
            QueueLimit = 0, // an over-limit call is answered at once, never held
            AutoReplenishment = true,
        };
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx => PartitionKey(ctx) is { } key
                ? RateLimitPartition.GetFixedWindowLimiter(key, _ => window)
                : RateLimitPartition.GetNoLimiter(""));
            o.OnRejected = RejectAsync;
        });
        return services;
    }

    public static WebApplication UseAweRateLimiting(this WebApplication app, RateLimitOptions settings)
    {
        if (settings.Enabled) app.UseRateLimiter();
        return app;
    }

    /// <summary>Whose budget a call spends, or null for a call that is never limited.</summary>
    public static string? PartitionKey(HttpContext ctx)
    {
        var path = ctx.Request.Path;
        if (path.StartsWithSegments("/v1/awe/health") || path.Equals(MetricsEndpoints.Path, StringComparison.Ordinal)) return null;
        if (ctx.User.FindFirst(Auth.CallerIdentity.SubjectClaim)?.Value is { Length: > 0 } sub) return "sub:" + sub;
        return "ip:" + (ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var ctx = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Envelope.WriteErrorAsync(ctx, StatusCodes.Status429TooManyRequests, [new ApiError(ErrorCodes.RateLimited,
            $"too many requests: this caller may make {RateLimitOf(ctx)} per window (awe.rate_limit); nothing was done, retry in {seconds} s")]);
    }

    private static string RateLimitOf(HttpContext ctx)
    {
        var limits = ctx.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AweOptions>>().Value.RateLimit;
        return $"{limits.PermitLimit} requests per {limits.WindowSeconds} s";
    }
}
