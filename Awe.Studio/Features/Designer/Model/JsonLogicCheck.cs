using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;

namespace Awe.Studio.Features.Designer.Model;

/// <summary>The result of trying a JSONLogic rule against a sample context.</summary>
public sealed record JsonLogicTrial(bool Ok, string Text, bool Truthy);

/// <summary>
/// JSONLogic as the author types it: parsed and validated with the engine's own validator (the API's check on save),
/// and evaluated against a sample context with the engine's evaluator, so what the editor says is what a request gets.
/// </summary>
public static class JsonLogicCheck
{
    /// <summary>Problems with the text as a JSONLogic rule; empty when it would be accepted. Blank text is no rule.</summary>
    public static IReadOnlyList<string> Problems(string? text, bool requireObject)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        JsonNode? rule;
        try
        {
            rule = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            return [$"Not valid JSON: {e.Message}"];
        }
        if (requireObject && rule is not JsonObject)
            return ["Must be a JSONLogic rule object, e.g. {\"==\": [{\"var\": \"amount\"}, 0]}"];
        return JsonLogicValidator.Validate(rule);
    }

    /// <summary>Evaluates the rule against <paramref name="contextText"/> (a JSON object; blank = {}).</summary>
    public static JsonLogicTrial Try(string? ruleText, string? contextText)
    {
        if (Problems(ruleText, requireObject: false) is { Count: > 0 } problems) return new(false, problems[0], false);
        JsonNode? context;
        try
        {
            context = string.IsNullOrWhiteSpace(contextText) ? new JsonObject() : JsonNode.Parse(contextText);
        }
        catch (JsonException e)
        {
            return new(false, $"The sample context is not valid JSON: {e.Message}", false);
        }
        if (context is not JsonObject) return new(false, "The sample context must be a JSON object.", false);
        try
        {
            var result = JsonLogicEvaluator.Apply(string.IsNullOrWhiteSpace(ruleText) ? null : JsonNode.Parse(ruleText!), context);
            return new(true, result?.ToJsonString() ?? "null", JsonLogicEvaluator.IsTruthy(result));
        }
        catch (JsonLogicException e)
        {
            return new(false, $"Evaluation failed: {e.Message}", false);
        }
    }
}
