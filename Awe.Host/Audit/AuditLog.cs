using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Microsoft.Extensions.Options;

namespace Awe.Host.Audit;

/// <summary>Records admin mutations in audit_action, in the same transaction as the change itself.</summary>
public sealed class AuditLog(AweDbContext db, TimeProvider clock, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    public void Record(CallerIdentity actor, string action, string resourceType, string resourceId,
        object? before = null, object? after = null, object? metadata = null, string? summary = null)
    {
        db.AuditActions.Add(new AuditAction
        {
            OccurredAt = clock.GetUtcNow().UtcDateTime,
            Actor = actor.Subject,
            ActorEmail = actor.Email,
            Action = action,
            ResourceType = resourceType,
            ResourceId = resourceId,
            Before = ToNode(before),
            After = ToNode(after),
            Metadata = ToNode(metadata),
            Summary = summary,
        });
    }

    private JsonNode? ToNode(object? value) =>
        value is null ? null : value as JsonNode ?? JsonSerializer.SerializeToNode(value, json.Value.SerializerOptions);
}
