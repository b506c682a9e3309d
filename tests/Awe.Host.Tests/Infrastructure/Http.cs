using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>JSON over HTTP with the status code kept beside the body, so tests assert both.</summary>
public sealed record Reply(HttpStatusCode Status, JsonNode? Body, string Raw)
{
    public JsonNode Json => Body ?? throw new InvalidOperationException($"HTTP {(int)Status} with no JSON body: {Raw}");

    /// <summary>First error code of an error envelope.</summary>
    public string? ErrorCode => Body?["errors"]?[0]?["errorCode"]?.GetValue<string>();

    public Reply Expect(HttpStatusCode status) =>
        Status == status ? this : throw new Xunit.Sdk.XunitException($"expected HTTP {(int)status} but got {(int)Status}: {Raw}");
}

public static class Http
{
    public static Task<Reply> GetJson(this HttpClient client, string url) => SendAsync(client, HttpMethod.Get, url, null);

    public static Task<Reply> PostJson(this HttpClient client, string url, object? body = null, IDictionary<string, string>? headers = null) =>
        SendAsync(client, HttpMethod.Post, url, body, headers);

    public static Task<Reply> PutJson(this HttpClient client, string url, object? body) => SendAsync(client, HttpMethod.Put, url, body);

    public static Task<Reply> PatchJson(this HttpClient client, string url, object? body) => SendAsync(client, HttpMethod.Patch, url, body);

    public static Task<Reply> DeleteJson(this HttpClient client, string url) => SendAsync(client, HttpMethod.Delete, url, null);

    /// <summary>Body may be a JsonNode, a raw JSON string, or any object (serialized as it is).</summary>
    public static async Task<Reply> SendAsync(this HttpClient client, HttpMethod method, string url, object? body,
        IDictionary<string, string>? headers = null)
    {
        using var message = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            var text = body switch
            {
                string s => s,
                JsonNode n => n.ToJsonString(),
                _ => System.Text.Json.JsonSerializer.Serialize(body),
            };
            message.Content = new StringContent(text, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) message.Headers.TryAddWithoutValidation(k, v);
        using var response = await client.SendAsync(message);
        var raw = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (raw.Length > 0)
        {
            try { json = JsonNode.Parse(raw); }
            catch (System.Text.Json.JsonException) { }
        }
        return new Reply(response.StatusCode, json, raw);
    }
}
