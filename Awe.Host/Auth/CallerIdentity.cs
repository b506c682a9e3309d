using System.Security.Claims;
using System.Text.Json.Nodes;

namespace Awe.Host.Auth;

public static class Roles
{
    public const string Admin = "AWE_ADMIN";
    public const string Viewer = "AWE_VIEWER";
}

/// <summary>Who is calling, read from the bearer token's claims.</summary>
public sealed record CallerIdentity(string Subject, string AssigneeId, string? Email, string? Name, IReadOnlySet<string> Roles)
{
    public bool IsAdmin => Roles.Contains(Auth.Roles.Admin);
    public bool IsViewer => IsAdmin || Roles.Contains(Auth.Roles.Viewer);

    /// <summary>
    /// The id tasks are assigned to: preferred_username, else username, else sub. Decisions record the same id
    /// as actor, so required-approver and repeat-approver checks compare like with like.
    /// </summary>
    public static CallerIdentity? FromClaims(JsonObject claims)
    {
        string? Str(string name) => claims[name] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
        var sub = Str("sub");
        if (sub is null) return null;
        var assignee = Str("preferred_username") ?? Str("username") ?? sub;
        var roles = new HashSet<string>(StringComparer.Ordinal);
        AddRoles(roles, claims["realm_access"]?["roles"]);
        if (claims["resource_access"] is JsonObject clients)
            foreach (var (_, client) in clients) AddRoles(roles, client?["roles"]);
        return new CallerIdentity(sub, assignee, Str("email"), Str("name"), roles);
    }

    private static void AddRoles(HashSet<string> roles, JsonNode? node)
    {
        if (node is not JsonArray array) return;
        foreach (var r in array)
            if (r is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s)) roles.Add(s);
    }

    public const string ClaimsJsonType = "awe:claims_json";

    public ClaimsPrincipal ToPrincipal(JsonObject claims, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimsJsonType, claims.ToJsonString())], scheme));

    public static CallerIdentity? FromPrincipal(ClaimsPrincipal principal) =>
        principal.FindFirst(ClaimsJsonType)?.Value is { } json && JsonNode.Parse(json) is JsonObject o ? FromClaims(o) : null;
}
