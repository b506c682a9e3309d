using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Host.Persistence;

/// <summary>A stored answer to POST /requests, replayed when the same caller repeats the same Idempotency-Key.</summary>
public sealed class IdempotencyRecord
{
    public string Key { get; set; } = "";
    public string CallerService { get; set; } = "";
    /// <summary>SHA-256 of the canonical request body: a reused key with another body is refused (AWE-009).</summary>
    public string RequestHash { get; set; } = "";
    public int StatusCode { get; set; }
    public JsonNode ResponsePayload { get; set; } = new JsonObject();
    public DateTime CreatedAt { get; set; }
}

public sealed class AuditAction
{
    public string Id { get; set; } = Ids.New();
    public DateTime OccurredAt { get; set; }
    public string Actor { get; set; } = "";
    public string? ActorEmail { get; set; }
    public string Action { get; set; } = "";
    public string ResourceType { get; set; } = "";
    public string ResourceId { get; set; } = "";
    public JsonNode? Before { get; set; }
    public JsonNode? After { get; set; }
    public JsonNode? Metadata { get; set; }
    public string? Summary { get; set; }
}
