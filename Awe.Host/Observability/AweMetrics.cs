using System.Diagnostics.Metrics;

namespace Awe.Host.Observability;

/// <summary>
/// Counters of the engine, as .NET meters (exported in Prometheus format at /v1/awe/metrics). Every journal
/// event is counted by type, so stage_resolution_failed, request_rejected and the rest can be alerted on.
/// </summary>
public static class AweMetrics
{
    public static readonly Meter Meter = new("Awe", "1.0");

    public static readonly Counter<long> JournalEvents =
        Meter.CreateCounter<long>("awe_journal_events", description: "Journal events written, by event_type");

    public static readonly Counter<long> ResolutionRefusals =
        Meter.CreateCounter<long>("awe_resolution_refusals", description: "Calls refused with 503 because approvers could not be resolved (nothing written)");

    public static readonly Counter<long> WebhookAttempts =
        Meter.CreateCounter<long>("awe_webhook_attempts", description: "Webhook delivery attempts, by outcome (delivered, retry, exhausted)");
}
