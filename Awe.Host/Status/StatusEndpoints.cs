using System.Reflection;
using Awe.Host.Api;
using Awe.Host.Configuration;
using Microsoft.Extensions.Options;

namespace Awe.Host.Status;

public static class StatusEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/version", (HttpContext ctx) =>
            {
                var assembly = typeof(StatusEndpoints).Assembly;
                var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.1.0-dev";
                return Envelope.Ok(ctx, new
                {
                    service_version = version.Split('+')[0],
                    build_time = Environment.GetEnvironmentVariable("BUILD_TIME"),
                    git_commit = Environment.GetEnvironmentVariable("GIT_COMMIT"),
                });
            })
            .WithTags("System").WithSummary("Service version");

        api.MapGet("/config", (HttpContext ctx, IOptions<AweOptions> options) =>
            {
                var o = options.Value;
                return Envelope.Ok(ctx, new
                {
                    service_id = o.ServiceId,
                    api_version = o.ApiVersion,
                    module = o.Module,
                    webhook = new { max_attempts = o.Webhook.MaxAttempts, backoff_seconds = o.Webhook.BackoffSeconds, timeout_seconds = o.Webhook.TimeoutSeconds },
                    sla = new { check_interval_seconds = o.Sla.CheckIntervalSeconds },
                    auth = new { dev_mode = o.Keycloak.DevMode },
                    // What a caller must stay within, so it can check before it sends.
                    limits = new
                    {
                        max_body_bytes = o.Server.MaxBodyBytes, max_header_bytes = o.Server.MaxHeaderBytes,
                        max_approvers_per_stage = o.Limits.MaxApproversPerStage, max_tasks_per_request = o.Limits.MaxTasksPerRequest,
                        max_context_bytes = o.Limits.MaxContextBytes,
                    },
                });
            })
            .WithTags("System").WithSummary("Non-secret configuration");
    }
}
