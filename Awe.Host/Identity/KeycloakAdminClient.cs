using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Awe.Host.Configuration;
using Microsoft.Extensions.Options;

namespace Awe.Host.Identity;

/// <summary>The Keycloak admin API failed or said no. The message says what was asked and what went wrong.</summary>
public sealed class KeycloakException(string message, HttpStatusCode? status = null, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
    public bool NotFound => Status == HttpStatusCode.NotFound;
}

/// <summary>A user as the admin API returns it (the brief representation carries these fields).</summary>
public sealed record KeycloakUser(string Id, string? Username, string? Email, string? FirstName, string? LastName, bool? Enabled)
{
    /// <summary>The id AWE assigns tasks to: the username (what tokens carry as preferred_username), else the Keycloak id.</summary>
    public string AssigneeId => string.IsNullOrWhiteSpace(Username) ? Id : Username.Trim();

    /// <summary>"First Last", or null when Keycloak has neither.</summary>
    public string? DisplayName => string.Join(' ', new[] { FirstName, LastName }.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim())) is { Length: > 0 } n ? n : null;
}

public sealed record KeycloakClientInfo(string Id, string ClientId, string? Name);

public sealed record KeycloakRole(string Name, string? Description);

public sealed record KeycloakGroup(string Id, string Name, string? Path, long? SubGroupCount, List<KeycloakGroup>? SubGroups);

/// <summary>
/// Calls the Keycloak admin API as the confidential resolver client (awe.keycloak.admin_client_id) with the
/// client-credentials grant. The access token is cached until shortly before it expires and fetched again once
/// when Keycloak answers 401 (revoked, key rotated, clock skew). Every call has the timeout
/// awe.resolver.http_timeout_seconds, and member lists are read page by page until a short page, so a role of
/// any size resolves completely.
/// </summary>
public sealed class KeycloakAdminClient(IHttpClientFactory http, IOptionsMonitor<AweOptions> options, TimeProvider clock)
{
    public const string HttpClientName = "awe-keycloak";

    /// <summary>Members asked for per page. Keycloak's default page (when max is not given) is only 100.</summary>
    public const int PageSize = 500;

    /// <summary>Gives up on a member list longer than this many pages instead of paging forever.</summary>
    private const int MaxPages = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    private readonly SemaphoreSlim tokenGate = new(1, 1);
    private CachedToken? token;

    private sealed record CachedToken(string Value, DateTimeOffset RefreshAt);

    private KeycloakOptions Settings => options.CurrentValue.Keycloak;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Settings.BaseUrl);

    private string BaseUrl => Settings.BaseUrl.Trim().TrimEnd('/');
    private string RealmPath => Uri.EscapeDataString(Settings.Realm);
    private string AdminBase => $"{BaseUrl}/admin/realms/{RealmPath}";
    private string TokenUrl => $"{BaseUrl}/realms/{RealmPath}/protocol/openid-connect/token";

    // ---- directory reads -------------------------------------------------------------------------------------

    public Task<List<KeycloakUser>> RealmRoleMembersAsync(string role, CancellationToken ct) =>
        AllMembersAsync($"roles/{Uri.EscapeDataString(role)}/users", $"members of realm role '{role}'", ct);

    public Task<List<KeycloakUser>> ClientRoleMembersAsync(KeycloakClientInfo client, string role, CancellationToken ct) =>
        AllMembersAsync($"clients/{Uri.EscapeDataString(client.Id)}/roles/{Uri.EscapeDataString(role)}/users",
            $"members of client role '{role}' of client '{client.ClientId}'", ct);

    /// <summary>The client with exactly this clientId, or null. Needs the service-account role view-clients.</summary>
    public async Task<KeycloakClientInfo?> FindClientAsync(string clientId, CancellationToken ct)
    {
        var clients = await GetAsync<List<KeycloakClientInfo>>($"clients?clientId={Uri.EscapeDataString(clientId)}", $"client '{clientId}'", ct);
        // clientId= is an exact match on Keycloak, but check anyway: a search-style answer must not pick a neighbour.
        return clients.FirstOrDefault(c => c.ClientId == clientId && !string.IsNullOrWhiteSpace(c.Id));
    }

    /// <summary>The group at a path such as /states/d1/officers, or null when there is none.</summary>
    public async Task<KeycloakGroup?> GroupByPathAsync(string path, CancellationToken ct)
    {
        var segments = path.Trim('/').Split('/').Select(Uri.EscapeDataString);
        try
        {
            var group = await GetAsync<KeycloakGroup>($"group-by-path/{string.Join('/', segments)}", $"group '{path}'", ct);
            return string.IsNullOrWhiteSpace(group.Id) ? throw new KeycloakException($"Keycloak answered group '{path}' without an id") : group;
        }
        catch (KeycloakException e) when (e.NotFound)
        {
            return null;
        }
    }

    public Task<List<KeycloakUser>> GroupMembersAsync(KeycloakGroup group, CancellationToken ct) =>
        AllMembersAsync($"groups/{Uri.EscapeDataString(group.Id)}/members", $"members of group '{group.Path ?? group.Name}'", ct);

    /// <summary>
    /// The direct child groups. Keycloak 23+ lists them at /groups/{id}/children (the group itself then carries
    /// only subGroupCount); older versions embed them in the group as subGroups and have no such endpoint.
    /// </summary>
    public async Task<List<KeycloakGroup>> ChildGroupsAsync(KeycloakGroup group, CancellationToken ct)
    {
        if (group.SubGroups is { Count: > 0 } embedded && (group.SubGroupCount is null || group.SubGroupCount <= embedded.Count))
            return embedded.Where(g => !string.IsNullOrWhiteSpace(g.Id)).ToList();
        if (group.SubGroupCount is 0) return [];
        var children = new List<KeycloakGroup>();
        try
        {
            for (var page = 0; ; page++)
            {
                var batch = await GetAsync<List<KeycloakGroup>>(
                    $"groups/{Uri.EscapeDataString(group.Id)}/children?first={page * PageSize}&max={PageSize}",
                    $"subgroups of group '{group.Path ?? group.Name}'", ct);
                children.AddRange(batch.Where(g => !string.IsNullOrWhiteSpace(g.Id)));
                if (batch.Count < PageSize) return children;
                if (page >= MaxPages) throw new KeycloakException($"subgroups of group '{group.Path ?? group.Name}' exceed {MaxPages} pages; giving up");
            }
        }
        catch (KeycloakException e) when (e.NotFound && children.Count == 0)
        {
            return (group.SubGroups ?? []).Where(g => !string.IsNullOrWhiteSpace(g.Id)).ToList(); // Keycloak before 23: no /children endpoint
        }
    }

    /// <summary>The user whose username is exactly this (case-insensitive, as Keycloak stores usernames), or null.</summary>
    public async Task<KeycloakUser?> UserByUsernameAsync(string username, CancellationToken ct) =>
        (await GetAsync<List<KeycloakUser>>($"users?username={Uri.EscapeDataString(username)}&exact=true&briefRepresentation=true", "users", ct))
        .FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase));

    // ---- picker reads ----------------------------------------------------------------------------------------

    public Task<List<KeycloakUser>> SearchUsersAsync(string? query, int max, CancellationToken ct) =>
        GetAsync<List<KeycloakUser>>(
            $"users?briefRepresentation=true&first=0&max={max}{(string.IsNullOrWhiteSpace(query) ? "" : $"&search={Uri.EscapeDataString(query.Trim())}")}",
            "users", ct);

    public Task<List<KeycloakClientInfo>> ClientsAsync(int max, CancellationToken ct) =>
        GetAsync<List<KeycloakClientInfo>>($"clients?first=0&max={max}", "clients", ct);

    public Task<List<KeycloakRole>> RealmRolesAsync(string? query, int max, CancellationToken ct) =>
        GetAsync<List<KeycloakRole>>($"roles?briefRepresentation=true&first=0&max={max}{Search(query)}", "realm roles", ct);

    public Task<List<KeycloakRole>> ClientRolesAsync(KeycloakClientInfo client, string? query, int max, CancellationToken ct) =>
        GetAsync<List<KeycloakRole>>($"clients/{Uri.EscapeDataString(client.Id)}/roles?briefRepresentation=true&first=0&max={max}{Search(query)}",
            $"roles of client '{client.ClientId}'", ct);

    public Task<List<KeycloakGroup>> GroupsAsync(string? query, int max, CancellationToken ct) =>
        GetAsync<List<KeycloakGroup>>($"groups?first=0&max={max}{Search(query)}", "groups", ct);

    private static string Search(string? query) => string.IsNullOrWhiteSpace(query) ? "" : $"&search={Uri.EscapeDataString(query.Trim())}";

    // ---- paging, tokens, HTTP --------------------------------------------------------------------------------

    /// <summary>Reads every page of a member list (first/max) until a page comes back short.</summary>
    private async Task<List<KeycloakUser>> AllMembersAsync(string path, string what, CancellationToken ct)
    {
        var users = new List<KeycloakUser>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var page = 0; page < MaxPages; page++)
        {
            var first = page * PageSize;
            var batch = await GetAsync<List<KeycloakUser>>($"{path}?briefRepresentation=true&first={first}&max={PageSize}", what, ct);
            var fresh = 0;
            foreach (var user in batch.Where(u => !string.IsNullOrWhiteSpace(u.Id)))
                if (seen.Add(user.Id)) { users.Add(user); fresh++; }
            if (batch.Count < PageSize) return users;
            // A full page with nobody new means the server ignores "first": stop rather than loop or truncate silently.
            if (fresh == 0)
                throw new KeycloakException($"{what}: Keycloak returned the same {batch.Count} users again at first={first}; paging is not honoured");
        }
        throw new KeycloakException($"{what}: more than {MaxPages * PageSize} users; giving up");
    }

    private async Task<T> GetAsync<T>(string relative, string what, CancellationToken ct) where T : class
    {
        var url = $"{AdminBase}/{relative}";
        string? rejected = null;
        for (var attempt = 0; ; attempt++)
        {
            var bearer = await TokenAsync(rejected, ct);
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            var (status, body) = await SendAsync(message, $"reading {what}", ct);

            if (status == HttpStatusCode.Unauthorized && attempt == 0)
            {
                rejected = bearer; // token expired early or was revoked: fetch a new one, once
                continue;
            }
            if (status is >= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices)
            {
                try
                {
                    return JsonSerializer.Deserialize<T>(body, Json) ?? throw new JsonException("null");
                }
                catch (JsonException e)
                {
                    throw new KeycloakException($"Keycloak answered {what} with malformed JSON: {e.Message}", status, e);
                }
            }
            throw status switch
            {
                HttpStatusCode.Unauthorized => new KeycloakException(
                    $"Keycloak refused the resolver's token twice while reading {what} (HTTP 401)", status),
                HttpStatusCode.Forbidden => new KeycloakException(
                    $"Keycloak forbade reading {what} (HTTP 403): the service account of '{Settings.AdminClientId}' needs the realm-management roles view-users, view-clients and query-groups", status),
                HttpStatusCode.NotFound => new KeycloakException($"{what} not found in realm '{Settings.Realm}' (HTTP 404)", status),
                _ => new KeycloakException($"Keycloak answered HTTP {(int)status} while reading {what}: {Excerpt(body)}", status),
            };
        }
    }

    /// <summary>A cached client-credentials token, or a new one when none is valid or Keycloak refused <paramref name="rejected"/>.</summary>
    private async Task<string> TokenAsync(string? rejected, CancellationToken ct)
    {
        if (Usable(token, rejected) is { } cached) return cached;
        await tokenGate.WaitAsync(ct);
        try
        {
            // Another caller may have refreshed it while this one waited.
            if (Usable(token, rejected) is { } refreshed) return refreshed;
            token = await FetchTokenAsync(ct);
            return token.Value;
        }
        finally
        {
            tokenGate.Release();
        }
    }

    private string? Usable(CachedToken? t, string? rejected) =>
        t is not null && t.Value != rejected && clock.GetUtcNow() < t.RefreshAt ? t.Value : null;

    private async Task<CachedToken> FetchTokenAsync(CancellationToken ct)
    {
        var settings = Settings;
        using var message = new HttpRequestMessage(HttpMethod.Post, TokenUrl)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = settings.AdminClientId,
                ["client_secret"] = settings.AdminClientSecret,
            }),
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var requestedAt = clock.GetUtcNow();
        var (status, body) = await SendAsync(message, "fetching the resolver token", ct);
        if (status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized)
            throw new KeycloakException(
                $"Keycloak refused the client credentials of '{settings.AdminClientId}' in realm '{settings.Realm}' (HTTP {(int)status}: {Excerpt(body)}); check awe.keycloak.admin_client_id and admin_client_secret", status);
        if (status is < HttpStatusCode.OK or >= HttpStatusCode.MultipleChoices)
            throw new KeycloakException($"Keycloak's token endpoint answered HTTP {(int)status}: {Excerpt(body)}", status);

        TokenAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize<TokenAnswer>(body, Json);
        }
        catch (JsonException e)
        {
            throw new KeycloakException($"Keycloak's token endpoint answered with malformed JSON: {e.Message}", status, e);
        }
        if (string.IsNullOrWhiteSpace(answer?.AccessToken))
            throw new KeycloakException("Keycloak's token endpoint answered without an access_token", status);

        // Refresh a little before expiry (a fifth of the lifetime, at most 30 s) so a token never dies in flight.
        var lifetime = TimeSpan.FromSeconds(answer.ExpiresIn is > 0 ? answer.ExpiresIn.Value : 60);
        var margin = TimeSpan.FromSeconds(Math.Min(30, lifetime.TotalSeconds / 5));
        return new CachedToken(answer.AccessToken, requestedAt + lifetime - margin);
    }

    private sealed record TokenAnswer(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int? ExpiresIn);

    /// <summary>Sends one call with the resolver timeout and reads the whole answer; network trouble becomes a KeycloakException.</summary>
    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage message, string doing, CancellationToken ct)
    {
        var seconds = options.CurrentValue.Resolver.HttpTimeoutSeconds;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return (response.StatusCode, body);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new KeycloakException($"Keycloak did not answer within {seconds} s (awe.resolver.http_timeout_seconds) while {doing}", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new KeycloakException($"Keycloak at {BaseUrl} is unreachable while {doing}: {e.Message}", inner: e);
        }
    }

    private static string Excerpt(string body)
    {
        var text = body.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "(empty body)" : text.Length <= 300 ? text : text[..300] + "…";
    }
}
