using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// The real host (Program) with its whole HTTP pipeline, on a given database. Settings are ordinary configuration
/// keys ("awe:webhook:max_attempts"); <paramref name="services"/> may swap collaborators such as the clock.
/// </summary>
public sealed class AweApp(string connectionString, IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Awe", connectionString);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // In-process there are no ports: /metrics is served beside the API (a test may still set a management port).
        builder.UseSetting("awe:server:management_port", "0");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureServices(services);
    }

    /// <summary>An HTTP client whose requests carry a dev-mode bearer token.</summary>
    public HttpClient ClientFor(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
