using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Refit;

namespace Awe.Client;

public static class AweClient
{
    /// <summary>The wire format: snake_case fields, as the API writes them.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly RefitSettings Settings = new(new SystemTextJsonContentSerializer(Json));

    /// <summary>A client without dependency injection, e.g. in a script or a command-line tool.</summary>
    public static IAweApi Create(AweClientOptions options, HttpMessageHandler? transport = null)
    {
        var handler = new AweHttpHandler(options, TokenFunction(options, new HttpClient(transport ?? new SocketsHttpHandler(), disposeHandler: false)))
        {
            InnerHandler = transport ?? new SocketsHttpHandler(),
        };
        var http = new HttpClient(handler) { BaseAddress = options.BaseAddress ?? throw new ArgumentException("BaseAddress is required", nameof(options)) };
        return RestService.For<IAweApi>(http, Settings);
    }

    public static IAweApi Create(string baseAddress, string token) => Create(new AweClientOptions { BaseAddress = new Uri(baseAddress), Token = token });

    /// <summary>Registers <see cref="IAweApi"/> on a typed HttpClient with the token, idempotency and retry handler.</summary>
    public static IHttpClientBuilder AddAweClient(this IServiceCollection services, Action<AweClientOptions> configure)
    {
        var options = new AweClientOptions();
        configure(options);
        if (options.BaseAddress is null) throw new ArgumentException("AweClientOptions.BaseAddress is required");
        services.AddHttpClient("awe-token");
        return services.AddRefitGeneratedClient<IAweApi>(Settings)
            .ConfigureHttpClient(c => c.BaseAddress = options.BaseAddress)
            .AddHttpMessageHandler(sp => new AweHttpHandler(options,
                TokenFunction(options, sp.GetRequiredService<IHttpClientFactory>().CreateClient("awe-token"))));
    }

    private static Func<CancellationToken, ValueTask<string?>> TokenFunction(AweClientOptions options, HttpClient tokenHttp)
    {
        if (options.TokenProvider is { } provider) return async ct => await provider(ct);
        if (options.ClientCredentials is { } credentials)
        {
            var source = new ClientCredentialsTokenSource(credentials, tokenHttp);
            return async ct => await source.GetAsync(ct);
        }
        return _ => ValueTask.FromResult(options.Token);
    }
}
