using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Awe.Host.Configuration;

public static class ConfigurationSetup
{
    public const string ConfigPathVariable = "CONFIG_PATH";

    /// <summary>
    /// Finds config/default.yaml whatever the working directory: CONFIG_PATH if set, else the first
    /// config/default.yaml found walking up from the working directory or from the application's folder.
    /// </summary>
    public static string FindConfigFile()
    {
        var explicitPath = Environment.GetEnvironmentVariable(ConfigPathVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            if (!File.Exists(explicitPath))
                throw new InvalidOperationException($"{ConfigPathVariable} points to '{explicitPath}', which does not exist");
            return Path.GetFullPath(explicitPath);
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "config", "default.yaml");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new InvalidOperationException(
            "config/default.yaml was not found above the working directory or the application folder; set CONFIG_PATH to its location");
    }

    /// <summary>
    /// Adds the YAML file beneath the environment: AWE__WEBHOOK__MAX_ATTEMPTS overrides awe.webhook.max_attempts
    /// and AWE__WEBHOOK__BACKOFF_SECONDS__0 the first list item.
    /// </summary>
    public static void AddAweConfiguration(this ConfigurationManager configuration, string[] args)
    {
        var file = FindConfigFile();
        var sources = configuration.Sources;
        var firstEnv = sources.Select((s, i) => (s, i)).FirstOrDefault(x => x.s is EnvironmentVariablesConfigurationSource).i;
        var yaml = new NetEscapades.Configuration.Yaml.YamlConfigurationSource { Path = file, Optional = false, ReloadOnChange = false };
        yaml.ResolveFileProvider();
        sources.Insert(firstEnv > 0 ? firstEnv : sources.Count, yaml);
        configuration["awe_config_file"] = file;
    }

    /// <summary>Every setting problem at once, each naming its key, so start-up can refuse with a useful message.</summary>
    public static IReadOnlyList<string> Validate(AweOptions o, string environmentName)
    {
        var problems = new List<string>();
        void Positive(int value, string key) { if (value < 1) problems.Add($"awe.{key} must be ≥ 1 (got {value})"); }
        Positive(o.Webhook.TimeoutSeconds, "webhook.timeout_seconds");
        Positive(o.Webhook.MaxAttempts, "webhook.max_attempts");
        Positive(o.Webhook.PollIntervalSeconds, "webhook.poll_interval_seconds");
        Positive(o.Webhook.BatchSize, "webhook.batch_size");
        if (o.Webhook.SecretRotationGraceSeconds < 0)
            problems.Add($"awe.webhook.secret_rotation_grace_seconds must be ≥ 0 (got {o.Webhook.SecretRotationGraceSeconds})");
        // A lease shorter than one attempt would let a second replica send a delivery the first is still sending.
        if (o.Webhook.LeaseSeconds < 0)
            problems.Add($"awe.webhook.lease_seconds must be ≥ 0, 0 meaning timeout_seconds × 2 + 30 (got {o.Webhook.LeaseSeconds})");
        else if (o.Webhook.LeaseSeconds > 0 && o.Webhook.LeaseSeconds <= o.Webhook.TimeoutSeconds)
            problems.Add($"awe.webhook.lease_seconds ({o.Webhook.LeaseSeconds}) must be greater than awe.webhook.timeout_seconds ({o.Webhook.TimeoutSeconds}), or 0 for the default");
        Positive(o.Resolver.HttpTimeoutSeconds, "resolver.http_timeout_seconds");
        Positive(o.Resolver.RetryPollSeconds, "resolver.retry_poll_seconds");
        if (o.Resolver.RetryBackoffSeconds.Count == 0)
            problems.Add("awe.resolver.retry_backoff_seconds must list at least one wait (seconds before retrying a failed stage resolution)");
        for (var i = 0; i < o.Resolver.RetryBackoffSeconds.Count; i++)
            if (o.Resolver.RetryBackoffSeconds[i] < 1) problems.Add($"awe.resolver.retry_backoff_seconds[{i}] must be ≥ 1 (got {o.Resolver.RetryBackoffSeconds[i]})");
        if (!string.IsNullOrWhiteSpace(o.Keycloak.BaseUrl)
            && (!Uri.TryCreate(o.Keycloak.BaseUrl.Trim(), UriKind.Absolute, out var keycloakBase) || keycloakBase.Scheme is not ("http" or "https")))
            problems.Add($"awe.keycloak.base_url must be an absolute http(s) URL such as https://keycloak.example.org (got '{o.Keycloak.BaseUrl}')");
        Positive(o.Sla.CheckIntervalSeconds, "sla.check_interval_seconds");
        if (o.Sla.MaxEscalations < 0) problems.Add($"awe.sla.max_escalations must be ≥ 0 (got {o.Sla.MaxEscalations})");
        Positive(o.Sla.BatchSize, "sla.batch_size");
        if (o.Sla.FireParallelism is < 1 or > 64) problems.Add($"awe.sla.fire_parallelism must be between 1 and 64 (got {o.Sla.FireParallelism})");
        Positive(o.Sla.FireMaxAttempts, "sla.fire_max_attempts");
        if (o.Sla.FireBackoffSeconds.Count == 0)
            problems.Add("awe.sla.fire_backoff_seconds must list at least one wait (seconds before firing a timer again after its firing failed)");
        for (var i = 0; i < o.Sla.FireBackoffSeconds.Count; i++)
            if (o.Sla.FireBackoffSeconds[i] < 1) problems.Add($"awe.sla.fire_backoff_seconds[{i}] must be ≥ 1 (got {o.Sla.FireBackoffSeconds[i]})");
        if (o.Sla.LeaseSeconds < 5) problems.Add($"awe.sla.lease_seconds must be ≥ 5, longer than firing one batch of timers takes (got {o.Sla.LeaseSeconds})");
        foreach (var (name, calendar) in o.Calendars)
        {
            if (!Activities.Policies.PolicyReader.IsValidKey(name) || name.Length > 64)
                problems.Add($"awe.calendars: '{name}' is not a usable calendar name (letters, digits and . _ - :, at most 64)");
            problems.AddRange(Deadlines.Calendars.Build(name, calendar).Problems);
        }
        if (o.Webhook.BackoffSeconds.Count < o.Webhook.MaxAttempts - 1)
            problems.Add($"awe.webhook.backoff_seconds has {o.Webhook.BackoffSeconds.Count} entries but webhook.max_attempts = {o.Webhook.MaxAttempts} needs at least {o.Webhook.MaxAttempts - 1} (one wait before each retry)");
        for (var i = 0; i < o.Webhook.BackoffSeconds.Count; i++)
            if (o.Webhook.BackoffSeconds[i] < 0) problems.Add($"awe.webhook.backoff_seconds[{i}] must be ≥ 0 (got {o.Webhook.BackoffSeconds[i]})");
        if (o.Server.Port is < 1 or > 65535) problems.Add($"awe.server.port must be between 1 and 65535 (got {o.Server.Port})");
        if (o.Server.ManagementPort is < 0 or > 65535) problems.Add($"awe.server.management_port must be between 0 and 65535, 0 meaning on the API port (got {o.Server.ManagementPort})");
        else if (o.Server.ManagementPort == o.Server.Port) problems.Add($"awe.server.management_port must differ from awe.server.port ({o.Server.Port}), or be 0 to serve /metrics on the API port");
        for (var i = 0; i < o.Server.TrustedProxies.Count; i++)
            if (!System.Net.IPNetwork.TryParse(o.Server.TrustedProxies[i], out _))
                problems.Add($"awe.server.trusted_proxies[{i}] must be a network in CIDR notation such as 10.0.0.0/8 (got '{o.Server.TrustedProxies[i]}')");
        if (Operations.MasterKeyEncryption.Problem(o.DataProtection.MasterKey) is { } masterKeyProblem) problems.Add(masterKeyProblem);
        Positive(o.Retention.CheckIntervalSeconds, "retention.check_interval_seconds");
        foreach (var (days, key) in new[] { (o.Retention.DeliveredWebhookDays, "delivered_webhook_days"), (o.Retention.IdempotencyKeyDays, "idempotency_key_days"),
                     (o.Retention.FinishedTimerDays, "finished_timer_days"),
                     (o.Retention.RequestDays, "request_days"), (o.Retention.AuditDays, "audit_days") })
            if (days < 0) problems.Add($"awe.retention.{key} must be ≥ 0, 0 meaning kept for ever (got {days})");
        if (o.RateLimit.PermitLimit < 1) problems.Add($"awe.rate_limit.permit_limit must be ≥ 1 (got {o.RateLimit.PermitLimit})");
        if (o.RateLimit.WindowSeconds is < 1 or > 3600) problems.Add($"awe.rate_limit.window_seconds must be between 1 and 3600 (got {o.RateLimit.WindowSeconds})");
        if (!string.IsNullOrWhiteSpace(o.Telemetry.OtlpEndpoint) && !IsHttpUrl(o.Telemetry.OtlpEndpoint))
            problems.Add($"awe.telemetry.otlp_endpoint must be an absolute http(s) URL such as http://otel-collector:4317, or empty (got '{o.Telemetry.OtlpEndpoint}')");
        if (o.Telemetry.OtlpProtocol is not ("grpc" or "http")) problems.Add($"awe.telemetry.otlp_protocol must be grpc or http (got '{o.Telemetry.OtlpProtocol}')");
        if (string.IsNullOrWhiteSpace(o.Telemetry.ServiceName)) problems.Add("awe.telemetry.service_name must not be empty (it names AWE in the trace backend)");
        if (o.Telemetry.SampleRatio is < 0 or > 1 || double.IsNaN(o.Telemetry.SampleRatio))
            problems.Add($"awe.telemetry.sample_ratio must be between 0 and 1 (got {o.Telemetry.SampleRatio})");
        Positive(o.Telemetry.GaugeRefreshSeconds, "telemetry.gauge_refresh_seconds");
        if (o.Logging.Format is not ("text" or "json")) problems.Add($"awe.logging.format must be text or json (got '{o.Logging.Format}')");
        if (o.Server.MaxBodyBytes < 1024) problems.Add($"awe.server.max_body_bytes must be ≥ 1024 (got {o.Server.MaxBodyBytes})");
        // Below a few KiB ordinary tokens would not fit; Kestrel's own limit is set above this one (see Program).
        if (o.Server.MaxHeaderBytes is < 4096 or > 1024 * 1024)
            problems.Add($"awe.server.max_header_bytes must be between 4096 and 1048576 (got {o.Server.MaxHeaderBytes})");
        Positive(o.Limits.MaxApproversPerStage, "limits.max_approvers_per_stage");
        Positive(o.Limits.MaxTasksPerRequest, "limits.max_tasks_per_request");
        if (o.Limits.MaxTasksPerRequest < o.Limits.MaxApproversPerStage)
            problems.Add($"awe.limits.max_tasks_per_request ({o.Limits.MaxTasksPerRequest}) must be ≥ awe.limits.max_approvers_per_stage ({o.Limits.MaxApproversPerStage}): a stage at its limit must fit in a request");
        if (o.Limits.MaxContextBytes < 2) problems.Add($"awe.limits.max_context_bytes must be ≥ 2, the size of {{}} (got {o.Limits.MaxContextBytes})");
        if (o.Notifier.SmtpPort is < 1 or > 65535) problems.Add($"awe.notifier.smtp_port must be between 1 and 65535 (got {o.Notifier.SmtpPort})");
        if (o.Notifier.Enabled && string.IsNullOrWhiteSpace(o.Notifier.SmtpHost)) problems.Add("awe.notifier.smtp_host is required when awe.notifier.enabled is true");
        if (!o.Notifier.FromAddress.Contains('@') || !MimeKit.MailboxAddress.TryParse(o.Notifier.FromAddress, out _))
            problems.Add($"awe.notifier.from_address must be an e-mail address such as no-reply@example.org (got '{o.Notifier.FromAddress}')");
        if (!string.IsNullOrWhiteSpace(o.Notifier.InboxUrl)
            && (!Uri.TryCreate(o.Notifier.InboxUrl.Trim(), UriKind.Absolute, out var inbox) || inbox.Scheme is not ("http" or "https")))
            problems.Add($"awe.notifier.inbox_url must be an absolute http(s) URL such as https://awe.example.org/inbox (got '{o.Notifier.InboxUrl}')");
        Positive(o.Notifier.PollIntervalSeconds, "notifier.poll_interval_seconds");
        Positive(o.Notifier.BatchSize, "notifier.batch_size");
        Positive(o.Notifier.TimeoutSeconds, "notifier.timeout_seconds");
        Positive(o.Notifier.MaxAttempts, "notifier.max_attempts");
        Positive(o.Notifier.AddressCacheSeconds, "notifier.address_cache_seconds");
        if (o.Notifier.LeaseSeconds <= o.Notifier.TimeoutSeconds * 2)
            problems.Add($"awe.notifier.lease_seconds ({o.Notifier.LeaseSeconds}) must exceed twice awe.notifier.timeout_seconds ({o.Notifier.TimeoutSeconds}): a claim must outlive connecting and sending");
        if (o.Notifier.BackoffSeconds.Count == 0)
            problems.Add("awe.notifier.backoff_seconds must list at least one wait (seconds before retrying a mail that could not be sent)");
        for (var i = 0; i < o.Notifier.BackoffSeconds.Count; i++)
            if (o.Notifier.BackoffSeconds[i] < 1) problems.Add($"awe.notifier.backoff_seconds[{i}] must be ≥ 1 (got {o.Notifier.BackoffSeconds[i]})");
        problems.AddRange(Notifications.MailTemplates.Problems(o.Notifier.Templates));
        if (o.Keycloak.ClockSkewSeconds is < 0 or > 3600) problems.Add($"awe.keycloak.clock_skew_seconds must be between 0 and 3600 (got {o.Keycloak.ClockSkewSeconds})");
        if (o.Keycloak.JwksRefreshMinSeconds < 0) problems.Add($"awe.keycloak.jwks_refresh_min_seconds must be ≥ 0 (got {o.Keycloak.JwksRefreshMinSeconds})");
        // http(s) only: on Linux "/realms/staff" (a chart rendered with an empty keycloakBaseUrl) parses as a file URI.
        if (!o.Keycloak.DevMode && !IsHttpUrl(o.Keycloak.Issuer))
            problems.Add($"awe.keycloak.issuer must be an absolute http(s) URL such as https://keycloak.example.org/realms/staff (got '{o.Keycloak.Issuer}')");
        if (!string.IsNullOrWhiteSpace(o.Keycloak.JwksUrl) && !IsHttpUrl(o.Keycloak.JwksUrl))
            problems.Add($"awe.keycloak.jwks_url must be an absolute http(s) URL (got '{o.Keycloak.JwksUrl}')");
        if (o.Studio.Serve && (!Uri.TryCreate(o.Studio.Url, UriKind.Absolute, out var studioUrl) || studioUrl.Scheme is not ("http" or "https")))
            problems.Add($"awe.studio.url must be an absolute http(s) URL such as http://localhost:8080 (got '{o.Studio.Url}')");
        if (o.Keycloak.DevMode && environmentName == "Production" && !o.Keycloak.AllowDevMode)
            problems.Add("awe.keycloak.issuer is empty (dev mode: unsigned tokens accepted) while ASPNETCORE_ENVIRONMENT=Production; set the issuer, or set awe.keycloak.allow_dev_mode: true if you really mean it");
        return problems;
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host);
}
