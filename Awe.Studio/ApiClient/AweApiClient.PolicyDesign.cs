using System.Text.Json.Nodes;

namespace Awe.Studio.ApiClient;

// The calls the policy designer needs beyond the pages': edit a draft and the Keycloak pickers.
public sealed partial class AweApiClient
{
    /// <summary><c>PATCH /policies/{key}/versions/{v}</c>: replaces a draft's content.</summary>
    public Task<PolicyOut> UpdateDraftAsync(string key, int version, JsonObject policy, CancellationToken ct = default) =>
        SendAsync<PolicyOut>(HttpMethod.Patch, $"policies/{Esc(key)}/versions/{version}", policy, ct);

    public Task<List<DirectoryUser>> SearchUsersAsync(string? q, int limit = 20, CancellationToken ct = default) =>
        GetAsync<List<DirectoryUser>>("admin/keycloak/users" + Query(("q", q), ("limit", limit.ToString())), ct);

    public Task<List<DirectoryClient>> ListClientsAsync(CancellationToken ct = default) =>
        GetAsync<List<DirectoryClient>>("admin/keycloak/clients", ct);

    /// <param name="client">null: realm roles.</param>
    public Task<List<DirectoryRole>> SearchRolesAsync(string? client, string? q, int limit = 50, CancellationToken ct = default) =>
        GetAsync<List<DirectoryRole>>("admin/keycloak/roles" + Query(("client", client), ("q", q), ("limit", limit.ToString())), ct);

    public Task<List<DirectoryGroup>> SearchGroupsAsync(string? q, int limit = 50, CancellationToken ct = default) =>
        GetAsync<List<DirectoryGroup>>("admin/keycloak/groups" + Query(("q", q), ("limit", limit.ToString())), ct);
}

public sealed record DirectoryUser(string UserId, string? Username, string? Email, string? Name);

public sealed record DirectoryClient(string ClientId, string? Name);

public sealed record DirectoryRole(string Name, string? Client, string? Description);

public sealed record DirectoryGroup(string Path, string? Name);
