using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Awe.Host.Hosting;

/// <summary>
/// Runs Awe.Studio in this process on its own address (awe.studio.url), pointed at this API over loopback HTTP:
/// a newcomer's `dotnet run --project Awe.Host` brings up both. Studio keeps its own container, configuration and
/// pipeline, exactly as when the awe-ui image runs it alone; nothing of the API's services is shared with it.
/// </summary>
public static class EmbeddedStudio
{
    public static async Task RunBesideAsync(WebApplication api, string studioUrl)
    {
        await api.StartAsync();
        var apiUrl = LoopbackAddress(api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses);
        var studio = Awe.Studio.StudioApp.Build([], urls: studioUrl, apiBaseUrl: apiUrl);
        await studio.StartAsync();
        api.Logger.LogInformation("Studio: {StudioUrl} (API at {ApiUrl})", studioUrl, apiUrl);
        try
        {
            await api.WaitForShutdownAsync();
        }
        finally
        {
            await studio.StopAsync();
            await studio.DisposeAsync();
            await api.StopAsync();
        }
    }

    /// <summary>The API's first http address, with a wildcard host (0.0.0.0, [::], +, *) made reachable as localhost.</summary>
    private static string LoopbackAddress(ICollection<string>? addresses)
    {
        var first = addresses?.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses?.FirstOrDefault()
                    ?? "http://localhost:8000";
        var uri = new UriBuilder(first.Replace("://+", "://localhost").Replace("://*", "://localhost"));
        if (uri.Host is "0.0.0.0" or "[::]" or "::") uri.Host = "localhost";
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }
}
