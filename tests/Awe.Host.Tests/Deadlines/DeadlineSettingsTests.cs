using Awe.Host.Configuration;

namespace Awe.Host.Tests.Deadlines;

/// <summary>Start-up refuses deadline, calendar and mail settings it could not honour, naming each key.</summary>
public sealed class DeadlineSettingsTests
{
    private static IReadOnlyList<string> Problems(Action<AweOptions> edit)
    {
        var options = new AweOptions { Resolver = { RetryBackoffSeconds = [10] }, Webhook = { BackoffSeconds = [1, 1, 1, 1, 1] }, Notifier = { BackoffSeconds = [30] },
            Sla = { FireBackoffSeconds = [5] } };
        edit(options);
        return ConfigurationSetup.Validate(options, "Development");
    }

    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(Problems(_ => { }));

    [Theory]
    [InlineData("check_interval", "awe.sla.check_interval_seconds must be ≥ 1")]
    [InlineData("parallelism", "awe.sla.fire_parallelism must be between 1 and 64")]
    [InlineData("lease", "awe.sla.lease_seconds must be ≥ 5")]
    [InlineData("escalations", "awe.sla.max_escalations must be ≥ 0")]
    [InlineData("fire_attempts", "awe.sla.fire_max_attempts must be ≥ 1")]
    [InlineData("fire_no_backoff", "awe.sla.fire_backoff_seconds must list at least one wait")]
    [InlineData("fire_backoff", "awe.sla.fire_backoff_seconds[1] must be ≥ 1")]
    [InlineData("inbox", "awe.notifier.inbox_url must be an absolute http(s) URL")]
    [InlineData("from", "awe.notifier.from_address must be an e-mail address")]
    [InlineData("mail_lease", "awe.notifier.lease_seconds (40) must exceed twice awe.notifier.timeout_seconds (30)")]
    [InlineData("no_backoff", "awe.notifier.backoff_seconds must list at least one wait")]
    [InlineData("template_kind", "awe.notifier.templates.task_asigned: unknown notification kind")]
    [InlineData("template_liquid", "awe.notifier.templates.reminder.subject is not a valid Liquid template")]
    [InlineData("calendar_zone", "awe.calendars.office.time_zone 'Europe/Atlantis' is not a time zone")]
    [InlineData("calendar_name", "awe.calendars: 'my office' is not a usable calendar name")]
    public void Bad_settings_are_refused_with_their_key(string what, string expected)
    {
        var problems = Problems(o =>
        {
            switch (what)
            {
                case "check_interval": o.Sla.CheckIntervalSeconds = 0; break;
                case "parallelism": o.Sla.FireParallelism = 0; break;
                case "lease": o.Sla.LeaseSeconds = 2; break;
                case "escalations": o.Sla.MaxEscalations = -1; break;
                case "fire_attempts": o.Sla.FireMaxAttempts = 0; break;
                case "fire_no_backoff": o.Sla.FireBackoffSeconds = []; break;
                case "fire_backoff": o.Sla.FireBackoffSeconds = [5, 0]; break;
                case "inbox": o.Notifier.InboxUrl = "inbox.example.org"; break;
                case "from": o.Notifier.FromAddress = "AWE"; break;
                case "mail_lease": o.Notifier.LeaseSeconds = 40; break;
                case "no_backoff": o.Notifier.BackoffSeconds = []; break;
                case "template_kind": o.Notifier.Templates["task_asigned"] = new MailTemplateOptions { Subject = "x" }; break;
                case "template_liquid": o.Notifier.Templates["reminder"] = new MailTemplateOptions { Subject = "{% if %}" }; break;
                case "calendar_zone": o.Calendars["office"] = new CalendarOptions { TimeZone = "Europe/Atlantis", WorkingDays = ["mon"] }; break;
                case "calendar_name": o.Calendars["my office"] = new CalendarOptions { TimeZone = "UTC", WorkingDays = ["mon"] }; break;
            }
        });
        Assert.Contains(problems, p => p.StartsWith(expected));
    }
}
