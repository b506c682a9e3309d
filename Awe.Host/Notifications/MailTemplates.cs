using System.Text.Encodings.Web;
using Awe.Activities.Notifications;
using Awe.Host.Configuration;
using Fluid;

namespace Awe.Host.Notifications;

/// <summary>
/// Subjects and bodies of the notification e-mails: Liquid templates (Fluid) per notification kind, plain text
/// and HTML, each replaceable in awe.notifier.templates.{kind}.{subject|text|html}. Variables: recipient,
/// request.{id, artifact_type, artifact_id, policy_key, status}, stage_order, stage_name, task_id, due_at,
/// reason, inbox_url.
/// </summary>
public sealed class MailTemplates
{
    private static readonly FluidParser Parser = new();

    private const string Link = "{% if inbox_url != blank %}\n\nYour inbox: {{ inbox_url }}{% endif %}";
    private const string HtmlLink = "{% if inbox_url != blank %}<p><a href=\"{{ inbox_url }}\">Open your inbox</a></p>{% endif %}";
    private const string Due = "{% if due_at != blank %} Please decide by {{ due_at }} (UTC).{% endif %}";
    private const string What = "{{ request.artifact_type }} {{ request.artifact_id }}";

    /// <summary>Built-in (subject, one-paragraph message); the text and HTML bodies wrap the message.</summary>
    private static readonly Dictionary<string, (string Subject, string Message)> Defaults = new()
    {
        [NotificationKind.TaskAssigned] = ($"Approval needed: {What}",
            $"You are asked to approve {What} (policy {{{{ request.policy_key }}}}), stage {{{{ stage_order }}}} \"{{{{ stage_name }}}}\".{Due}"),
        [NotificationKind.ForInformation] = ($"For information: {What}",
            $"For your information: {What} (policy {{{{ request.policy_key }}}}) is in review at stage {{{{ stage_order }}}} \"{{{{ stage_name }}}}\". No decision is needed from you."),
        [NotificationKind.Reminder] = ($"Reminder: approval still needed for {What}",
            $"Your decision on {What}, stage {{{{ stage_order }}}} \"{{{{ stage_name }}}}\", is still open.{Due}"),
        [NotificationKind.TaskReassigned] = ($"Approval task reassigned to you: {What}",
            $"A task on {What}, stage {{{{ stage_order }}}} \"{{{{ stage_name }}}}\", has been reassigned to you.{Due}"),
        [NotificationKind.Escalated] = ($"Escalated to you: {What}",
            $"The approval of {What}, stage {{{{ stage_order }}}} \"{{{{ stage_name }}}}\", passed its deadline and was escalated to you.{Due}"),
        [NotificationKind.TaskExpired] = ($"Your approval task expired: {What}",
            $"Your task on {What}, stage {{{{ stage_order }}}} \"{{{{ stage_name }}}}\", passed its deadline ({{{{ due_at }}}} UTC) without a decision and has expired."),
        [NotificationKind.RequestOutcome] = ($"{What}: {{{{ request.status }}}}",
            $"Your request for {What} (policy {{{{ request.policy_key }}}}) ended: {{{{ request.status }}}}{{% if reason != blank %}} ({{{{ reason }}}}){{% endif %}}."),
    };

    private readonly Dictionary<string, (IFluidTemplate Subject, IFluidTemplate Text, IFluidTemplate Html)> _templates = new();

    public MailTemplates(Microsoft.Extensions.Options.IOptions<AweOptions> options)
    {
        foreach (var kind in NotificationKind.All)
        {
            var (subject, text, html) = Sources(kind, options.Value.Notifier.Templates.GetValueOrDefault(kind));
            _templates[kind] = (Parse(subject), Parse(text), Parse(html));
        }
    }

    public (string Subject, string Text, string Html) Render(string kind, IReadOnlyDictionary<string, object?> model)
    {
        var (subject, text, html) = _templates[kind];
        var context = new TemplateContext();
        foreach (var (name, value) in model) context.SetValue(name, value);
        // Subjects are one line: a value with a line break must not add headers.
        var subjectLine = subject.Render(context, NullEncoder.Default).ReplaceLineEndings(" ").Trim();
        return (subjectLine, text.Render(context, NullEncoder.Default), html.Render(context, HtmlEncoder.Default));
    }

    /// <summary>Problems of the configured templates (unknown kinds, Liquid that does not parse), for start-up validation.</summary>
    public static IEnumerable<string> Problems(IReadOnlyDictionary<string, MailTemplateOptions> configured)
    {
        foreach (var (kind, template) in configured)
        {
            if (!NotificationKind.All.Contains(kind))
            {
                yield return $"awe.notifier.templates.{kind}: unknown notification kind; known: {string.Join(", ", NotificationKind.All)}";
                continue;
            }
            foreach (var (part, source) in new[] { ("subject", template.Subject), ("text", template.Text), ("html", template.Html) })
                if (source is not null && !Parser.TryParse(source, out _, out var error))
                    yield return $"awe.notifier.templates.{kind}.{part} is not a valid Liquid template: {error}";
        }
    }

    private static (string Subject, string Text, string Html) Sources(string kind, MailTemplateOptions? configured)
    {
        var (subject, message) = Defaults[kind];
        return (configured?.Subject ?? subject,
            configured?.Text ?? $"Hello {{{{ recipient }}}},\n\n{message}{Link}\n\n-- AWE approvals",
            configured?.Html ?? $"<p>Hello {{{{ recipient }}}},</p><p>{message}</p>{HtmlLink}<p style=\"color:#666\">AWE approvals</p>");
    }

    private static IFluidTemplate Parse(string source) =>
        Parser.TryParse(source, out var template, out var error) ? template : throw new InvalidOperationException($"mail template does not parse: {error}");
}
