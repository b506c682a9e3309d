using Prometheus;

namespace Awe.Host.Observability;

/// <summary>
/// Counters of the engine, exported in Prometheus format at /v1/awe/metrics. Every journal event is counted by
/// type, so stage_resolution_failed, request_rejected and the rest can be alerted on.
/// </summary>
public static class AweMetrics
{
    public static readonly Counter JournalEvents =
        Metrics.CreateCounter("awe_journal_events_total", "Journal events written, by event_type", "event_type");

    public static readonly Counter ResolutionRefusals =
        Metrics.CreateCounter("awe_resolution_refusals_total", "Calls refused with 503 because approvers could not be resolved (nothing written)");

    public static readonly Counter WebhookAttempts =
        Metrics.CreateCounter("awe_webhook_attempts_total", "Webhook delivery attempts, by outcome (delivered, retry, exhausted)", "outcome");
}
