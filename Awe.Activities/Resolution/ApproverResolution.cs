using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;
using Awe.Activities.Model;
using Awe.Activities.Runtime;

namespace Awe.Activities.Resolution;

public sealed record ResolutionInput(JsonNode Context, ApprovalRequest Request);

/// <summary>Resolution could not produce an answer (directory down, malformed rule result). Never a caller mistake.</summary>
public sealed class ApproverResolutionException(string message, Exception? inner = null) : Exception(message, inner);

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

    /// <summary>A string result is one user; a list yields its truthy items as strings; anything else nobody.</summary>
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
        return result switch
        {
            JsonValue v when v.TryGetValue(out string? s) => string.IsNullOrWhiteSpace(s) ? [] : [s.Trim()],
            JsonArray a => a.Where(JsonLogicEvaluator.IsTruthy)
                .Select(x => x is JsonValue xv && xv.TryGetValue(out string? xs) ? xs.Trim() : x!.ToJsonString())
                .ToList(),
            _ => [],
        };
    }
}

/// <summary>Finds active out-of-office delegations (starts_at ≤ at &lt; ends_at; the newest wins).</summary>
public interface IDelegationLookup
{
    Task<IReadOnlyDictionary<string, string>> ActiveDelegatesAsync(IReadOnlyCollection<string> userIds, DateTime at, CancellationToken ct);
}
