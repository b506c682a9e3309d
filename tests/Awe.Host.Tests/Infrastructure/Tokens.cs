using System.Text;
using System.Text.Json.Nodes;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>Unsigned (alg: none) JWTs, the kind dev mode accepts, shaped like Keycloak's.</summary>
public static class Tokens
{
    /// <summary>The seed's smoke-test token, byte for byte: sub dev-admin, realm role AWE_ADMIN.</summary>
    public const string SeedAdmin =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJkZXYtYWRtaW4iLCJlbWFpbCI6ImRldkBsb2NhbCIsInJlYWxtX2FjY2VzcyI6eyJyb2xlcyI6WyJBV0VfQURNSU4iXX19.";

    public static string Admin => For("admin-sub", "awe-admin", "AWE_ADMIN");
    public static string Viewer => For("viewer-sub", "awe-viewer", "AWE_VIEWER");

    /// <summary>A user token: assignee id = preferred_username.</summary>
    public static string User(string username, params string[] realmRoles) => For($"sub-{username}", username, realmRoles);

    /// <summary>A service-account token (no email, no preferred_username): assignee id = sub.</summary>
    public static string Service(string sub, params string[] realmRoles) => Encode(new JsonObject
    {
        ["sub"] = sub,
        ["realm_access"] = new JsonObject { ["roles"] = Roles(realmRoles) },
    });

    /// <summary>
    /// A Keycloak client-credentials token as Keycloak shapes it: the service-account user
    /// "service-account-{clientId}" as preferred_username, and the client in client_id and azp.
    /// </summary>
    public static string ServiceAccount(string clientId, params string[] realmRoles) => Encode(new JsonObject
    {
        ["sub"] = $"sa-{clientId}",
        ["preferred_username"] = $"service-account-{clientId}",
        ["client_id"] = clientId,
        ["azp"] = clientId,
        ["realm_access"] = new JsonObject { ["roles"] = Roles(realmRoles) },
    });

    public static string For(string sub, string preferredUsername, params string[] realmRoles) => Encode(new JsonObject
    {
        ["sub"] = sub,
        ["preferred_username"] = preferredUsername,
        ["email"] = $"{preferredUsername}@example.org",
        ["name"] = $"Name of {preferredUsername}",
        ["realm_access"] = new JsonObject { ["roles"] = Roles(realmRoles) },
    });

    public static string Encode(JsonObject claims) =>
        $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64(claims.ToJsonString())}.";

    private static JsonArray Roles(string[] roles) => new(roles.Select(r => (JsonNode)JsonValue.Create(r)).ToArray());

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
