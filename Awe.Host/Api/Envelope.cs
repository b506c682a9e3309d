using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Host.Configuration;
using Microsoft.Extensions.Options;

namespace Awe.Host.Api;

/// <summary>
/// The reference's envelope <c>{id, version, responsetime, response, errors}</c>: used by health, version,
/// config and every error. Other successful responses are bare objects, as the reference's callers expect.
/// </summary>
public static class Envelope
{
    public static JsonObject Build(AweOptions options, JsonNode? response, IEnumerable<ApiError> errors) => new()
    {
        ["id"] = options.ServiceId,
        ["version"] = options.ApiVersion,
        ["responsetime"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["response"] = response,
        ["errors"] = new JsonArray(errors.Select(e =>
        {
            var o = new JsonObject { ["errorCode"] = e.ErrorCode, ["message"] = e.Message };
            if (e.Path is not null) o["path"] = e.Path;
            return (JsonNode)o;
        }).ToArray()),
    };

    public static IResult Ok(HttpContext ctx, object response, int status = 200)
    {
        var options = ctx.RequestServices.GetRequiredService<IOptions<AweOptions>>().Value;
        var json = ctx.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        return Results.Json(Build(options, JsonSerializer.SerializeToNode(response, json), []), statusCode: status);
    }

    public static async Task WriteErrorAsync(HttpContext ctx, int status, IReadOnlyList<ApiError> errors)
    {
        var options = ctx.RequestServices.GetRequiredService<IOptions<AweOptions>>().Value;
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(Build(options, null, errors).ToJsonString());
    }
}
