using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Requests.Flow;

namespace Awe.Host.Tests.Deadlines;

using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// E-mail notifications end to end: the outbox written with the events, the leased sender, a real SMTP server
/// in-process receiving the mail, an SMTP outage that delays mail without losing or doubling any.
/// </summary>
public sealed class NotificationTests : IAsyncLifetime
{
    private const string Inbox = "https://awe.example.org/inbox";
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private AweApp App(SmtpSink smtp, IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>(DeadlineKit.FastScheduler)
        {
            ["awe:notifier:enabled"] = "true", ["awe:notifier:smtp_host"] = "127.0.0.1", ["awe:notifier:smtp_port"] = smtp.Port.ToString(),
            ["awe:notifier:use_tls"] = "false", ["awe:notifier:inbox_url"] = Inbox, ["awe:notifier:poll_interval_seconds"] = "1",
            ["awe:notifier:timeout_seconds"] = "5", ["awe:notifier:max_attempts"] = "50", ["awe:notifier:from_address"] = "awe@example.org",
        };
        // Every retry after a second (config/default.yaml lists seven waits; each is overridden).
        for (var i = 0; i < 7; i++) settings[$"awe:notifier:backoff_seconds:{i}"] = "1";
        foreach (var (k, v) in more ?? new Dictionary<string, string?>()) settings[k] = v;
        var app = new AweApp(_db.ConnectionString, settings);
        _ = app.Server;
        return app;
    }

    private static string Address(string name) => $"{Unique(name)}@example.org";

    private static async Task<JsonNode[]> NotificationsAsync(HttpClient admin, string requestId) =>
        (await admin.GetJson($"/v1/awe/admin/notifications?request_id={requestId}")).Expect(HttpStatusCode.OK).Json.Items();

    [Fact]
    public async Task Approvers_observers_and_the_requester_each_get_one_mail_with_the_inbox_link()
    {
        await using var smtp = await SmtpSink.CreateAsync();
        await using var app = App(smtp);
        var admin = app.ClientFor(Tokens.Admin);
        var (alice, olga, rita) = (Address("alice"), Address("olga"), Address("rita"));
        var key = await Policies.CreateActiveAsync(admin, Policies.Policy(Unique("pol"),
            Policies.Stage(1, "any-n", 1, Policies.User(alice), Policies.User(olga, kind: "observer"))));
        var created = (await admin.PostJson("/v1/awe/requests", RequestBody(key, requester: rita))).Expect(HttpStatusCode.Created).Json;

        var toAlice = Assert.Single(await Wait.UntilAsync(() => Task.FromResult(smtp.To(alice)), m => m.Count > 0, "alice's mail"));
        Assert.StartsWith("Approval needed: test.artifact ", toAlice.Subject);
        Assert.Contains(Inbox, toAlice.TextBody);
        Assert.Contains($"href=\"{Inbox}\"", toAlice.HtmlBody);
        Assert.Equal("awe@example.org", toAlice.From.Mailboxes.Single().Address);
        var toOlga = Assert.Single(await Wait.UntilAsync(() => Task.FromResult(smtp.To(olga)), m => m.Count > 0, "olga's mail"));
        Assert.StartsWith("For information:", toOlga.Subject);

        (await app.ClientFor(Tokens.User(alice)).PostJson($"/v1/awe/tasks/{created.TaskOf(alice).Str("id")}/decision", Decision("approve")))
            .Expect(HttpStatusCode.Created);
        var toRita = Assert.Single(await Wait.UntilAsync(() => Task.FromResult(smtp.To(rita)), m => m.Count > 0, "the requester's mail"));
        Assert.EndsWith(": approved", toRita.Subject);

        var rows = await NotificationsAsync(admin, created.RequestId());
        Assert.Equal(3, rows.Length);
        Assert.All(rows, n => Assert.Equal("sent", n.Str("status")));
        // The Message-ID is the notification id: a mail re-sent after a crash is recognisably the same one.
        Assert.Equal(rows.Select(n => $"{n.Str("id")}@awe").Order(), smtp.Received.Select(m => m.MessageId).Order());
        Assert.Equal(3, smtp.Received.Count);
    }

    [Fact]
    public async Task Mail_waits_through_an_smtp_outage_and_then_arrives_exactly_once()
    {
        await using var smtp = await SmtpSink.CreateAsync(listen: false); // nothing listens: connection refused
        await using var app = App(smtp);
        var admin = app.ClientFor(Tokens.Admin);
        var people = Enumerable.Range(0, 4).Select(i => Address($"p{i}")).ToArray();
        var key = await Policies.CreateActiveAsync(admin, Policies.Policy(Unique("pol"), Policies.Stage(1, "all", null, people.Select(p => Policies.User(p)).ToArray())));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((await CreateAsync(admin, key)).RequestId());

        // Attempts fail and are rescheduled; nothing is lost.
        foreach (var id in ids)
            await Wait.UntilAsync(() => NotificationsAsync(admin, id), n => n.Length == 4 && n.All(x => (int?)x["attempt"] >= 2), "failed attempts recorded",
                describe: n => string.Join("\n", n.Select(x => x.ToJsonString())));
        var failed = (await NotificationsAsync(admin, ids[0]))[0];
        Assert.Equal("pending", failed.Str("status"));
        Assert.Contains("unavailable", failed.Str("last_error"));

        await smtp.StartAsync();
        foreach (var id in ids)
            await Wait.UntilAsync(() => NotificationsAsync(admin, id), n => n.All(x => x.Str("status") == "sent"), "all sent after the outage");
        Assert.Equal(12, smtp.Received.Count);
        Assert.All(people, p => Assert.Equal(3, smtp.To(p).Count));
        Assert.Equal(12, smtp.Received.Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task A_recipient_without_an_address_is_skipped_with_the_reason_and_an_operator_can_retry()
    {
        await using var smtp = await SmtpSink.CreateAsync();
        await using var app = App(smtp);
        var admin = app.ClientFor(Tokens.Admin);
        var nobody = Unique("u-nomail");
        var key = await Policies.CreateActiveAsync(admin, Policies.Policy(Unique("pol"), Policies.Stage(1, "any-n", 1, Policies.User(nobody))));
        var id = (await CreateAsync(admin, key)).RequestId();

        var skipped = Assert.Single(await Wait.UntilAsync(() => NotificationsAsync(admin, id), n => n.Length == 1 && n[0].Str("status") == "skipped",
            "skipped", describe: n => string.Join("\n", n.Select(x => x.ToJsonString()))));
        Assert.Contains("is not an e-mail address", skipped.Str("last_error"));
        Assert.Empty(smtp.Received);

        var retried = (await admin.PostJson($"/v1/awe/admin/notifications/{skipped.Str("id")}/retry")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("pending", 0), (retried.Str("status"), (int)retried["attempt"]!));
        var audit = (await admin.GetJson("/v1/awe/admin/audit?action=notification.retry")).Expect(HttpStatusCode.OK).Json;
        Assert.Contains(skipped.Str("id"), audit.ToJsonString());
        (await app.ClientFor(Tokens.Viewer).PostJson($"/v1/awe/admin/notifications/{skipped.Str("id")}/retry")).ExpectError(HttpStatusCode.Forbidden, "AWE-008");
        (await admin.PostJson("/v1/awe/admin/notifications/nope/retry")).ExpectError(HttpStatusCode.NotFound, "AWE-018");
        (await admin.GetJson("/v1/awe/admin/notifications?status=lost")).ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
    }

    [Fact]
    public async Task Deadline_mails_reminder_expiry_and_escalation_reach_the_people_who_must_act()
    {
        await using var smtp = await SmtpSink.CreateAsync();
        await using var app = App(smtp);
        var admin = app.ClientFor(Tokens.Admin);
        var (alice, boss) = (Address("alice"), Address("boss"));
        var stage = DeadlineKit.SlaStage(1, "any-n", 1, "PT2S", "escalate", alice);
        stage["escalation_rules"] = new JsonArray(Policies.User(boss));
        stage["remind_every"] = "PT1S";
        var key = await Policies.CreateActiveAsync(admin, Policies.Policy(Unique("pol"), stage));
        var id = (await CreateAsync(admin, key)).RequestId();

        await Wait.UntilAsync(() => admin.GetJson($"/v1/awe/requests/{id}"), r => r.Json.Str("status") == "rejected", "escalated, then expired", seconds: 40);
        // The requester (the admin's id, not an address) is skipped; everyone else is mailed.
        var rows = await Wait.UntilAsync(() => NotificationsAsync(admin, id), n => n.All(x => x.Str("status") != "pending"), "all handled",
            describe: n => string.Join("\n", n.Select(x => x.ToJsonString())));
        var notSent = Assert.Single(rows, n => n.Str("status") != "sent");
        Assert.Equal(("awe-admin", "request_outcome", "skipped"), (notSent.Str("recipient"), notSent.Str("kind"), notSent.Str("status")));
        var kinds = rows.Where(n => n.Str("status") == "sent").Select(n => (n.Str("recipient"), n.Str("kind"))).ToList();
        Assert.Contains((boss, "escalated"), kinds);
        Assert.Contains((alice, "reminder"), kinds);
        Assert.Contains((alice, "task_expired"), kinds);
        Assert.Contains((boss, "task_expired"), kinds);
        Assert.Contains(smtp.To(boss), m => m.Subject.StartsWith("Escalated to you:"));
        Assert.Contains(smtp.To(alice), m => m.Subject.StartsWith("Your approval task expired:"));
        // One mail per person per event.
        Assert.Equal(kinds.Count, smtp.Received.Count);
    }

    [Fact]
    public async Task The_address_comes_from_keycloak_and_templates_come_from_configuration()
    {
        await using var keycloak = await FakeKeycloak.StartAsync();
        keycloak.AddUser("kc-carol", email: "carol@corp.example");
        await using var smtp = await SmtpSink.CreateAsync();
        var more = new Dictionary<string, string?>(keycloak.ResolverSettings())
        {
            ["awe:notifier:templates:task_assigned:subject"] = "Please look at {{ request.artifact_id }}",
            ["awe:notifier:templates:task_assigned:text"] = "Hi {{ recipient }}: {{ stage_name }}",
        };
        await using var app = App(smtp, more);
        var admin = app.ClientFor(Tokens.Admin);
        var key = await Policies.CreateActiveAsync(admin, Policies.Policy(Unique("pol"), Policies.Stage(1, "any-n", 1, Policies.User("kc-carol"))));
        var created = (await admin.PostJson("/v1/awe/requests", RequestBody(key, artifactId: "doc-42"))).Expect(HttpStatusCode.Created).Json;

        var mail = Assert.Single(await Wait.UntilAsync(() => Task.FromResult(smtp.To("carol@corp.example")), m => m.Count > 0, "carol's mail"));
        Assert.Equal("Please look at doc-42", mail.Subject);
        Assert.Equal("Hi kc-carol: Stage 1", mail.TextBody.Trim());
        Assert.Equal("carol@corp.example", Assert.Single(await NotificationsAsync(admin, created.RequestId())).Str("address"));
    }
}
