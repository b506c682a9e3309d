using System.Text.Json;
using Awe.Host.Configuration;
using Microsoft.AspNetCore.HttpOverrides;

namespace Awe.Host.Operations;

/// <summary>Where the host listens, how it logs, and whom it believes about the original scheme and host.</summary>
public static class HostingSetup
{
    public static WebApplicationBuilder AddAweHosting(this WebApplicationBuilder builder, AweOptions awe)
    {
        var api = ListenUrls.Api(builder.Configuration[WebHostDefaults.ServerUrlsKey], builder.Configuration[WebHostDefaults.HttpPortsKey],
            builder.Configuration[WebHostDefaults.HttpsPortsKey], awe.Server.Port);
        var all = awe.Server.ManagementPort > 0 ? [.. api, ListenUrls.Management(api[0], awe.Server.ManagementPort)] : api;
        builder.WebHost.UseUrls([.. all]);
        // UseUrls wins over the *_PORTS keys; clearing them spares a start-up warning that they were overridden.
        builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, "");
        builder.WebHost.UseSetting(WebHostDefaults.HttpsPortsKey, "");

        builder.Logging.ClearProviders();
        // Each line logged while a request runs carries its TraceId and SpanId (and, from the host, RequestId) as scopes.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (awe.Logging.Format == "json")
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        else
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });

        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // Only the configured networks; the framework's loopback defaults are replaced, not extended.
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            foreach (var network in awe.Server.TrustedProxies) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        return builder;
    }

    /// <summary>First in the pipeline, so that everything after it sees the client's scheme and host.</summary>
    public static WebApplication UseAweForwardedHeaders(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }
}

/// <summary>The addresses Kestrel binds: the API's as the deployment chose them, and the management port beside them.</summary>
public static class ListenUrls
{
    /// <summary>
    /// ASPNETCORE_URLS (or --urls) as given; else ASPNETCORE_HTTP(S)_PORTS on all interfaces (what the container image
    /// sets); else awe.server.port on localhost (a developer's `dotnet run`).
    /// </summary>
    public static IReadOnlyList<string> Api(string? urls, string? httpPorts, string? httpsPorts, int serverPort)
    {
        static string[] Split(string? v) => (v ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var given = Split(urls);
        if (given.Length > 0) return given;
        var ports = Split(httpPorts).Select(p => $"http://+:{p}").Concat(Split(httpsPorts).Select(p => $"https://+:{p}")).ToList();
        return ports.Count > 0 ? ports : [$"http://localhost:{serverPort}"];
    }

    /// <summary>Plain HTTP on the management port, on the same interface as the API's first address.</summary>
    public static string Management(string firstApiUrl, int port)
    {
        var rest = firstApiUrl[(firstApiUrl.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var slash = rest.IndexOf('/');
        if (slash >= 0) rest = rest[..slash];
        var colon = rest.LastIndexOf(':');
        var host = colon > 0 && !rest.EndsWith(']') ? rest[..colon] : rest;
        return $"http://{host}:{port}";
    }
}
