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
        List<ValidationProblem> problems;
        try
        {
            (node, problems) = Decode(buffer.ToArray(), maxDepth: 64);
        }
        catch (JsonException e)
        {
            throw new AweException(400, ErrorCodes.MalformedBody, $"request body is not valid JSON ({e.Message})");
        }
        if (problems.Count > 0) throw AweException.Invalid(problems);
        return node;
    }

    /// <summary>
    /// The one way caller JSON (request bodies, dev-mode token payloads) becomes a tree. Syntax errors and duplicate
    /// names throw <see cref="JsonException"/>; text that is valid JSON but cannot be used comes back as problems with
    /// their paths: a lone UTF-16 surrogate ("\udc00") or bytes that are not UTF-8 (System.Text.Json parses them and
    /// throws on first read, anywhere later), and U+0000 (PostgreSQL stores it in neither text nor jsonb). Every name
    /// and string is read once here, so a tree with no problems can be read anywhere without throwing.
    /// </summary>
    public static (JsonNode? Node, List<ValidationProblem> Problems) Decode(byte[] utf8, int maxDepth)
    {
        var problems = new List<ValidationProblem>();
        JsonNode? node;
        try
        {
            // Duplicate names are refused while parsing: left in, the first read of that object throws (a 500).
            node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
        }
        catch (InvalidOperationException)
        {
            // The duplicate check compares names, and a name that cannot be decoded throws there (no path known).
            problems.Add(new ValidationProblem("", $"a field name {NotUnicode}"));
            return (null, problems);
        }
        CheckText(node, "", problems);
        return (node, problems);
    }

    private const string NotUnicode = "is not valid Unicode text (a lone UTF-16 surrogate such as \\udc00, or bytes that are not UTF-8); send well-formed UTF-8";
    private const string HasNul = "must not contain the NUL character (\\u0000)";

    private static void CheckText(JsonNode? node, string path, List<ValidationProblem> problems)
    {
        switch (node)
        {
            case JsonObject o:
                List<KeyValuePair<string, JsonNode?>> members;
                try
                {
                    members = o.ToList();
                }
                catch (InvalidOperationException)
                {
                    problems.Add(new ValidationProblem(path, $"a field name {NotUnicode}"));
                    return;
                }
                foreach (var (name, value) in members)
                {
                    var child = JsonFieldReader.Join(path, name.Replace("\0", "\\u0000"));
                    if (name.Contains('\0')) problems.Add(new ValidationProblem(child, $"field name {HasNul}"));
                    CheckText(value, child, problems);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) CheckText(a[i], $"{path}[{i}]", problems);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                string text;
                try
                {
                    text = v.GetValue<string>();
                }
                catch (InvalidOperationException)
                {
                    problems.Add(new ValidationProblem(path, NotUnicode));
                    break;
                }
                if (text.Contains('\0')) problems.Add(new ValidationProblem(path, HasNul));
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
