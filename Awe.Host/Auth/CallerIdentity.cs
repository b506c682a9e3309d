using System.Security.Claims;
using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Host.Auth;

public static class Roles
{
    public const string Admin = "AWE_ADMIN";
    public const string Viewer = "AWE_VIEWER";
}

/// <summary>Who is calling, read from the bearer token's claims.</summary>
public sealed record CallerIdentity(string Subject, string AssigneeId, string? Email, string? Name, IReadOnlySet<string> Roles,
    bool IsServiceAccount = false, string? AssigneeIdProblem = null)
{
    /// <summary>Keycloak names the user behind a client's service account "service-account-{clientId}".</summary>
    public const string ServiceAccountPrefix = "service-account-";

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
        var rawAssignee = Str("preferred_username") ?? Str("username") ?? sub;
        // The id is compared with task assignees and requesters in canonical form; one that cannot be made canonical
        // (invisible or control characters, invalid Unicode) is refused (401) rather than stored as someone else.
        var problem = UserIds.Problem(rawAssignee);
        var assignee = problem is null ? UserIds.Canonical(rawAssignee) : rawAssignee;
        var roles = new HashSet<string>(StringComparer.Ordinal);
        AddRoles(roles, claims["realm_access"]?["roles"]);
        if (claims["resource_access"] is JsonObject clients)
            foreach (var (_, client) in clients) AddRoles(roles, client?["roles"]);
        // A client-credentials token from Keycloak names the client (client_id, or clientId before Keycloak 20) and
        // the service-account user; a person's token never carries client_id, and Keycloak signs what it carries.
        var serviceAccount = (Str("client_id") ?? Str("clientId")) is not null && assignee.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal);
        // E-mail and name are only recorded for display (audit actor_email, task assignee_name): cut to their columns' size.
        return new CallerIdentity(sub, assignee, Cut(Str("email"), 255), Cut(Str("name"), 256), roles, serviceAccount, problem);
    }

    /// <summary>
    /// May this caller create a request whose requester is someone else? AWE_ADMIN and service accounts (a caller
    /// system asking on behalf of its user) may; a person may only ask for themself, or segregation of duties
    /// could be sidestepped by naming a colleague as requester and approving alone.
    /// </summary>
    public bool MayActForOthers => IsAdmin || IsServiceAccount;

    /// <summary>Ids are recorded in 128-character columns (created_by, assignee, actor, source_service).</summary>
    public const int MaxIdLength = 128;

    /// <summary>Why this identity cannot be recorded, or null. A token carrying it is refused (401) instead of failing a write.</summary>
    public string? UnrecordableReason =>
        Subject.Length > MaxIdLength ? $"the token's 'sub' is longer than {MaxIdLength} characters"
        : AssigneeIdProblem is { } problem ? $"the token's user name (preferred_username, username or sub) {problem}"
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

    /// <summary>The token's sub as a claim of its own, for what runs before the endpoint (the rate limiter's partition).</summary>
    public const string SubjectClaim = "sub";

    public ClaimsPrincipal ToPrincipal(JsonObject claims, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimsJsonType, claims.ToJsonString()), new Claim(SubjectClaim, Subject)], scheme));

    public static CallerIdentity? FromPrincipal(ClaimsPrincipal principal) =>
        principal.FindFirst(ClaimsJsonType)?.Value is { } json && JsonNode.Parse(json) is JsonObject o ? FromClaims(o) : null;
}
