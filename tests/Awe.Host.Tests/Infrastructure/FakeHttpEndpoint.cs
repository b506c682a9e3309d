using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// A caller's HTTP endpoint on loopback (e.g. an HTTP approver resolver): every POST is recorded with its JSON
/// body and answered by <see cref="Respond"/>, which tests replace to answer with a status, a body or a delay.
/// </summary>
public sealed class FakeHttpEndpoint : IAsyncDisposable
{
    private WebApplication app = null!;
    private readonly ConcurrentQueue<(string Path, JsonNode? Body)> received = new();

    public string BaseUrl { get; private set; } = "";

    /// <summary>Answers a request; the default answers 200 {"user_ids": []}.</summary>
    public Func<HttpContext, Task> Respond { get; set; } = ctx => ctx.Response.WriteAsync("{\"user_ids\": []}");

    public IReadOnlyList<(string Path, JsonNode? Body)> Received => received.ToList();

    public int Count(string path) => received.Count(r => r.Path == path);

    public static async Task<FakeHttpEndpoint> StartAsync()
    {
        var endpoint = new FakeHttpEndpoint();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        endpoint.app = builder.Build();
        endpoint.app.Run(async ctx =>
        {
            JsonNode? body = null;
            try { body = await JsonNode.ParseAsync(ctx.Request.Body); }
            catch (System.Text.Json.JsonException) { }
            endpoint.received.Enqueue((ctx.Request.Path.Value ?? "", body));
            ctx.Response.ContentType = "application/json";
            try { await endpoint.Respond(ctx); }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
        });
        await endpoint.app.StartAsync();
        endpoint.BaseUrl = endpoint.app.Urls.First().TrimEnd('/');
        return endpoint;
    }

    /// <summary>Answers with this status and raw body.</summary>
    public void Answer(int status, string body) => Respond = async ctx =>
    {
        ctx.Response.StatusCode = status;
        await ctx.Response.WriteAsync(body);
    };

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
