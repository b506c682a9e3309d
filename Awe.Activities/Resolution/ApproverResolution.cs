using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;
using Awe.Activities.Model;
using Awe.Activities.Runtime;

namespace Awe.Activities.Resolution;

public sealed record ResolutionInput(JsonNode Context, ApprovalRequest Request);

/// <summary>Resolution could not produce an answer (directory down, malformed rule result). Never a caller mistake.</summary>
public class ApproverResolutionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Resolution answered, but with approvers no task can be opened for: a value that is not an id, an id longer than
/// a task can hold, more people than a configured limit allows. Retrying the same input gives the same answer, so
/// on creation this is the caller's 422, not a 503; a stage started later waits and retries like any failed
/// resolution (an operator may raise the limit or cancel the request).
/// </summary>
public sealed class UnusableApproversException(string message) : ApproverResolutionException(message);

/// <summary>Turns one approver rule into user ids.</summary>
public interface IApproverResolver
{
    Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct);
}

/// <summary>Rules that need an outside system: Keycloak roles and groups, and HTTP resolvers.</summary>
public interface IDirectoryResolver
{
    Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct);
}

/// <summary>Stands in until Keycloak and HTTP resolution are configured: says so instead of guessing.</summary>
public sealed class UnconfiguredDirectoryResolver : IDirectoryResolver
{
    public Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct) =>
        throw new ApproverResolutionException(rule.RuleType switch
        {
            "role" or "group" => $"'{rule.RuleType}' rules need the Keycloak resolver, which is not configured on this server (awe.keycloak.base_url)",
            _ => $"'{rule.RuleType}' rules are not supported by this server yet",
        });
}

/// <summary>Resolves literal users and JSONLogic expressions itself and hands the rest to the directory.</summary>
public sealed class RuleResolver(IDirectoryResolver directory) : IApproverResolver
{
    public Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct) =>
        rule.RuleType switch
        {
            "user" => Task.FromResult<IReadOnlyList<string>>([((string?)rule.RuleValue["user_id"] ?? "").Trim()]),
            "expression" => Task.FromResult(ResolveExpression(rule, input.Context)),
            _ => directory.ResolveAsync(rule, input, ct),
        };

    /// <summary>
    /// A string or a number (as text) is one user; a list yields its items the same way, skipping falsy ones (null,
    /// false, 0, ""); a falsy result is nobody. Anything else (an object, true, a list inside the list) is not an id.
    /// </summary>
    public static IReadOnlyList<string> ResolveExpression(RuleSpec rule, JsonNode context)
    {
        JsonNode? result;
        try
        {
            result = JsonLogicEvaluator.Apply(rule.RuleValue["logic"], context);
        }
        catch (JsonLogicException e)
        {
            throw new ApproverResolutionException($"expression rule failed: {e.Message}", e);
        }
        if (!JsonLogicEvaluator.IsTruthy(result)) return [];
        var ids = result is JsonArray a ? a.Where(JsonLogicEvaluator.IsTruthy).Select(x => Id(x, a)) : [Id(result, result!)];
        return ids.Where(id => id.Length > 0).ToList();
    }

    private static string Id(JsonNode? value, JsonNode whole) => value switch
    {
        JsonValue v when v.TryGetValue(out string? s) => s.Trim(),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => v.ToJsonString(),
        _ => throw new UnusableApproversException(
            $"the expression gave {Excerpt(value)}{(ReferenceEquals(value, whole) ? "" : $" inside {Excerpt(whole)}")}; only strings and numbers are user ids"),
    };

    private static string Excerpt(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 120 ? text : text[..120] + "…";
    }
}

/// <summary>Finds active out-of-office delegations (starts_at ≤ at &lt; ends_at; the newest wins).</summary>
public interface IDelegationLookup
{
    Task<IReadOnlyDictionary<string, string>> ActiveDelegatesAsync(IReadOnlyCollection<string> userIds, DateTime at, CancellationToken ct);
}
