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
        // E-mail and name are only recorded for display (audit actor_email, task assignee_name): cut to their columns' size.
        return new CallerIdentity(sub, assignee, Cut(Str("email"), 255), Cut(Str("name"), 256), roles);
    }

    /// <summary>Ids are recorded in 128-character columns (created_by, assignee, actor, source_service).</summary>
    public const int MaxIdLength = 128;

    /// <summary>Why this identity cannot be recorded, or null. A token carrying it is refused (401) instead of failing a write.</summary>
    public string? UnrecordableReason =>
        Subject.Length > MaxIdLength ? $"the token's 'sub' is longer than {MaxIdLength} characters"
        : AssigneeId.Length > MaxIdLength ? $"the token's user name (preferred_username or username) is longer than {MaxIdLength} characters"
        : null;

    private static string? Cut(string? value, int max) => value is not null && value.Length > max ? value[..max] : value;

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
