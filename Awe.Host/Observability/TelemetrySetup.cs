using Awe.Activities.Runtime;
using Awe.Host.Api;
using Awe.Host.Configuration;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Prometheus;

namespace Awe.Host.Observability;

/// <summary>Traces (OpenTelemetry over OTLP), the trace id on every answer, and HTTP request metrics.</summary>
public static class TelemetrySetup
{
    /// <summary>The database driver's own spans (one per command); Npgsql emits them, SQLite has none.</summary>
    public const string NpgsqlSource = "Npgsql";

    /// <summary>Outgoing HTTP (webhooks, Keycloak, HTTP rules), emitted by .NET's HttpClient itself.</summary>
    public const string HttpClientSource = "System.Net.Http";

    public static IServiceCollection AddAweTelemetry(this IServiceCollection services, TelemetryOptions settings)
    {
        services.AddSingleton<DatabaseGauges>();
        // Off unless a collector is named: recording spans for every request and command costs CPU that nobody reads.
        if (string.IsNullOrWhiteSpace(settings.OtlpEndpoint)) return services;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(settings.ServiceName,
                serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(settings.SampleRatio)))
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => Traced(ctx.Request.Path))
                .AddSource(EngineTelemetry.SourceName, NpgsqlSource, HttpClientSource)
                .AddOtlpExporter(o =>
                {
                    o.Protocol = settings.OtlpProtocol == "http" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                    o.Endpoint = Endpoint(settings);
                }));
        return services;
    }

    /// <summary>Probes and scrapes come every few seconds from machines: their spans would drown the callers'.</summary>
    public static bool Traced(PathString path) =>
        !path.StartsWithSegments("/v1/awe/health") && !path.Equals(Operations.MetricsEndpoints.Path, StringComparison.Ordinal);

    /// <summary>Set in code, the http/protobuf endpoint is the full URL of the traces resource: /v1/traces is added when missing.</summary>
    public static Uri Endpoint(TelemetryOptions settings)
    {
        var uri = new Uri(settings.OtlpEndpoint.Trim());
        if (settings.OtlpProtocol != "http" || uri.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal)) return uri;
        return new Uri(uri, uri.AbsolutePath.TrimEnd('/') + "/v1/traces");
    }

    /// <summary>
    /// First in the pipeline: requests counted by status (http_requests_received_total) see the answer the error
    /// handler wrote, and every answer says its trace id (X-Trace-Id), the one its log lines and spans carry.
    /// </summary>
    public static WebApplication UseAweRequestTelemetry(this WebApplication app)
    {
        app.Use((ctx, next) =>
        {
            var trace = ErrorHandlingMiddleware.TraceId(ctx);
            ctx.Response.OnStarting(() =>
            {
                ctx.Response.Headers[ErrorHandlingMiddleware.TraceHeader] = trace;
                return Task.CompletedTask;
            });
            return next(ctx);
        });
        app.UseHttpMetrics();
        return app;
    }
}
