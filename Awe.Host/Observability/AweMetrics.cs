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

    public static readonly Counter TimersFired =
        Metrics.CreateCounter("awe_timers_fired_total", "Timers fired, by kind (sla_breach, reminder, request_expiry) and outcome (the breach action taken, expired, reminded, moot)", "kind", "outcome");

    public static readonly Counter TimerFireFailures =
        Metrics.CreateCounter("awe_timer_fire_failures_total", "Timer firings that threw, by kind and outcome (retry: tried again after a backoff; failed: given up, needs an operator)", "kind", "outcome");

    public static readonly Histogram TimerLag =
        Metrics.CreateHistogram("awe_timer_lag_seconds", "Seconds between a timer's due time and its firing",
            new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300] });

    public static readonly Histogram OperationDuration =
        Metrics.CreateHistogram("awe_operation_duration_seconds",
            "Duration of engine operations in this host, database included: create (POST /requests), decision, timer (one timer fired), webhook_attempt",
            new HistogramConfiguration
            {
                LabelNames = ["operation"],
                Buckets = [0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            });

    public static readonly Histogram StageDuration =
        Metrics.CreateHistogram("awe_stage_duration_seconds", "Time from a stage's activation to its completion, by outcome (approved, rejected)",
            new HistogramConfiguration
            {
                LabelNames = ["outcome"],
                Buckets = [1, 10, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400],
            });

    public static readonly Counter Notifications =
        Metrics.CreateCounter("awe_notifications_total", "Notification e-mails by kind and outcome (sent, skipped, retry, failed)", "kind", "outcome");
}
