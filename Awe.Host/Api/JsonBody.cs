using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Policies;

namespace Awe.Host.Api;

/// <summary>
/// Request bodies are read as JSON trees and validated by hand, so every problem is reported at once with its
/// path, instead of the framework's first-failure binding errors.
/// </summary>
public static class JsonBody
{
    public static async Task<JsonNode?> ReadAsync(HttpRequest request, bool allowEmpty = false)
    {
        if (request.ContentLength == 0)
        {
            if (allowEmpty) return null;
            throw new AweException(400, ErrorCodes.MalformedBody, "request body is empty; send a JSON object");
        }
        if (request.ContentType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase))
            throw new AweException(415, ErrorCodes.MalformedBody, $"content type '{type}' is not JSON; send application/json");
        // Enforced here as well as in Kestrel so that every server (and the test host) refuses oversized bodies alike.
        var max = request.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Configuration.AweOptions>>().Value.Server.MaxBodyBytes;
        if (request.ContentLength > max) throw TooLarge(max);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max) throw TooLarge(max);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            if (allowEmpty) return null;
            throw new AweException(400, ErrorCodes.MalformedBody, "request body is empty; send a JSON object");
        }
        JsonNode? node;
        try
        {
            // Duplicate names are refused while parsing: left in, the first read of that object throws (a 500).
            node = JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new AweException(400, ErrorCodes.MalformedBody, $"request body is not valid JSON ({e.Message})");
        }
        // "\u0000" is valid JSON, but PostgreSQL can store it in neither text nor jsonb: refuse it here, with its path,
        // rather than fail at the database with a 500.
        var problems = new List<ValidationProblem>();
        FindNulCharacters(node, "", problems);
        if (problems.Count > 0) throw AweException.Invalid(problems);
        return node;
    }

    private static void FindNulCharacters(JsonNode? node, string path, List<ValidationProblem> problems)
    {
        const string message = "must not contain the NUL character (\\u0000)";
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    var child = JsonFieldReader.Join(path, name.Replace("\0", "\\u0000"));
                    if (name.Contains('\0')) problems.Add(new ValidationProblem(child, $"field name {message}"));
                    FindNulCharacters(value, child, problems);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) FindNulCharacters(a[i], $"{path}[{i}]", problems);
                break;
            case JsonValue v when v.TryGetValue(out string? s) && s.Contains('\0'):
                problems.Add(new ValidationProblem(path, message));
                break;
        }
    }

    private static AweException TooLarge(long max) =>
        new(413, ErrorCodes.PayloadTooLarge, $"request body is larger than the {max} bytes this server accepts (awe.server.max_body_bytes); send a smaller body");

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, bool allowEmpty = false)
    {
        var node = await ReadAsync(request, allowEmpty);
        return node switch
        {
            null => [],
            JsonObject o => o,
            _ => throw new AweException(422, ErrorCodes.Invalid, "request body must be a JSON object"),
        };
    }
}
