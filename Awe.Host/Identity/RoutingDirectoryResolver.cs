using System.Collections.Concurrent;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;

namespace Awe.Host.Identity;

/// <summary>
/// Sends <c>role</c> and <c>group</c> rules to Keycloak and <c>http</c> rules to their URL. Registered per scope
/// (one HTTP request, i.e. one activation): identical rules asked again within the scope, such as the same role
/// as approver and observer, are answered from memory, so each distinct rule costs one lookup per activation.
/// Nothing outlives the scope, so the next activation sees membership changes. Failures are not remembered.
/// Background work that resolves for several requests should open a scope per activation.
/// </summary>
public sealed class RoutingDirectoryResolver(KeycloakAdminClient keycloakClient, KeycloakDirectoryResolver keycloak, HttpRuleResolver http)
    : IDirectoryResolver
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> answered = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct)
    {
        var key = Key(rule, input);
        if (answered.TryGetValue(key, out var known)) return known;
        if (rule.RuleType is "role" or "group" && !keycloakClient.IsConfigured)
            throw new ApproverResolutionException(
                $"'{rule.RuleType}' rules need Keycloak, which is not configured on this server (set awe.keycloak.base_url and admin_client_secret)");
        var users = rule.RuleType switch
        {
            "role" => await keycloak.ResolveRoleAsync(rule.RuleValue, ct),
            "group" => await keycloak.ResolveGroupAsync(rule.RuleValue, ct),
            "http" => await http.ResolveAsync(rule.RuleValue, input, ct),
            _ => throw new ApproverResolutionException($"rule type '{rule.RuleType}' is not supported"),
        };
        answered[key] = users;
        return users;
    }

    /// <summary>What makes two rules the same question: Keycloak rules by their value; http rules also by request.</summary>
    private static string Key(RuleSpec rule, ResolutionInput input)
    {
        string Text(string name) => rule.RuleValue[name] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? s) ? s.Trim() : "";
        return rule.RuleType switch
        {
            "role" => $"role\n{Text("client")}\n{Text("role")}",
            "group" => $"group\n/{Text("group").Trim('/')}\n{rule.RuleValue["include_subgroups"]?.ToJsonString() == "true"}",
            // The answer depends on the request and its context, which are fixed for one activation.
            "http" => $"http\n{Text("url")}\n{input.Request.Id}",
            _ => $"{rule.RuleType}\n{rule.RuleValue.ToJsonString()}",
        };
    }
}
