namespace Awe.Host.Operations;

/// <summary>
/// `dotnet Awe.Host.dll healthcheck [url]`: the container image's HEALTHCHECK (the aspnet image has no curl). Exits 0
/// when the URL answers 200 within five seconds, 1 otherwise. Without a URL it asks the host in the same container:
/// /v1/awe/health/live on the first of ASPNETCORE_HTTP_PORTS, else AWE__SERVER__PORT, else 8000.
/// </summary>
public static class HealthCheckCommand
{
    public const string Verb = "healthcheck";

    public static async Task<int> RunAsync(string[] args)
    {
        var url = args.Length > 1 ? args[1] : $"http://127.0.0.1:{LocalPort()}/v1/awe/health/live";
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await client.GetAsync(url);
            Console.WriteLine($"{url}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
        {
            Console.WriteLine($"{url}: {e.Message}");
            return 1;
        }
    }

    private static string LocalPort()
    {
        var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS")?.Split([';', ','], StringSplitOptions.RemoveEmptyEntries);
        if (ports is { Length: > 0 }) return ports[0].Trim();
        return Environment.GetEnvironmentVariable("AWE__SERVER__PORT") is { Length: > 0 } port ? port : "8000";
    }
}
