using System.Text.Json.Nodes;
using Refit;

namespace Awe.Client;

/// <summary>
/// The AWE API (/v1/awe). Failures throw Refit's <see cref="ApiException"/>; <see cref="AweErrors.Read"/> gives its
/// AWE-0xx codes, messages and paths. Obtain one with <c>services.AddAweClient(...)</c> or <see cref="AweClient.Create(string, string)"/>.
/// </summary>
public interface IAweApi
{
    // ---- policies (documents in the API's schema, e.g. the files of workflows/) ----

    [Get("/v1/awe/policies")]
    Task<IReadOnlyList<Policy>> ListPoliciesAsync(CancellationToken ct = default);

    [Get("/v1/awe/policies/{key}/versions")]
    Task<IReadOnlyList<PolicyVersion>> ListVersionsAsync(string key, CancellationToken ct = default);

    [Get("/v1/awe/policies/{key}/versions/{version}")]
    Task<Policy> GetPolicyAsync(string key, int version, CancellationToken ct = default);

    /// <summary>One version as the server answers it, untyped: the form policy tools compare and export.</summary>
    [Get("/v1/awe/policies/{key}/versions/{version}")]
    Task<JsonObject> GetPolicyDocumentAsync(string key, int version, CancellationToken ct = default);

    /// <summary>Creates version 1 (a draft) of a new policy.</summary>
    [Post("/v1/awe/policies")]
    Task<Policy> CreatePolicyAsync([Body] JsonObject policy, CancellationToken ct = default);

    /// <summary>Adds a draft version (latest + 1) to an existing policy.</summary>
    [Put("/v1/awe/policies/{key}")]
    Task<Policy> AddVersionAsync(string key, [Body] JsonObject policy, CancellationToken ct = default);

    [Patch("/v1/awe/policies/{key}/versions/{version}")]
    Task<Policy> EditDraftAsync(string key, int version, [Body] JsonObject policy, CancellationToken ct = default);

    [Post("/v1/awe/policies/{key}/versions/{version}/activate")]
    Task<Policy> ActivateAsync(string key, int version, CancellationToken ct = default);

    [Post("/v1/awe/policies/{key}/versions/{version}/deactivate")]
    Task<Policy> DeactivateAsync(string key, int version, CancellationToken ct = default);

    [Post("/v1/awe/policies/{key}/versions/{version}/simulate")]
    Task<Simulation> SimulateAsync(string key, int version, [Body] SimulationInput input, CancellationToken ct = default);

    // ---- requests ----

    /// <summary>
    /// Asks for an artifact to be approved. Without <paramref name="idempotencyKey"/> the client sends a new one per
    /// call, kept across its own 503 retries, so a retry never creates a second request.
    /// </summary>
    [Post("/v1/awe/requests")]
    Task<CreatedRequest> CreateRequestAsync([Body] NewRequest request, [Header("Idempotency-Key")] string? idempotencyKey = null, CancellationToken ct = default);

    [Get("/v1/awe/requests")]
    Task<IReadOnlyList<ApprovalRequest>> ListRequestsAsync([AliasAs("status")] string? status = null, [AliasAs("policy_key")] string? policyKey = null,
        [AliasAs("artifact_type")] string? artifactType = null, [AliasAs("artifact_id")] string? artifactId = null,
        [AliasAs("limit")] int? limit = null, [AliasAs("offset")] int? offset = null, CancellationToken ct = default);

    [Get("/v1/awe/requests/{id}")]
    Task<ApprovalRequest> GetRequestAsync(string id, CancellationToken ct = default);

    [Get("/v1/awe/requests/{id}/events")]
    Task<IReadOnlyList<RequestEvent>> GetEventsAsync(string id, CancellationToken ct = default);

    [Post("/v1/awe/requests/{id}/cancel")]
    Task<ApprovalRequest> CancelRequestAsync(string id, [Body] CancelRequest cancel, CancellationToken ct = default);

    // ---- tasks ----

    /// <summary>Tasks of <paramref name="assignee"/> (default: the caller; "*" as in the reference), newest first.</summary>
    [Get("/v1/awe/tasks")]
    Task<TaskPage> ListTasksAsync([AliasAs("assignee")] string? assignee = null, [AliasAs("status")] string? status = null,
        [AliasAs("request_id")] string? requestId = null, [AliasAs("policy_key")] string? policyKey = null,
        [AliasAs("page")] int? page = null, [AliasAs("page_size")] int? pageSize = null, CancellationToken ct = default);

    [Get("/v1/awe/tasks/{id}")]
    Task<ApprovalTask> GetTaskAsync(string id, CancellationToken ct = default);

    [Post("/v1/awe/tasks/{id}/decision")]
    Task<Decision> DecideAsync(string id, [Body] NewDecision decision, CancellationToken ct = default);

    // ---- webhook deliveries ----

    [Get("/v1/awe/admin/deliveries")]
    Task<IReadOnlyList<Delivery>> ListDeliveriesAsync([AliasAs("status")] string? status = null, [AliasAs("request_id")] string? requestId = null,
        [AliasAs("event_type")] string? eventType = null, [AliasAs("limit")] int? limit = null, CancellationToken ct = default);

    [Post("/v1/awe/admin/deliveries/{id}/retry")]
    Task<Delivery> RetryDeliveryAsync(string id, CancellationToken ct = default);

    [Post("/v1/awe/admin/deliveries/retry")]
    Task<DeliveryRetryResult> RetryDeliveriesAsync([Body] DeliveryRetryFilter filter, CancellationToken ct = default);
}
