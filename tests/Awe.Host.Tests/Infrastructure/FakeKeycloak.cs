using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// A small Keycloak on loopback (Kestrel, 127.0.0.1, a free port) speaking Keycloak's real paths and JSON shapes:
/// the token endpoint (client_credentials for confidential clients, password grant for users), JWKS with RS256
/// (and optionally ES256) keys carrying kid and x5c, the realm's discovery document, and the admin API reads AWE
/// uses (role, client-role and group members with first/max paging, group-by-path, children, user/client/role/
/// group listings). Admin calls need a bearer issued by the token endpoint (401 otherwise) and the service
/// account's realm-management roles (403 otherwise).
/// Test controls: add users, roles, clients and groups; rotate the signing key; slow down or fail paths; stop
/// (connection refused) and restart on the same port; count calls per path.
/// </summary>
public sealed partial class FakeKeycloak : IAsyncDisposable
{
    public const string ResolverClientId = "awe-admin-resolver";
    public const string ResolverSecret = "resolver-secret";
    public const string PortalClientId = "awe-admin-portal";
    public const string DefaultPassword = "password";

    private readonly object gate = new();
    private readonly X509Certificate2? tlsCertificate;
    private WebApplication? app;

    private readonly List<FakeUser> users = [];
    private readonly List<FakeRole> realmRoles = [];
    private readonly List<FakeClient> clients = [];
    private readonly List<FakeGroup> topGroups = [];
    private readonly List<FakeSigningKey> publishedKeys = [];
    private readonly FakeSigningKey encryptionKey;
    private readonly Dictionary<string, DateTimeOffset> adminTokens = new(StringComparer.Ordinal);
    private readonly List<Fault> faults = [];
    private readonly ConcurrentQueue<FakeCall> calls = new();

    private FakeKeycloak(string realm, bool https)
    {
        Realm = realm;
        Https = https;
        RealmId = Guid.NewGuid().ToString();
        if (https) tlsCertificate = CreateTlsCertificate();
        ActiveKey = FakeSigningKey.Create("RS256", realm);
        publishedKeys.Add(ActiveKey);
        encryptionKey = FakeSigningKey.Create("RSA-OAEP", realm);

        foreach (var builtIn in new[] { $"default-roles-{realm}", "offline_access", "uma_authorization" })
            realmRoles.Add(new FakeRole(builtIn, builtIn == $"default-roles-{realm}" ? $"${{role_default-roles}}" : null, null));
        foreach (var builtIn in new[] { "account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console" })
            clients.Add(new FakeClient(builtIn, "${client_" + builtIn + "}", null, publicClient: builtIn is "account-console" or "admin-cli" or "security-admin-console"));
        foreach (var role in new[] { "view-users", "view-clients", "query-groups", "query-users", "manage-users", "view-realm" })
            Client("realm-management").Roles.Add(new FakeRole(role, null, Client("realm-management").Id));

        var portal = new FakeClient(PortalClientId, "AWE admin portal", null, publicClient: true);
        portal.Roles.Add(new FakeRole("AWE_ADMIN", "Full read and write access to AWE", portal.Id));
        portal.Roles.Add(new FakeRole("AWE_VIEWER", "Read-only access to AWE", portal.Id));
        clients.Add(portal);
        clients.Add(new FakeClient(ResolverClientId, "AWE approver resolver", ResolverSecret, publicClient: false));
    }

    /// <summary>Starts a fake Keycloak with realm <paramref name="realm"/>; over HTTPS with a self-signed certificate if asked.</summary>
    public static async Task<FakeKeycloak> StartAsync(string realm = "staff", bool https = false)
    {
        var keycloak = new FakeKeycloak(realm, https);
        await keycloak.ListenAsync(0);
        return keycloak;
    }

    public string Realm { get; }
    public string RealmId { get; }
    public bool Https { get; }
    public int Port { get; private set; }
    public string BaseUrl => $"{(Https ? "https" : "http")}://127.0.0.1:{Port}";
    public string Issuer => $"{BaseUrl}/realms/{Realm}";
    public string TokenPath => $"/realms/{Realm}/protocol/openid-connect/token";
    public string JwksPath => $"/realms/{Realm}/protocol/openid-connect/certs";
    public string DiscoveryPath => $"/realms/{Realm}/.well-known/openid-configuration";
    public string JwksUrl => BaseUrl + JwksPath;

    /// <summary>The path of an admin API resource: AdminPath("roles/X/users") = /admin/realms/{realm}/roles/X/users.</summary>
    public string AdminPath(string rest) => $"/admin/realms/{Realm}/{rest.TrimStart('/')}";

    /// <summary>Settings that point AWE's resolver at this Keycloak (dev-mode inbound auth is left alone).</summary>
    public Dictionary<string, string?> ResolverSettings() => new()
    {
        ["awe:keycloak:base_url"] = BaseUrl,
        ["awe:keycloak:realm"] = Realm,
        ["awe:keycloak:admin_client_id"] = ResolverClientId,
        ["awe:keycloak:admin_client_secret"] = ResolverSecret,
    };

    // ---- test controls: directory ----------------------------------------------------------------------------

    /// <summary>realm-management roles of the resolver's service account; admin calls check them (403 otherwise).</summary>
    public HashSet<string> ServiceAccountRoles { get; } = ["view-users", "view-clients", "query-groups"];

    /// <summary>Lifetime (expires_in) of tokens from the token endpoint.</summary>
    public int TokenLifetimeSeconds { get; set; } = 300;

    /// <summary>
    /// Keycloak before 23: groups embed their whole subtree as subGroups and /groups/{id}/children does not exist.
    /// Off (the default) answers like 23+: subGroupCount, empty subGroups, children listed at /children.
    /// </summary>
    public bool LegacyGroupRepresentation { get; set; }

    public FakeUser AddUser(string username, string? email = null, string? firstName = null, string? lastName = null,
        bool enabled = true, string password = DefaultPassword)
    {
        lock (gate)
        {
            if (users.Any(u => u.Username == username.ToLowerInvariant()))
                throw new InvalidOperationException($"user {username} exists");
            var user = new FakeUser(Guid.NewGuid().ToString(), username.ToLowerInvariant(), email, firstName, lastName, enabled, password);
            users.Add(user);
            return user;
        }
    }

    /// <summary>Adds <paramref name="count"/> users named {prefix}-00001…; returns them in order.</summary>
    public IReadOnlyList<FakeUser> AddUsers(string prefix, int count)
    {
        lock (gate)
        {
            var added = Enumerable.Range(1, count)
                .Select(i => new FakeUser(Guid.NewGuid().ToString(), $"{prefix}-{i:D5}".ToLowerInvariant(), $"{prefix}-{i:D5}@example.org", "User", $"{i}", true, DefaultPassword))
                .ToList();
            users.AddRange(added);
            return added;
        }
    }

    public FakeUser User(string username) => Find(users, u => u.Username == username.ToLowerInvariant(), $"user {username}");

    /// <summary>Creates the realm role if needed and adds the users (by username) as members.</summary>
    public FakeRole AddRealmRole(string name, string? description = null, params string[] members)
    {
        lock (gate)
        {
            var role = realmRoles.FirstOrDefault(r => r.Name == name);
            if (role is null) realmRoles.Add(role = new FakeRole(name, description, null));
            role.Members.AddRange(members.Select(User));
            return role;
        }
    }

    public void AddRealmRoleMembers(string role, IEnumerable<FakeUser> members)
    {
        lock (gate) Find(realmRoles, r => r.Name == role, $"realm role {role}").Members.AddRange(members);
    }

    /// <summary>Creates a client (confidential when a secret is given); returns its internal id (a UUID).</summary>
    public string AddClient(string clientId, string? name = null, string? secret = null)
    {
        lock (gate)
        {
            var client = new FakeClient(clientId, name, secret, publicClient: secret is null);
            clients.Add(client);
            return client.Id;
        }
    }

    public FakeClient Client(string clientId) => Find(clients, c => c.ClientId == clientId, $"client {clientId}");

    public FakeRole AddClientRole(string clientId, string name, string? description = null, params string[] members)
    {
        lock (gate)
        {
            var client = Client(clientId);
            var role = client.Roles.FirstOrDefault(r => r.Name == name);
            if (role is null) client.Roles.Add(role = new FakeRole(name, description, client.Id));
            role.Members.AddRange(members.Select(User));
            return role;
        }
    }

    /// <summary>Creates the group at a path such as /states/d1/officers (and its parents) and adds the members.</summary>
    public FakeGroup AddGroup(string path, params string[] members)
    {
        lock (gate)
        {
            FakeGroup? parent = null;
            foreach (var name in path.Trim('/').Split('/'))
            {
                var level = parent?.Children ?? topGroups;
                var group = level.FirstOrDefault(g => g.Name == name);
                if (group is null) level.Add(group = new FakeGroup(name, parent));
                parent = group;
            }
            parent!.Members.AddRange(members.Select(User));
            return parent;
        }
    }

    // ---- test controls: keys and tokens ----------------------------------------------------------------------

    /// <summary>The key new tokens are signed with.</summary>
    public FakeSigningKey ActiveKey { get; private set; }

    /// <summary>Keys listed at the JWKS endpoint.</summary>
    public IReadOnlyList<FakeSigningKey> PublishedKeys { get { lock (gate) return publishedKeys.ToList(); } }

    /// <summary>Makes a new signing key (new kid) active and publishes it; the old one stays published only if asked.</summary>
    public FakeSigningKey RotateSigningKey(bool keepOld = false, string alg = "RS256")
    {
        var key = FakeSigningKey.Create(alg, Realm);
        lock (gate)
        {
            if (!keepOld) publishedKeys.Clear();
            publishedKeys.Add(key);
            ActiveKey = key;
        }
        return key;
    }

    /// <summary>A key that is not published (a token signed with it has an unknown kid) until <see cref="Publish"/>.</summary>
    public FakeSigningKey CreateUnpublishedKey(string alg = "RS256") => FakeSigningKey.Create(alg, Realm);

    public void Publish(FakeSigningKey key)
    {
        lock (gate) publishedKeys.Add(key);
    }

    /// <summary>Invalidates every issued admin token: the next admin call with one gets 401.</summary>
    public void RevokeAdminTokens()
    {
        lock (gate) adminTokens.Clear();
    }

    /// <summary>
    /// The claims Keycloak puts in a user's access token: realm_access from realm-role membership and
    /// resource_access from client-role membership, preferred_username, email, name, azp, aud "account".
    /// </summary>
    public JsonObject UserClaims(string username, TimeSpan? lifetime = null, string? clientId = PortalClientId)
    {
        lock (gate)
        {
            var user = User(username);
            var now = DateTimeOffset.UtcNow;
            var realmAccess = realmRoles.Where(r => r.Members.Contains(user) || r.Name == $"default-roles-{Realm}" || r.Name == "offline_access")
                .Select(r => (JsonNode)r.Name).ToArray();
            var resourceAccess = new JsonObject();
            foreach (var client in clients)
            {
                var roles = client.Roles.Where(r => r.Members.Contains(user)).Select(r => (JsonNode)r.Name).ToArray();
                if (roles.Length > 0) resourceAccess[client.ClientId] = new JsonObject { ["roles"] = new JsonArray(roles) };
            }
            resourceAccess["account"] = new JsonObject { ["roles"] = new JsonArray("manage-account", "view-profile") };
            var claims = new JsonObject
            {
                ["exp"] = (now + (lifetime ?? TimeSpan.FromSeconds(TokenLifetimeSeconds))).ToUnixTimeSeconds(),
                ["iat"] = now.ToUnixTimeSeconds(),
                ["jti"] = Guid.NewGuid().ToString(),
                ["iss"] = Issuer,
                ["aud"] = "account",
                ["sub"] = user.Id,
                ["typ"] = "Bearer",
                ["azp"] = clientId,
                ["sid"] = Guid.NewGuid().ToString(),
                ["acr"] = "1",
                ["realm_access"] = new JsonObject { ["roles"] = new JsonArray(realmAccess) },
                ["resource_access"] = resourceAccess,
                ["scope"] = "openid profile email",
                ["email_verified"] = user.Email is not null,
                ["preferred_username"] = user.Username,
            };
            if (user.DisplayName is { } name) claims["name"] = name;
            if (user.FirstName is not null) claims["given_name"] = user.FirstName;
            if (user.LastName is not null) claims["family_name"] = user.LastName;
            if (user.Email is not null) claims["email"] = user.Email;
            return claims;
        }
    }

    /// <summary>A user's access token signed with the active key (or <paramref name="key"/>).</summary>
    public string UserToken(string username, FakeSigningKey? key = null, TimeSpan? lifetime = null) =>
        Sign(UserClaims(username, lifetime), key);

    /// <summary>Signs arbitrary claims as a JWS with the active key (or <paramref name="key"/>); header alg, typ and kid as Keycloak writes them.</summary>
    public string Sign(JsonObject claims, FakeSigningKey? key = null) => (key ?? ActiveKey).Sign(claims);

    /// <summary>An unsigned token (alg: none), as an attacker would send.</summary>
    public static string Unsigned(JsonObject claims) =>
        $"{B64Url(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}"))}.{B64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.";

    /// <summary>An HS256 token signed with <paramref name="secret"/> (e.g. the bytes of a published public key: the classic confusion attack).</summary>
    public static string Hs256(JsonObject claims, byte[] secret, string? kid = null)
    {
        var header = new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT" };
        if (kid is not null) header["kid"] = kid;
        var input = $"{B64Url(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{B64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        return $"{input}.{B64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)))}";
    }

    // ---- test controls: faults and call log ------------------------------------------------------------------

    /// <summary>Requests whose path contains <paramref name="pathContains"/> wait <paramref name="delay"/> before answering.</summary>
    public void Slow(string pathContains, TimeSpan delay)
    {
        lock (gate) faults.Add(new Fault(pathContains, delay, null, null));
    }

    /// <summary>Requests whose path contains <paramref name="pathContains"/> get <paramref name="status"/> (all of them, or the next <paramref name="times"/>).</summary>
    public void Fail(string pathContains, int status = 500, int? times = null)
    {
        lock (gate) faults.Add(new Fault(pathContains, TimeSpan.Zero, status, times));
    }

    public void ClearFaults()
    {
        lock (gate) faults.Clear();
    }

    public IReadOnlyList<FakeCall> Calls => calls.ToList();

    /// <summary>How many requests hit exactly this path (query ignored), e.g. CallCount(TokenPath).</summary>
    public int CallCount(string path) => calls.Count(c => c.Path == path);

    public int CallCount(Func<FakeCall, bool> predicate) => calls.Count(predicate);

    /// <summary>Stops listening: connections to <see cref="BaseUrl"/> are refused until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (app is null) return;
        await app.StopAsync();
        await app.DisposeAsync();
        app = null;
    }

    /// <summary>Listens again on the same port, with the same realm, keys and directory.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await ListenAsync(Port);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    // ---- the server ------------------------------------------------------------------------------------------

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            if (tlsCertificate is not null) listen.UseHttps(tlsCertificate);
        }));
        var web = builder.Build();
        web.Use(async (ctx, next) =>
        {
            calls.Enqueue(new FakeCall(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? ""));
            Fault? fault;
            lock (gate)
            {
                fault = faults.FirstOrDefault(f => (ctx.Request.Path.Value ?? "").Contains(f.PathContains, StringComparison.Ordinal) && f.Remaining is null or > 0);
                if (fault?.Remaining is > 0) fault.Remaining--;
            }
            if (fault is not null)
            {
                if (fault.Delay > TimeSpan.Zero)
                {
                    try { await Task.Delay(fault.Delay, ctx.RequestAborted); }
                    catch (OperationCanceledException) { return; }
                }
                if (fault.Status is { } status)
                {
                    ctx.Response.StatusCode = status;
                    await ctx.Response.WriteAsJsonAsync(new JsonObject { ["error"] = $"injected failure {status}" });
                    return;
                }
            }
            await next(ctx);
        });

        var realm = web.MapGroup("/realms/{realm}").AddEndpointFilter(async (ctx, next) =>
            (string?)ctx.HttpContext.GetRouteValue("realm") == Realm ? await next(ctx) : Error(404, "Realm does not exist"));
        realm.MapPost("/protocol/openid-connect/token", (Delegate)TokenEndpoint);
        realm.MapGet("/protocol/openid-connect/certs", () => Json(Jwks()));
        realm.MapGet("/.well-known/openid-configuration", () => Json(Discovery()));
        MapBrowserLogin(realm);

        var admin = web.MapGroup("/admin/realms/{realm}").AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var header = http.Request.Headers.Authorization.ToString();
            var bearer = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : null;
            lock (gate)
            {
                if (bearer is null || !adminTokens.TryGetValue(bearer, out var expires) || expires <= DateTimeOffset.UtcNow)
                    return Error(401, "HTTP 401 Unauthorized");
                var needed = RequiredRole(http.Request.Path.Value ?? "");
                if (needed is not null && !ServiceAccountRoles.Contains(needed))
                    return Error(403, "HTTP 403 Forbidden");
            }
            return (string?)http.GetRouteValue("realm") == Realm ? await next(ctx) : Error(404, "Realm not found.");
        });
        MapAdmin(admin);

        await web.StartAsync();
        app = web;
        var address = web.Urls.First();
        Port = new Uri(address).Port;
    }

    /// <summary>Which realm-management role Keycloak wants for a read (simplified: users, clients, groups).</summary>
    private static string? RequiredRole(string path) =>
        path.Contains("/users", StringComparison.Ordinal) || path.EndsWith("/members", StringComparison.Ordinal) ? "view-users"
        : path.Contains("/clients", StringComparison.Ordinal) ? "view-clients"
        : path.Contains("/group", StringComparison.Ordinal) ? "query-groups"
        : null;

    private async Task<IResult> TokenEndpoint(HttpContext ctx)
    {
        if (!ctx.Request.HasFormContentType) return Json(new JsonObject { ["error"] = "invalid_request", ["error_description"] = "form body required" }, 400);
        var form = await ctx.Request.ReadFormAsync();
        string? clientId = form["client_id"], secret = form["client_secret"];
        var basic = ctx.Request.Headers.Authorization.ToString();
        if (basic.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(basic[6..])).Split(':', 2);
            clientId = Uri.UnescapeDataString(pair[0]);
            secret = pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null;
        }
        var invalidClient = Json(new JsonObject { ["error"] = "unauthorized_client", ["error_description"] = "Invalid client or Invalid client credentials" }, 401);
        FakeClient? client;
        lock (gate) client = clients.FirstOrDefault(c => c.ClientId == clientId);
        if (client is null) return invalidClient;
        if (!client.PublicClient && client.Secret != secret) return invalidClient;

        var lifetime = TimeSpan.FromSeconds(TokenLifetimeSeconds);
        switch ((string?)form["grant_type"])
        {
            case "client_credentials":
                if (client.PublicClient)
                    return Json(new JsonObject { ["error"] = "unauthorized_client", ["error_description"] = "Public client not allowed to retrieve service account" }, 401);
                var now = DateTimeOffset.UtcNow;
                var claims = new JsonObject
                {
                    ["exp"] = (now + lifetime).ToUnixTimeSeconds(), ["iat"] = now.ToUnixTimeSeconds(), ["jti"] = Guid.NewGuid().ToString(),
                    ["iss"] = Issuer, ["aud"] = new JsonArray("realm-management", "account"), ["sub"] = client.ServiceAccountId, ["typ"] = "Bearer",
                    ["azp"] = client.ClientId, ["acr"] = "1", ["scope"] = "profile email", ["clientHost"] = "127.0.0.1",
                    ["preferred_username"] = $"service-account-{client.ClientId}", ["client_id"] = client.ClientId,
                    ["resource_access"] = new JsonObject
                    {
                        ["realm-management"] = new JsonObject { ["roles"] = new JsonArray(ServiceAccountRoles.Select(r => (JsonNode)r).ToArray()) },
                    },
                };
                var token = Sign(claims);
                lock (gate) adminTokens[token] = now + lifetime;
                return TokenAnswer(token, lifetime);

            case "password":
                FakeUser? user;
                lock (gate) user = users.FirstOrDefault(u => u.Username == ((string?)form["username"])?.ToLowerInvariant());
                if (user is null || !user.Enabled || user.Password != form["password"])
                    return Json(new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Invalid user credentials" }, 401);
                return TokenAnswer(Sign(UserClaims(user.Username, lifetime, client.ClientId)), lifetime);

            case "authorization_code":
                return RedeemCode(client, form, lifetime);

            case "refresh_token":
                return Refresh(client, form, lifetime);

            default:
                return Json(new JsonObject { ["error"] = "unsupported_grant_type", ["error_description"] = "Unsupported grant_type" }, 400);
        }
    }

    private static IResult TokenAnswer(string token, TimeSpan lifetime) => Json(new JsonObject
    {
        ["access_token"] = token, ["expires_in"] = (int)lifetime.TotalSeconds, ["refresh_expires_in"] = 0,
        ["token_type"] = "Bearer", ["not-before-policy"] = 0, ["scope"] = "profile email",
    });

    private JsonObject Jwks()
    {
        lock (gate)
            return new JsonObject { ["keys"] = new JsonArray(publishedKeys.Append(encryptionKey).Select(k => (JsonNode)k.Jwk()).ToArray()) };
    }

    private JsonObject Discovery() => new()
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = $"{Issuer}/protocol/openid-connect/auth",
        ["token_endpoint"] = $"{Issuer}/protocol/openid-connect/token",
        ["introspection_endpoint"] = $"{Issuer}/protocol/openid-connect/token/introspect",
        ["userinfo_endpoint"] = $"{Issuer}/protocol/openid-connect/userinfo",
        ["end_session_endpoint"] = $"{Issuer}/protocol/openid-connect/logout",
        ["jwks_uri"] = $"{Issuer}/protocol/openid-connect/certs",
        ["grant_types_supported"] = new JsonArray("authorization_code", "implicit", "refresh_token", "password", "client_credentials"),
        ["response_types_supported"] = new JsonArray("code", "none", "id_token", "token", "id_token token", "code id_token", "code token", "code id_token token"),
        ["subject_types_supported"] = new JsonArray("public", "pairwise"),
        ["id_token_signing_alg_values_supported"] = new JsonArray("PS384", "ES384", "RS384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512"),
        ["code_challenge_methods_supported"] = new JsonArray("plain", "S256"),
    };

    // ---- admin API -------------------------------------------------------------------------------------------

    private void MapAdmin(RouteGroupBuilder admin)
    {
        admin.MapGet("/users", (string? search, string? username, bool? exact, int? first, int? max) => Locked(() =>
        {
            IEnumerable<FakeUser> found = users;
            if (!string.IsNullOrWhiteSpace(username))
                found = found.Where(u => exact == true ? u.Username == username.ToLowerInvariant() : u.Username.Contains(username, StringComparison.OrdinalIgnoreCase));
            if (!string.IsNullOrWhiteSpace(search))
                found = found.Where(u => new[] { u.Username, u.Email, u.FirstName, u.LastName }.Any(f => f?.Contains(search.Trim('*'), StringComparison.OrdinalIgnoreCase) == true));
            return Json(Users(Page(found.OrderBy(u => u.Username, StringComparer.Ordinal), first, max, 100)));
        }));
        admin.MapGet("/users/{id}", (string id) => Locked(() =>
            users.FirstOrDefault(u => u.Id == id) is { } user ? Json(user.ToJson()) : Error(404, "User not found")));

        admin.MapGet("/roles", (string? search, int? first, int? max) => Locked(() =>
            Json(Roles(Page(Search(realmRoles, search).OrderBy(r => r.Name, StringComparer.Ordinal), first, max, null)))));
        admin.MapGet("/roles/{role}/users", (string role, int? first, int? max) => Locked(() =>
            realmRoles.FirstOrDefault(r => r.Name == role) is { } found ? Json(Users(Page(found.Members, first, max, 100))) : Error(404, "Could not find role")));

        admin.MapGet("/clients", (string? clientId, bool? search, int? first, int? max) => Locked(() =>
        {
            IEnumerable<FakeClient> found = clients.OrderBy(c => c.ClientId, StringComparer.Ordinal);
            if (!string.IsNullOrEmpty(clientId))
                found = found.Where(c => search == true ? c.ClientId.Contains(clientId, StringComparison.OrdinalIgnoreCase) : c.ClientId == clientId);
            return Json(new JsonArray(Page(found, first, max, null).Select(c => (JsonNode)c.ToJson()).ToArray()));
        }));
        admin.MapGet("/clients/{id}/roles", (string id, string? search, int? first, int? max) => Locked(() =>
            clients.FirstOrDefault(c => c.Id == id) is { } client
                ? Json(Roles(Page(Search(client.Roles, search).OrderBy(r => r.Name, StringComparer.Ordinal), first, max, null)))
                : Error(404, "Could not find client")));
        admin.MapGet("/clients/{id}/roles/{role}/users", (string id, string role, int? first, int? max) => Locked(() =>
            clients.FirstOrDefault(c => c.Id == id) is not { } client ? Error(404, "Could not find client")
            : client.Roles.FirstOrDefault(r => r.Name == role) is not { } found ? Error(404, "Could not find role")
            : Json(Users(Page(found.Members, first, max, 100)))));

        admin.MapGet("/groups", (string? search, int? first, int? max) => Locked(() =>
        {
            if (string.IsNullOrWhiteSpace(search))
                return Json(new JsonArray(Page(topGroups, first, max, null).Select(g => (JsonNode)GroupJson(g, LegacyGroupRepresentation)).ToArray()));
            // Like Keycloak: top-level groups with a match in their subtree, subGroups holding the way down to the matches.
            var matching = topGroups.Select(g => Pruned(g, search.Trim('*'))).OfType<JsonObject>();
            return Json(new JsonArray(Page(matching, first, max, null).Select(g => (JsonNode)g).ToArray()));
        }));
        admin.MapGet("/group-by-path/{**path}", (string path) => Locked(() =>
            GroupAt(path) is { } group ? Json(GroupJson(group, LegacyGroupRepresentation)) : Error(404, "Group path does not exist")));
        admin.MapGet("/groups/{id}", (string id) => Locked(() =>
            AllGroups().FirstOrDefault(g => g.Id == id) is { } group ? Json(GroupJson(group, LegacyGroupRepresentation)) : Error(404, "Could not find group by id")));
        admin.MapGet("/groups/{id}/members", (string id, int? first, int? max) => Locked(() =>
            AllGroups().FirstOrDefault(g => g.Id == id) is { } group ? Json(Users(Page(group.Members, first, max, 100))) : Error(404, "Could not find group by id")));
        admin.MapGet("/groups/{id}/children", (string id, int? first, int? max) => Locked(() =>
            LegacyGroupRepresentation ? Error(404, "HTTP 404 Not Found")
            : AllGroups().FirstOrDefault(g => g.Id == id) is { } group
                ? Json(new JsonArray(Page(group.Children, first, max, 10).Select(g => (JsonNode)GroupJson(g, false)).ToArray()))
                : Error(404, "Could not find group by id")));
    }

    private IResult Locked(Func<IResult> read)
    {
        lock (gate) return read();
    }

    /// <summary>first/max as Keycloak applies them; <paramref name="defaultMax"/> null = everything.</summary>
    private static IEnumerable<T> Page<T>(IEnumerable<T> items, int? first, int? max, int? defaultMax)
    {
        var skipped = items.Skip(Math.Max(0, first ?? 0));
        var take = max is > 0 ? max : defaultMax;
        return take is { } n ? skipped.Take(n) : skipped;
    }

    private static IEnumerable<FakeRole> Search(IEnumerable<FakeRole> roles, string? search) =>
        string.IsNullOrWhiteSpace(search) ? roles : roles.Where(r => r.Name.Contains(search.Trim('*'), StringComparison.OrdinalIgnoreCase));

    private static JsonArray Users(IEnumerable<FakeUser> list) => new(list.Select(u => (JsonNode)u.ToJson()).ToArray());

    private JsonArray Roles(IEnumerable<FakeRole> list) => new(list.Select(r => (JsonNode)new JsonObject
    {
        ["id"] = r.Id, ["name"] = r.Name, ["description"] = r.Description, ["composite"] = false,
        ["clientRole"] = r.ClientUuid is not null, ["containerId"] = r.ClientUuid ?? RealmId,
    }).ToArray());

    private IEnumerable<FakeGroup> AllGroups()
    {
        var pending = new Stack<FakeGroup>(topGroups);
        while (pending.TryPop(out var g))
        {
            yield return g;
            foreach (var c in g.Children) pending.Push(c);
        }
    }

    private FakeGroup? GroupAt(string path)
    {
        FakeGroup? group = null;
        foreach (var name in path.Trim('/').Split('/'))
        {
            group = (group?.Children ?? topGroups).FirstOrDefault(g => g.Name == name);
            if (group is null) return null;
        }
        return group;
    }

    private static JsonObject GroupJson(FakeGroup g, bool legacy)
    {
        var o = new JsonObject { ["id"] = g.Id, ["name"] = g.Name, ["path"] = g.Path };
        if (g.Parent is not null && !legacy) o["parentId"] = g.Parent.Id;
        if (!legacy) o["subGroupCount"] = g.Children.Count;
        o["subGroups"] = legacy ? new JsonArray(g.Children.Select(c => (JsonNode)GroupJson(c, true)).ToArray()) : new JsonArray();
        o["attributes"] = new JsonObject();
        o["realmRoles"] = new JsonArray();
        o["clientRoles"] = new JsonObject();
        o["access"] = new JsonObject { ["view"] = true, ["manage"] = false, ["manageMembership"] = false };
        return o;
    }

    /// <summary>The group with only the branches leading to names containing <paramref name="search"/>; null if none.</summary>
    private static JsonObject? Pruned(FakeGroup g, string search)
    {
        var children = g.Children.Select(c => Pruned(c, search)).OfType<JsonObject>().ToArray();
        if (children.Length == 0 && !g.Name.Contains(search, StringComparison.OrdinalIgnoreCase)) return null;
        var o = GroupJson(g, legacy: false);
        o["subGroups"] = new JsonArray(children.Select(c => (JsonNode)c).ToArray());
        return o;
    }

    private static IResult Json(JsonNode node, int status = 200) => Results.Content(node.ToJsonString(), "application/json", Encoding.UTF8, status);

    private static IResult Error(int status, string message) => Json(new JsonObject { ["error"] = message }, status);

    private static T Find<T>(IEnumerable<T> items, Func<T, bool> match, string what) =>
        items.FirstOrDefault(match) ?? throw new InvalidOperationException($"fake Keycloak has no {what}");

    private static X509Certificate2 CreateTlsCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    internal static string B64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed class Fault(string pathContains, TimeSpan delay, int? status, int? remaining)
    {
        public string PathContains { get; } = pathContains;
        public TimeSpan Delay { get; } = delay;
        public int? Status { get; } = status;
        public int? Remaining { get; set; } = remaining;
    }
}

public sealed record FakeCall(string Method, string Path, string Query);

public sealed class FakeUser(string id, string username, string? email, string? firstName, string? lastName, bool enabled, string password)
{
    public string Id { get; } = id;
    public string Username { get; } = username;
    public string? Email { get; set; } = email;
    public string? FirstName { get; set; } = firstName;
    public string? LastName { get; set; } = lastName;
    public bool Enabled { get; set; } = enabled;
    public string Password { get; set; } = password;
    public string? DisplayName => string.Join(' ', new[] { FirstName, LastName }.Where(s => s is not null)) is { Length: > 0 } n ? n : null;

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["id"] = Id, ["username"] = Username };
        if (FirstName is not null) o["firstName"] = FirstName;
        if (LastName is not null) o["lastName"] = LastName;
        if (Email is not null) o["email"] = Email;
        o["emailVerified"] = Email is not null;
        o["enabled"] = Enabled;
        o["createdTimestamp"] = 1700000000000;
        return o;
    }
}

public sealed class FakeRole(string name, string? description, string? clientUuid)
{
    public string Id { get; } = Guid.NewGuid().ToString();
    public string Name { get; } = name;
    public string? Description { get; } = description;
    public string? ClientUuid { get; } = clientUuid;
    public List<FakeUser> Members { get; } = [];
}

public sealed class FakeClient(string clientId, string? name, string? secret, bool publicClient)
{
    public string Id { get; } = Guid.NewGuid().ToString();
    public string ClientId { get; } = clientId;
    public string? Name { get; } = name;
    public string? Secret { get; } = secret;
    public bool PublicClient { get; } = publicClient;
    public string ServiceAccountId { get; } = Guid.NewGuid().ToString();
    public List<FakeRole> Roles { get; } = [];

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["id"] = Id, ["clientId"] = ClientId };
        if (Name is not null) o["name"] = Name;
        o["enabled"] = true;
        o["publicClient"] = PublicClient;
        o["serviceAccountsEnabled"] = Secret is not null;
        o["protocol"] = "openid-connect";
        return o;
    }
}

public sealed class FakeGroup(string name, FakeGroup? parent)
{
    public string Id { get; } = Guid.NewGuid().ToString();
    public string Name { get; } = name;
    public FakeGroup? Parent { get; } = parent;
    public string Path => $"{Parent?.Path}/{Name}";
    public List<FakeGroup> Children { get; } = [];
    public List<FakeUser> Members { get; } = [];
}

/// <summary>A realm key: RS256 or ES256 for signing (published with kid, x5c, x5t), or RSA-OAEP for encryption.</summary>
public sealed class FakeSigningKey
{
    private FakeSigningKey(string kid, string alg, AsymmetricAlgorithm key, X509Certificate2 certificate)
    {
        Kid = kid;
        Alg = alg;
        Key = key;
        Certificate = certificate;
    }

    public string Kid { get; }
    public string Alg { get; }
    public AsymmetricAlgorithm Key { get; }
    public X509Certificate2 Certificate { get; }

    public static FakeSigningKey Create(string alg, string realm)
    {
        var kid = FakeKeycloak.B64Url(RandomNumberGenerator.GetBytes(32));
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddYears(10);
        switch (alg)
        {
            case "RS256" or "RSA-OAEP":
                var rsa = RSA.Create(2048);
                var rsaCert = new CertificateRequest($"CN={realm}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(notBefore, notAfter);
                return new FakeSigningKey(kid, alg, rsa, rsaCert);
            case "ES256":
                var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var ecCert = new CertificateRequest($"CN={realm}", ec, HashAlgorithmName.SHA256).CreateSelfSigned(notBefore, notAfter);
                return new FakeSigningKey(kid, alg, ec, ecCert);
            default:
                throw new ArgumentException($"unsupported key algorithm {alg}");
        }
    }

    /// <summary>The JWKS entry as Keycloak publishes it.</summary>
    public JsonObject Jwk()
    {
        var raw = Certificate.RawData;
        var o = new JsonObject { ["kid"] = Kid };
        if (Key is RSA rsa)
        {
            var p = rsa.ExportParameters(false);
            o["kty"] = "RSA";
            o["alg"] = Alg;
            o["use"] = Alg == "RSA-OAEP" ? "enc" : "sig";
            o["n"] = FakeKeycloak.B64Url(p.Modulus!);
            o["e"] = FakeKeycloak.B64Url(p.Exponent!);
        }
        else if (Key is ECDsa ec)
        {
            var p = ec.ExportParameters(false);
            o["kty"] = "EC";
            o["alg"] = Alg;
            o["use"] = "sig";
            o["crv"] = "P-256";
            o["x"] = FakeKeycloak.B64Url(p.Q.X!);
            o["y"] = FakeKeycloak.B64Url(p.Q.Y!);
        }
        o["x5c"] = new JsonArray(Convert.ToBase64String(raw));
        o["x5t"] = FakeKeycloak.B64Url(SHA1.HashData(raw));
        o["x5t#S256"] = FakeKeycloak.B64Url(SHA256.HashData(raw));
        return o;
    }

    /// <summary>A compact JWS over the claims: header {alg, typ: JWT, kid}.</summary>
    public string Sign(JsonObject claims)
    {
        if (Alg == "RSA-OAEP") throw new InvalidOperationException("an encryption key does not sign");
        var header = new JsonObject { ["alg"] = Alg, ["typ"] = "JWT", ["kid"] = Kid };
        var input = $"{FakeKeycloak.B64Url(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{FakeKeycloak.B64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        var data = Encoding.ASCII.GetBytes(input);
        var signature = Key switch
        {
            RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            // JWS wants r||s (IEEE P1363), which is what SignData produces by default.
            ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA256),
            _ => throw new InvalidOperationException(),
        };
        return $"{input}.{FakeKeycloak.B64Url(signature)}";
    }
}
