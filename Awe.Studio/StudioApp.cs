using Awe.Studio.ApiClient;
using Awe.Studio.Auth;
using Awe.Studio.Components;
using Awe.Studio.Configuration;
using MudBlazor.Services;
using Yarp.ReverseProxy.Configuration;

namespace Awe.Studio;

/// <summary>
/// Builds the Studio web app: Blazor Server UI, sign-in, the typed API client and the /v1/awe/* forwarder. Program.cs
/// runs it alone (the awe-ui image); Awe.Host can run it beside the API for the one-command local start.
/// </summary>
public static class StudioApp
{
    /// <param name="urls">Addresses to listen on; null = ASP.NET Core's settings (ASPNETCORE_URLS …), else http://localhost:8080.</param>
    /// <param name="apiBaseUrl">Overrides awe:studio:api_base_url (the embedding host passes its own address).</param>
    public static WebApplication Build(string[] args, string? urls = null, string? apiBaseUrl = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Static web assets (MudBlazor, blazor.web.js) are found through this application's manifest, also when
            // another process (Awe.Host) builds Studio.
            ApplicationName = typeof(StudioApp).Assembly.GetName().Name,
        });
        var options = builder.Configuration.GetSection(StudioOptions.Section).Get<StudioOptions>() ?? new StudioOptions();
        if (apiBaseUrl is not null) options.ApiBaseUrl = apiBaseUrl;
        if (!Uri.TryCreate(options.ApiBaseUrl, UriKind.Absolute, out var apiBase) || apiBase.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"awe.studio.api_base_url must be an absolute http(s) URL (got '{options.ApiBaseUrl}')");
        if (options.DevMode && !builder.Environment.IsDevelopment() && !options.AllowDevMode)
            throw new InvalidOperationException(
                "awe.studio.keycloak.url is empty (dev mode: anyone signs in as anyone) outside Development; set AWE__STUDIO__KEYCLOAK__URL, " +
                "or AWE__STUDIO__ALLOW_DEV_MODE=true for a local demo");
        builder.Services.AddSingleton(options);

        if (urls is not null)
            builder.WebHost.UseUrls(urls);
        else if (new[] { WebHostDefaults.ServerUrlsKey, WebHostDefaults.HttpPortsKey, WebHostDefaults.HttpsPortsKey }.All(k => string.IsNullOrEmpty(builder.Configuration[k])))
            builder.WebHost.UseUrls(StudioOptions.DefaultUrls);

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddStudioAuthentication(options);
        builder.Services.AddScoped<Awe.Studio.Components.Shared.InboxCounter>();
        builder.Services.AddScoped<Awe.Studio.Components.Time.BrowserTime>(); // one per circuit: the browser's zone
        builder.Services.AddScoped<IAweTokenSource>(sp => sp.GetRequiredService<UserTokenSource>());
        builder.Services.AddHttpClient<AweApiClient>(c =>
        {
            c.BaseAddress = new Uri(apiBase.AbsoluteUri.TrimEnd('/') + "/");
            c.Timeout = TimeSpan.FromSeconds(30);
        });

        // The browser's /v1/awe/* calls reach the API through Studio, one origin as behind the ingress. Studio's
        // cookie stays here: the API authenticates bearer tokens only.
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig
            {
                RouteId = "awe-api",
                ClusterId = "awe-api",
                Match = new RouteMatch { Path = "/v1/awe/{**rest}" },
                Transforms = [new Dictionary<string, string> { ["RequestHeaderRemove"] = "Cookie" }],
            }],
            [new ClusterConfig
            {
                ClusterId = "awe-api",
                Destinations = new Dictionary<string, DestinationConfig> { ["api"] = new() { Address = apiBase.AbsoluteUri } },
            }]);

        var app = builder.Build();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapReverseProxy();
        app.MapStudioAuthEndpoints(options);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
