using System.Text.Json.Nodes;
using Awe.Activities.Resolution;

namespace Awe.Host.Identity;

/// <summary>
/// Resolves <c>role</c> rules (a realm role, or with <c>client</c> a client role) and <c>group</c> rules (a group
/// path, optionally with its subgroups) to the members' assignee ids. Disabled users are left out: they cannot
/// sign in, so a task for them could never be decided. Any failure is an <see cref="ApproverResolutionException"/>.
/// </summary>
public sealed class KeycloakDirectoryResolver(KeycloakAdminClient keycloak)
{
    public async Task<IReadOnlyList<string>> ResolveRoleAsync(JsonObject ruleValue, CancellationToken ct)
    {
        var role = Text(ruleValue, "role") ?? throw new ApproverResolutionException("role rule has no 'role' in its rule_value");
        var clientId = Text(ruleValue, "client");
        try
        {
            if (clientId is null)
                return Assignees(await keycloak.RealmRoleMembersAsync(role, ct));
            var client = await keycloak.FindClientAsync(clientId, ct)
                         ?? throw new ApproverResolutionException($"role rule: Keycloak has no client '{clientId}' in the realm");
            return Assignees(await keycloak.ClientRoleMembersAsync(client, role, ct));
        }
        catch (KeycloakException e) when (e.NotFound)
        {
            // A missing role is not an empty role: failing keeps a typo from silently skipping or rejecting a stage.
            throw new ApproverResolutionException(clientId is null
                ? $"role rule: realm role '{role}' does not exist in Keycloak"
                : $"role rule: client '{clientId}' has no role '{role}' in Keycloak", e);
        }
        catch (KeycloakException e)
        {
            throw new ApproverResolutionException($"role rule '{role}'{(clientId is null ? "" : $" of client '{clientId}'")}: {e.Message}", e);
        }
    }

    public async Task<IReadOnlyList<string>> ResolveGroupAsync(JsonObject ruleValue, CancellationToken ct)
    {
        var path = Text(ruleValue, "group") ?? throw new ApproverResolutionException("group rule has no 'group' in its rule_value");
        path = "/" + path.Trim('/');
        var withSubgroups = ruleValue["include_subgroups"] is JsonValue v && v.TryGetValue(out bool b) && b;
        try
        {
            var group = await keycloak.GroupByPathAsync(path, ct)
                        ?? throw new ApproverResolutionException($"group rule: group '{path}' does not exist in Keycloak");
            var users = new List<KeycloakUser>();
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Queue<KeycloakGroup>([group]);
            while (pending.TryDequeue(out var next))
            {
                if (!visited.Add(next.Id)) continue;
                users.AddRange(await keycloak.GroupMembersAsync(next, ct));
                if (withSubgroups)
                    foreach (var child in await keycloak.ChildGroupsAsync(next, ct)) pending.Enqueue(child);
            }
            return Assignees(users);
        }
        catch (KeycloakException e)
        {
            throw new ApproverResolutionException($"group rule '{path}': {e.Message}", e);
        }
    }

    /// <summary>Assignee ids of the enabled users, first occurrence kept (a user in two subgroups counts once).</summary>
    private static IReadOnlyList<string> Assignees(IEnumerable<KeycloakUser> users)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var user in users)
            if (user.Enabled is not false && seen.Add(user.AssigneeId)) result.Add(user.AssigneeId);
        return result;
    }

    private static string? Text(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
}
