using Microsoft.Extensions.Configuration;

namespace Awe.Host.Configuration;

/// <summary>The <c>awe:</c> section of config/default.yaml. Keys keep the seed's snake_case names.</summary>
public sealed class AweOptions
{
    [ConfigurationKeyName("service_id")] public string ServiceId { get; set; } = "openg2p.awe";
    [ConfigurationKeyName("api_version")] public string ApiVersion { get; set; } = "1.0";
    [ConfigurationKeyName("module")] public string Module { get; set; } = "default";
    [ConfigurationKeyName("webhook")] public WebhookOptions Webhook { get; set; } = new();
    [ConfigurationKeyName("resolver")] public ResolverOptions Resolver { get; set; } = new();
    [ConfigurationKeyName("sla")] public SlaOptions Sla { get; set; } = new();
    [ConfigurationKeyName("calendars")] public Dictionary<string, CalendarOptions> Calendars { get; set; } = [];
    [ConfigurationKeyName("keycloak")] public KeycloakOptions Keycloak { get; set; } = new();
    [ConfigurationKeyName("notifier")] public NotifierOptions Notifier { get; set; } = new();
    [ConfigurationKeyName("server")] public ServerOptions Server { get; set; } = new();
    [ConfigurationKeyName("outbound")] public OutboundOptions Outbound { get; set; } = new();
    [ConfigurationKeyName("limits")] public LimitsOptions Limits { get; set; } = new();
    [ConfigurationKeyName("rate_limit")] public RateLimitOptions RateLimit { get; set; } = new();
    [ConfigurationKeyName("logging")] public LoggingOptions Logging { get; set; } = new();
    [ConfigurationKeyName("telemetry")] public TelemetryOptions Telemetry { get; set; } = new();
    [ConfigurationKeyName("data_protection")] public DataProtectionSettings DataProtection { get; set; } = new();
    [ConfigurationKeyName("workflows")] public WorkflowsOptions Workflows { get; set; } = new();
    [ConfigurationKeyName("studio")] public HostedStudioOptions Studio { get; set; } = new();
    [ConfigurationKeyName("retention")] public RetentionOptions Retention { get; set; } = new();
}

/// <summary>Windows of the retention purge in days; 0 keeps the rows for ever.</summary>
public sealed class RetentionOptions
{
    [ConfigurationKeyName("check_interval_seconds")] public int CheckIntervalSeconds { get; set; } = 3600;
    [ConfigurationKeyName("delivered_webhook_days")] public int DeliveredWebhookDays { get; set; } = 30;
    [ConfigurationKeyName("idempotency_key_days")] public int IdempotencyKeyDays { get; set; } = 30;
    [ConfigurationKeyName("finished_timer_days")] public int FinishedTimerDays { get; set; } = 7;
    [ConfigurationKeyName("request_days")] public int RequestDays { get; set; }
    [ConfigurationKeyName("audit_days")] public int AuditDays { get; set; }
}

public sealed class DataProtectionSettings
{
    /// <summary>Base64 of 32 random bytes that encrypt the key ring at rest; empty = stored unencrypted.</summary>
    [ConfigurationKeyName("master_key")] public string MasterKey { get; set; } = "";
}

public sealed class WorkflowsOptions
{
    /// <summary>A folder of policy files (*.json) applied at start: a new active version for each file that differs. Empty = off.</summary>
    [ConfigurationKeyName("import_dir")] public string ImportDir { get; set; } = "";
}

public sealed class WebhookOptions
{
    [ConfigurationKeyName("timeout_seconds")] public int TimeoutSeconds { get; set; } = 10;
    [ConfigurationKeyName("max_attempts")] public int MaxAttempts { get; set; } = 6;
    [ConfigurationKeyName("backoff_seconds")] public List<int> BackoffSeconds { get; set; } = [];
    [ConfigurationKeyName("poll_interval_seconds")] public int PollIntervalSeconds { get; set; } = 2;
    [ConfigurationKeyName("batch_size")] public int BatchSize { get; set; } = 20;
    [ConfigurationKeyName("secret_rotation_grace_seconds")] public int SecretRotationGraceSeconds { get; set; } = 86400;
    /// <summary>
    /// How long a claimed delivery belongs to the replica that claimed it; a replica that dies frees its claims when
    /// they expire. 0 = derived: timeout_seconds × 2 + 30.
    /// </summary>
    [ConfigurationKeyName("lease_seconds")] public int LeaseSeconds { get; set; }

    public int EffectiveLeaseSeconds => LeaseSeconds > 0 ? LeaseSeconds : TimeoutSeconds * 2 + 30;
}

public sealed class ResolverOptions
{
    [ConfigurationKeyName("http_timeout_seconds")] public int HttpTimeoutSeconds { get; set; } = 5;
    [ConfigurationKeyName("retry_backoff_seconds")] public List<int> RetryBackoffSeconds { get; set; } = [];
    [ConfigurationKeyName("retry_poll_seconds")] public int RetryPollSeconds { get; set; } = 5;
}

public sealed class SlaOptions
{
    /// <summary>Longest sleep of a replica's timer scheduler; it also wakes for the nearest due timer.</summary>
    [ConfigurationKeyName("check_interval_seconds")] public int CheckIntervalSeconds { get; set; } = 5;
    [ConfigurationKeyName("max_escalations")] public int MaxEscalations { get; set; } = 1;
    [ConfigurationKeyName("batch_size")] public int BatchSize { get; set; } = 200;
    [ConfigurationKeyName("fire_parallelism")] public int FireParallelism { get; set; } = 4;
    [ConfigurationKeyName("lease_seconds")] public int LeaseSeconds { get; set; } = 30;
    /// <summary>Firings of one timer that may throw before it is marked failed.</summary>
    [ConfigurationKeyName("fire_max_attempts")] public int FireMaxAttempts { get; set; } = 5;
    /// <summary>Waits before each retry of a timer whose firing threw (the last one repeats).</summary>
    [ConfigurationKeyName("fire_backoff_seconds")] public List<int> FireBackoffSeconds { get; set; } = [];
}

/// <summary>A business calendar (awe.calendars.NAME): deadlines on it count working time only.</summary>
public sealed class CalendarOptions
{
    [ConfigurationKeyName("time_zone")] public string TimeZone { get; set; } = "";
    [ConfigurationKeyName("working_days")] public List<string> WorkingDays { get; set; } = [];
    [ConfigurationKeyName("day_start")] public string DayStart { get; set; } = "09:00";
    [ConfigurationKeyName("day_end")] public string DayEnd { get; set; } = "17:00";
    [ConfigurationKeyName("holidays")] public List<string> Holidays { get; set; } = [];
}

public sealed class KeycloakOptions
{
    [ConfigurationKeyName("base_url")] public string BaseUrl { get; set; } = "";
    [ConfigurationKeyName("realm")] public string Realm { get; set; } = "staff";
    [ConfigurationKeyName("admin_client_id")] public string AdminClientId { get; set; } = "awe-admin-resolver";
    [ConfigurationKeyName("admin_client_secret")] public string AdminClientSecret { get; set; } = "";
    [ConfigurationKeyName("issuer")] public string Issuer { get; set; } = "";
    [ConfigurationKeyName("additional_issuers")] public List<string> AdditionalIssuers { get; set; } = [];
    [ConfigurationKeyName("jwks_url")] public string JwksUrl { get; set; } = "";
    [ConfigurationKeyName("audience")] public string Audience { get; set; } = "";
    [ConfigurationKeyName("verify_ssl")] public bool VerifySsl { get; set; } = true;
    [ConfigurationKeyName("allow_dev_mode")] public bool AllowDevMode { get; set; }
    [ConfigurationKeyName("clock_skew_seconds")] public int ClockSkewSeconds { get; set; } = 60;
    [ConfigurationKeyName("jwks_refresh_min_seconds")] public int JwksRefreshMinSeconds { get; set; } = 30;

    public bool DevMode => string.IsNullOrWhiteSpace(Issuer);
}

public sealed class NotifierOptions
{
    [ConfigurationKeyName("enabled")] public bool Enabled { get; set; }
    [ConfigurationKeyName("smtp_host")] public string SmtpHost { get; set; } = "";
    [ConfigurationKeyName("smtp_port")] public int SmtpPort { get; set; } = 587;
    [ConfigurationKeyName("smtp_user")] public string SmtpUser { get; set; } = "";
    [ConfigurationKeyName("smtp_password")] public string SmtpPassword { get; set; } = "";
    [ConfigurationKeyName("from_address")] public string FromAddress { get; set; } = "no-reply@openg2p.org";
    [ConfigurationKeyName("use_tls")] public bool UseTls { get; set; } = true;
    /// <summary>The approvers' inbox (the UI); mails link to it. Empty: mails carry no link.</summary>
    [ConfigurationKeyName("inbox_url")] public string InboxUrl { get; set; } = "";
    [ConfigurationKeyName("poll_interval_seconds")] public int PollIntervalSeconds { get; set; } = 2;
    [ConfigurationKeyName("batch_size")] public int BatchSize { get; set; } = 50;
    [ConfigurationKeyName("timeout_seconds")] public int TimeoutSeconds { get; set; } = 30;
    [ConfigurationKeyName("max_attempts")] public int MaxAttempts { get; set; } = 8;
    [ConfigurationKeyName("backoff_seconds")] public List<int> BackoffSeconds { get; set; } = [];
    [ConfigurationKeyName("lease_seconds")] public int LeaseSeconds { get; set; } = 120;
    [ConfigurationKeyName("address_cache_seconds")] public int AddressCacheSeconds { get; set; } = 600;
    /// <summary>Liquid templates by notification kind; a kind not listed keeps its built-in text.</summary>
    [ConfigurationKeyName("templates")] public Dictionary<string, MailTemplateOptions> Templates { get; set; } = [];
}

public sealed class MailTemplateOptions
{
    [ConfigurationKeyName("subject")] public string? Subject { get; set; }
    [ConfigurationKeyName("text")] public string? Text { get; set; }
    [ConfigurationKeyName("html")] public string? Html { get; set; }
}

public sealed class ServerOptions
{
    [ConfigurationKeyName("port")] public int Port { get; set; } = 8000;
    [ConfigurationKeyName("max_body_bytes")] public long MaxBodyBytes { get; set; } = 1024 * 1024;
    [ConfigurationKeyName("max_header_bytes")] public int MaxHeaderBytes { get; set; } = 32 * 1024;
    /// <summary>Port of /metrics, apart from the API so that the gateway never routes it; 0 = on the API port.</summary>
    [ConfigurationKeyName("management_port")] public int ManagementPort { get; set; } = 9090;
    /// <summary>Networks (CIDR) of proxies whose X-Forwarded-Proto / -Host / -For are believed.</summary>
    [ConfigurationKeyName("trusted_proxies")] public List<string> TrustedProxies { get; set; } = [];
}

/// <summary>Bounds on what one request may make the engine do; going past one is a 422 that names the key.</summary>
public sealed class LimitsOptions
{
    [ConfigurationKeyName("max_approvers_per_stage")] public int MaxApproversPerStage { get; set; } = 5000;
    [ConfigurationKeyName("max_tasks_per_request")] public int MaxTasksPerRequest { get; set; } = 10000;
    [ConfigurationKeyName("max_context_bytes")] public int MaxContextBytes { get; set; } = 256 * 1024;
}

public sealed class LoggingOptions
{
    /// <summary>"text" (one line per event, for people) or "json" (one JSON object per line, for log collectors).</summary>
    [ConfigurationKeyName("format")] public string Format { get; set; } = "text";
}

/// <summary>Requests each caller (token sub; client IP when unauthenticated) may make per fixed window; over it → 429.</summary>
public sealed class RateLimitOptions
{
    [ConfigurationKeyName("enabled")] public bool Enabled { get; set; }
    [ConfigurationKeyName("permit_limit")] public int PermitLimit { get; set; } = 1200;
    [ConfigurationKeyName("window_seconds")] public int WindowSeconds { get; set; } = 60;
}

/// <summary>OpenTelemetry traces (exported over OTLP when an endpoint is set) and the refresh of database-read gauges.</summary>
public sealed class TelemetryOptions
{
    /// <summary>OTLP collector, e.g. http://otel-collector:4317; empty = traces are not exported (nor recorded).</summary>
    [ConfigurationKeyName("otlp_endpoint")] public string OtlpEndpoint { get; set; } = "";
    /// <summary>"grpc" (port 4317) or "http" (http/protobuf, port 4318).</summary>
    [ConfigurationKeyName("otlp_protocol")] public string OtlpProtocol { get; set; } = "grpc";
    [ConfigurationKeyName("service_name")] public string ServiceName { get; set; } = "awe";
    /// <summary>Share of new traces recorded (0–1); a caller's sampled traceparent is always followed.</summary>
    [ConfigurationKeyName("sample_ratio")] public double SampleRatio { get; set; } = 1.0;
    /// <summary>Gauges read from the database (open tasks, outbox depth and age) are read at most this often.</summary>
    [ConfigurationKeyName("gauge_refresh_seconds")] public int GaugeRefreshSeconds { get; set; } = 15;
}

/// <summary>
/// Studio run inside this process, beside the API: the one-command local start (launchSettings turns it on). The
/// awe-ui image runs Awe.Studio on its own instead; Studio's other awe.studio keys are read by Studio itself.
/// </summary>
public sealed class HostedStudioOptions
{
    [ConfigurationKeyName("serve")] public bool Serve { get; set; }
    [ConfigurationKeyName("url")] public string Url { get; set; } = "http://localhost:8080";
}

public sealed class OutboundOptions
{
    [ConfigurationKeyName("allow_private_networks")] public bool AllowPrivateNetworks { get; set; }
}
