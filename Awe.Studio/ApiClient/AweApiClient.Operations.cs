using System.Text.Json.Nodes;

namespace Awe.Studio.ApiClient;

// The operator pages beyond requests and policies: out-of-office delegations, the admin audit trail and callback secrets.
public sealed partial class AweApiClient
{
    /// <param name="userId">Delegations from or to this user; null: all.</param>
    public Task<List<DelegationOut>> ListDelegationsAsync(string? userId, int limit = 200, CancellationToken ct = default) =>
        GetAsync<List<DelegationOut>>("delegations" + Query(("user_id", userId), ("limit", limit.ToString())), ct);

    public Task<DelegationOut> CreateDelegationAsync(DelegationIn delegation, CancellationToken ct = default) =>
        SendAsync<DelegationOut>(HttpMethod.Post, "delegations", new JsonObject
        {
            ["user_id"] = delegation.UserId,
            ["delegate_to"] = delegation.DelegateTo,
            ["starts_at"] = delegation.StartsAt,
            ["ends_at"] = delegation.EndsAt,
            ["reason"] = string.IsNullOrWhiteSpace(delegation.Reason) ? null : delegation.Reason.Trim(),
        }, ct);

    public Task DeleteDelegationAsync(string id, CancellationToken ct = default) => SendAsync<JsonNode?>(HttpMethod.Delete, $"delegations/{Esc(id)}", null, ct);

    public Task<List<AuditActionOut>> ListAuditAsync(AuditFilter filter, CancellationToken ct = default) =>
        GetAsync<List<AuditActionOut>>("admin/audit" + Query(
            ("actor", filter.Actor), ("action", filter.Action), ("resource_type", filter.ResourceType), ("resource_id", filter.ResourceId),
            ("since", filter.Since), ("until", filter.Until), ("before", filter.Before), ("after", filter.After),
            ("limit", filter.Limit.ToString())), ct);

    public Task<List<CallbackSecretOut>> ListCallbackSecretsAsync(string? callerService = null, CancellationToken ct = default) =>
        GetAsync<List<CallbackSecretOut>>("admin/callback-secrets" + Query(("caller_service", callerService)), ct);

    /// <summary>The answer carries the raw secret, the only time the API shows it.</summary>
    public Task<IssuedSecretOut> IssueCallbackSecretAsync(string? callerService, CancellationToken ct = default) =>
        SendAsync<IssuedSecretOut>(HttpMethod.Post, "admin/callback-secrets", new JsonObject { ["caller_service"] = callerService }, ct);

    /// <summary>A new secret; the old one keeps signing for the API's configured grace.</summary>
    public Task<IssuedSecretOut> RotateCallbackSecretAsync(string id, CancellationToken ct = default) =>
        SendAsync<IssuedSecretOut>(HttpMethod.Post, $"admin/callback-secrets/{Esc(id)}/rotate", new JsonObject(), ct);

    public Task<CallbackSecretOut> RevokeCallbackSecretAsync(string id, CancellationToken ct = default) =>
        SendAsync<CallbackSecretOut>(HttpMethod.Post, $"admin/callback-secrets/{Esc(id)}/revoke", null, ct);
}

public sealed record DelegationOut(string Id, string UserId, string DelegateTo, DateTime StartsAt, DateTime EndsAt, string? Reason,
    string? CreatedBy, DateTime CreatedAt, DateTime UpdatedAt, bool Active);

/// <summary>A new delegation as typed; times are ISO 8601 text. Nothing is checked here: the API names every problem.</summary>
public sealed record DelegationIn(string? UserId, string? DelegateTo, string? StartsAt, string? EndsAt, string? Reason);

public sealed record AuditActionOut(string Id, DateTime OccurredAt, string Actor, string? ActorEmail, string Action, string ResourceType,
    string ResourceId, string? Summary, JsonNode? Before, JsonNode? After, JsonNode? Metadata);

/// <param name="Since">ISO 8601, inclusive.</param>
/// <param name="Until">ISO 8601, exclusive.</param>
/// <param name="Before">An entry's id: only entries older than it (the next page).</param>
/// <param name="After">An entry's id: only entries newer than it (the previous page), still newest first.</param>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? ResourceType = null, string? ResourceId = null,
    string? Since = null, string? Until = null, int Limit = 100, string? Before = null, string? After = null);

public sealed record CallbackSecretOut(string Id, string CallerService, string Status, DateTime CreatedAt, DateTime? RotatedAt,
    DateTime? GraceUntil, DateTime? RevokedAt, string? CreatedBy);

public sealed record IssuedSecretOut(string Id, string CallerService, string Status, string Secret, DateTime CreatedAt, string? ReplacesId,
    DateTime? ReplacedGraceUntil);
