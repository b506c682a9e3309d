using Awe.Host.Api;
using Awe.Host.Auth;

namespace Awe.Host.Identity;

public sealed record PickerUser(string UserId, string? Username, string? Email, string? Name);
public sealed record PickerClient(string ClientId, string? Name);
public sealed record PickerRole(string Name, string? Client, string? Description);
public sealed record PickerGroup(string Path, string Name);

/// <summary>
/// Look-ups for the admin UI's rule editor, read live from Keycloak with the resolver's service account.
/// user_id is the id AWE assigns tasks to (the username), i.e. what a <c>user</c> rule's user_id takes.
/// Keycloak down or not configured: 503 AWE-011.
/// </summary>
public static class KeycloakPickerEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/admin/keycloak").WithTags("Keycloak pickers");

        g.MapGet("/users", async (KeycloakAdminClient keycloak, string? q, int? limit, CancellationToken ct) =>
            {
                var max = Query.Limit(limit, 100, 200);
                var users = await Call(keycloak, () => keycloak.SearchUsersAsync(q, max, ct));
                return users.Take(max).Select(u => new PickerUser(u.AssigneeId, u.Username, u.Email, u.DisplayName)).ToList();
            })
            .RequireAccess(Access.Viewer).WithSummary("Keycloak users matching q (username, e-mail, first or last name)");

        g.MapGet("/clients", async (KeycloakAdminClient keycloak, int? limit, CancellationToken ct) =>
            {
                var max = Query.Limit(limit, 200, 500);
                var clients = await Call(keycloak, () => keycloak.ClientsAsync(max, ct));
                return clients.Take(max).Select(c => new PickerClient(c.ClientId, string.IsNullOrWhiteSpace(c.Name) ? null : c.Name))
                    .OrderBy(c => c.ClientId, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.ClientId, StringComparer.Ordinal).ToList();
            })
            .RequireAccess(Access.Viewer).WithSummary("Keycloak clients of the realm, sorted by client id");

        g.MapGet("/roles", async (KeycloakAdminClient keycloak, string? client, string? q, int? limit, CancellationToken ct) =>
            {
                var max = Query.Limit(limit, 100, 500);
                var clientId = string.IsNullOrWhiteSpace(client) ? null : client.Trim();
                var roles = await Call(keycloak, async () =>
                {
                    if (clientId is null) return await keycloak.RealmRolesAsync(q, max, ct);
                    var found = await keycloak.FindClientAsync(clientId, ct)
                                ?? throw AweException.Invalid($"Keycloak has no client '{clientId}' in the realm", "client");
                    return await keycloak.ClientRolesAsync(found, q, max, ct);
                });
                return roles.Take(max).Select(r => new PickerRole(r.Name, clientId, string.IsNullOrWhiteSpace(r.Description) ? null : r.Description))
                    .OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();
            })
            .RequireAccess(Access.Viewer).WithSummary("Realm roles, or with client= the roles of that client");

        g.MapGet("/groups", async (KeycloakAdminClient keycloak, string? q, int? limit, CancellationToken ct) =>
            {
                var max = Query.Limit(limit, 100, 200);
                var groups = await Call(keycloak, () => keycloak.GroupsAsync(q, max, ct));
                var flat = new List<PickerGroup>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                void Walk(IEnumerable<KeycloakGroup> level, string parent)
                {
                    foreach (var group in level)
                    {
                        var name = group.Name ?? "";
                        var path = string.IsNullOrWhiteSpace(group.Path) ? $"{parent}/{name}" : group.Path;
                        // A search answers with the matching groups inside their ancestors: list the matches only.
                        var matches = string.IsNullOrWhiteSpace(q) || name.Contains(q.Trim(), StringComparison.OrdinalIgnoreCase);
                        if (matches && seen.Add(path)) flat.Add(new PickerGroup(path, name));
                        Walk(group.SubGroups ?? [], path);
                    }
                }
                Walk(groups, "");
                return flat.Take(max).ToList();
            })
            .RequireAccess(Access.Viewer).WithSummary("Keycloak groups (subgroups flattened) whose name contains q");
    }

    private static async Task<T> Call<T>(KeycloakAdminClient keycloak, Func<Task<T>> read)
    {
        if (!keycloak.IsConfigured)
            throw new AweException(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ResolverUnavailable,
                "Keycloak is not configured on this server (awe.keycloak.base_url is empty), so there is nothing to pick from");
        try
        {
            return await read();
        }
        catch (KeycloakException e)
        {
            throw new AweException(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ResolverUnavailable, $"Keycloak admin API failed: {e.Message}");
        }
    }
}
