using System.Text;
using System.Text.Json.Nodes;

namespace Awe.Studio.Auth;

/// <summary>
/// The unsigned (alg "none") tokens the API accepts in its dev mode, shaped like Keycloak's: sub and
/// preferred_username are the user id, realm_access.roles the chosen roles. Worthless against an API that verifies
/// tokens, which is the point: dev mode is for a laptop, never production.
/// </summary>
public static class DevTokens
{
    public static string Mint(string userId, IEnumerable<string> roles, DateTimeOffset expires) =>
        $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64(new JsonObject
        {
            ["sub"] = userId,
            ["preferred_username"] = userId,
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["realm_access"] = new JsonObject { ["roles"] = new JsonArray(roles.Select(r => (JsonNode)JsonValue.Create(r)).ToArray()) },
        }.ToJsonString())}.";

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
