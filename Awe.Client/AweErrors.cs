using System.Text.Json.Nodes;
using Refit;

namespace Awe.Client;

/// <summary>One entry of the error envelope's errors list.</summary>
public sealed record AweError(string ErrorCode, string Message, string? Path);

public static class AweErrors
{
    /// <summary>The AWE-0xx errors of a failed call; empty when the answer was not AWE's envelope (e.g. a proxy's page).</summary>
    public static IReadOnlyList<AweError> Read(ApiException exception)
    {
        try
        {
            return JsonNode.Parse(exception.Content ?? "")?["errors"]?.AsArray()
                .Select(e => new AweError(e?["errorCode"]?.GetValue<string>() ?? "", e?["message"]?.GetValue<string>() ?? "", e?["path"]?.GetValue<string>()))
                .ToList() ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }
}
