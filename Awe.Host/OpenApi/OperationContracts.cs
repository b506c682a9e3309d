using Awe.Host.Api;

namespace Awe.Host.OpenApi;

/// <summary>A failure an operation can answer with, besides those every operation of its kind shares.</summary>
public sealed record ErrorCase(int Status, string Code, string When);

/// <summary>What the endpoint code does not tell the document generator: the body its reader accepts and its own errors.</summary>
/// <param name="Body">component name of the request body schema; null: the operation takes no body</param>
/// <param name="BodyOptional">an empty body is accepted (all fields optional)</param>
/// <param name="Success">status of a success without content (e.g. 204), replacing the generated 200</param>
public sealed record OperationContract(string? Body = null, bool BodyOptional = false, ErrorCase[]? Errors = null, int? Success = null,
    bool Enveloped = false, bool IdempotencyKey = false);

/// <summary>
/// The contract of every operation that takes a body or has errors of its own, keyed by "METHOD path". Errors common to
/// a kind of operation (authentication, bodies, query values, 500) are added by <see cref="ContractTransformer"/>; the
/// OpenAPI tests fail for a new write operation missing here, so an API change cannot skip its contract.
/// </summary>
public static class OperationContracts
{
    private static readonly ErrorCase PolicyMissing = new(404, ErrorCodes.PolicyNotFound, "the policy or that version of it does not exist");
    private static readonly ErrorCase RequestMissing = new(404, ErrorCodes.RequestNotFound, "the request does not exist");
    private static readonly ErrorCase TaskMissing = new(404, ErrorCodes.TaskNotFound, "the task does not exist");
    private static readonly ErrorCase NotAssignee = new(403, ErrorCodes.Forbidden, "the caller is neither the task's assignee nor AWE_ADMIN");
    private static readonly ErrorCase Resolver = new(503, ErrorCodes.ResolverUnavailable, "approvers could not be resolved (directory unreachable); nothing was written, retry");
    private static readonly ErrorCase KeyMismatch = new(400, ErrorCodes.KeyMismatch, "policy_key in the body differs from the URL");
    private static readonly ErrorCase Keycloak = new(503, ErrorCodes.ResolverUnavailable, "Keycloak is unreachable or not configured");
    private static readonly ErrorCase AdminMissing = new(404, ErrorCodes.AdminResourceNotFound, "no such delivery, notification or callback secret");

    private static ErrorCase State(string when) => new(409, ErrorCodes.WrongState, when);

    public static readonly IReadOnlyDictionary<string, OperationContract> All = new Dictionary<string, OperationContract>
    {
        ["GET /v1/awe/health"] = new(Enveloped: true, Errors: [new(503, ErrorCodes.DatabaseDown, "the database is unreachable")]),
        ["GET /v1/awe/version"] = new(Enveloped: true),
        ["GET /v1/awe/config"] = new(Enveloped: true),

        ["POST /v1/awe/policies"] = new("PolicyIn", Errors: [new(409, ErrorCodes.PolicyExists, "a policy with this policy_key exists; add a version with PUT")]),
        ["GET /v1/awe/policies/{key}/versions"] = new(Errors: [PolicyMissing]),
        ["GET /v1/awe/policies/{key}/versions/{version}"] = new(Errors: [PolicyMissing]),
        ["PUT /v1/awe/policies/{key}"] = new("PolicyIn", Errors: [KeyMismatch, PolicyMissing, State("another version was created at the same moment; retry")]),
        ["PATCH /v1/awe/policies/{key}/versions/{version}"] = new("PolicyIn", Errors: [KeyMismatch, PolicyMissing, State("the version is not a draft")]),
        ["POST /v1/awe/policies/{key}/versions/{version}/activate"] = new(Errors: [PolicyMissing]),
        ["POST /v1/awe/policies/{key}/versions/{version}/deactivate"] = new(Errors: [PolicyMissing, State("the version is not the active one")]),
        ["POST /v1/awe/policies/{key}/versions/{version}/simulate"] = new("SimulateIn", BodyOptional: true, Errors: [PolicyMissing, Resolver]),
        ["GET /v1/awe/policies/{key}/versions/{version}/workflow"] = new(Errors: [PolicyMissing]),

        ["POST /v1/awe/requests"] = new("CreateRequestIn", IdempotencyKey: true, Errors:
        [
            new(404, ErrorCodes.PolicyNotFound, "the policy does not exist or has no active version"),
            new(409, ErrorCodes.IdempotencyConflict, "the Idempotency-Key was used before with a different body"),
            Resolver,
        ]),
        ["GET /v1/awe/requests/{id}"] = new(Errors: [RequestMissing]),
        ["POST /v1/awe/requests/{id}/cancel"] = new("CancelRequestIn", BodyOptional: true, Errors:
        [
            new(403, ErrorCodes.Forbidden, "the caller is neither AWE_ADMIN nor the service that created the request"),
            RequestMissing, State("the request is already approved, rejected or cancelled"),
        ]),
        ["GET /v1/awe/requests/{id}/events"] = new(Errors: [RequestMissing]),
        ["GET /v1/awe/requests/{id}/workflow"] = new(Errors: [RequestMissing]),

        ["GET /v1/awe/tasks/{id}"] = new(Errors: [TaskMissing]),
        ["POST /v1/awe/tasks/{id}/claim"] = new(Errors: [NotAssignee, TaskMissing, State("the task is not open")]),
        ["POST /v1/awe/tasks/{id}/decision"] = new("DecisionIn", Errors: [NotAssignee, TaskMissing, State("the task is not open or claimed, or its request is finished"), Resolver,
            new(403, ErrorCodes.SegregationOfDuties, "segregation of duties forbids the deciding person (or the task's assignee) to approve this request")]),
        ["POST /v1/awe/tasks/{id}/reassign"] = new("ReassignIn", Errors: [TaskMissing, State("the task is not live, or the new assignee is the current one"), Resolver]),

        ["POST /v1/awe/delegations"] = new("DelegationIn"),
        ["DELETE /v1/awe/delegations/{id}"] = new(Success: 204, Errors: [new(404, ErrorCodes.AdminResourceNotFound, "the delegation does not exist")]),

        ["POST /v1/awe/admin/deliveries/{id}/retry"] = new(Errors: [AdminMissing, State("already delivered, or an attempt is on the wire")]),
        ["POST /v1/awe/admin/deliveries/retry"] = new("BulkRetryIn", BodyOptional: true),
        ["POST /v1/awe/admin/notifications/{id}/retry"] = new(Errors: [AdminMissing, State("already sent, or a sender holds it right now")]),

        ["POST /v1/awe/admin/callback-secrets"] = new("CallbackSecretIn", Errors: [State("the caller service already has an active secret; rotate it")]),
        ["POST /v1/awe/admin/callback-secrets/{id}/rotate"] = new("RotateSecretIn", BodyOptional: true, Errors: [AdminMissing, State("the secret is not active")]),
        ["POST /v1/awe/admin/callback-secrets/{id}/revoke"] = new(Errors: [AdminMissing, State("the secret is already revoked")]),

        ["GET /v1/awe/admin/keycloak/users"] = new(Errors: [Keycloak]),
        ["GET /v1/awe/admin/keycloak/clients"] = new(Errors: [Keycloak]),
        ["GET /v1/awe/admin/keycloak/roles"] = new(Errors: [Keycloak]),
        ["GET /v1/awe/admin/keycloak/groups"] = new(Errors: [Keycloak]),
    };
}
