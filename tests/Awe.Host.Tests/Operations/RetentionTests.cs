using System.Net;
using Awe.Host.Tests.Infrastructure;
using Npgsql;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Operations;

/// <summary>
/// The retention purge on a real host and database: rows are aged by moving their timestamps back, then the purge
/// (once a second here) deletes exactly what is past its window.
/// </summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private AweApp App(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["awe:retention:check_interval_seconds"] = "1",
            ["awe:outbound:allow_private_networks"] = "true",
            ["awe:webhook:poll_interval_seconds"] = "1",
        };
        foreach (var (k, v) in settings) all[k] = v;
        return new AweApp(_db.ConnectionString, all);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task ExecAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>An approved request whose events were all delivered to <paramref name="receiver"/>.</summary>
    private static async Task<string> ApprovedAndDeliveredAsync(AweApp app, string key, WebhookReceiver receiver, string? idempotencyKey = null)
    {
        var caller = app.ClientFor(Tokens.Service(NewService("retention")));
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = $"a-{Guid.NewGuid():N}",
            ["context"] = new System.Text.Json.Nodes.JsonObject(), ["callback_url"] = receiver.Url(),
        };
        var headers = idempotencyKey is null ? null : new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey };
        var created = (await caller.PostJson("/v1/awe/requests", body, headers)).Expect(HttpStatusCode.Created).Json;
        await ApproveAsync(app.ClientFor(Tokens.User(Approver)), created);
        await WaitForDeliveriesAsync(app.ClientFor(Tokens.Admin), Id(created), 5, d => Is(d, "delivered"), "all five events delivered");
        return Id(created);
    }

    [Fact]
    public async Task Windows_purge_what_is_past_them_and_nothing_else()
    {
        await using var app = App(("awe:retention:request_days", "10"), ("awe:retention:audit_days", "10"));
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(app.ClientFor(Tokens.Admin), "retention");
        var old = await ApprovedAndDeliveredAsync(app, key, receiver);
        var recent = await ApprovedAndDeliveredAsync(app, key, receiver, idempotencyKey: "idem-recent");
        var open = Id(await RequestAsync(app.ClientFor(Tokens.Service(NewService("open"))), key, receiver.Url()));
        await ApprovedAndDeliveredAsync(app, key, receiver, idempotencyKey: "idem-old");

        await ExecAsync($"""
            UPDATE approval_request SET completed_at = now() - interval '11 days' WHERE id = '{old}';
            UPDATE approval_request SET completed_at = now() - interval '9 days' WHERE id = '{recent}';
            UPDATE approval_request SET created_at = now() - interval '400 days' WHERE id = '{open}';
            UPDATE webhook_delivery SET updated_at = now() - interval '31 days' WHERE request_id = '{recent}';
            UPDATE idempotency_key SET created_at = now() - interval '31 days' WHERE key = 'idem-old';
            UPDATE idempotency_key SET created_at = now() - interval '29 days' WHERE key = 'idem-recent';
            UPDATE audit_action SET occurred_at = now() - interval '11 days';
            INSERT INTO audit_action (id, occurred_at, actor, action, resource_type, resource_id)
              VALUES ('{Guid.NewGuid()}', now(), 'someone', 'policy.create', 'policy', 'kept');
            """);

        await Wait.UntilAsync(() => CountAsync($"SELECT count(*) FROM approval_request WHERE id = '{old}'"), n => n == 0,
            "the request finished 11 days ago purged");
        await Wait.UntilAsync(() => CountAsync("SELECT count(*) FROM audit_action"), n => n == 1, "old audit entries purged");

        foreach (var table in new[] { "approval_event", "approval_task", "approval_decision", "webhook_delivery" })
            Assert.Equal(0, await CountAsync($"SELECT count(*) FROM {table} WHERE request_id = '{old}'"));
        // Inside its window, or not finished: kept, with its journal.
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM approval_request WHERE id = '{recent}'"));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM approval_request WHERE id = '{open}'"));
        Assert.Equal(5, await CountAsync($"SELECT count(*) FROM approval_event WHERE request_id = '{recent}'"));
        // Delivered rows past 30 days go even though their request stays.
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM webhook_delivery WHERE request_id = '{recent}'"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM idempotency_key WHERE key = 'idem-old'"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM idempotency_key WHERE key = 'idem-recent'"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM audit_action WHERE resource_id = 'kept'"));
    }

    [Fact]
    public async Task Fired_and_cancelled_timers_go_after_their_window_pending_and_failed_ones_stay()
    {
        await using var app = App(("awe:retention:finished_timer_days", "7"));
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(app.ClientFor(Tokens.Admin), "timers");
        var id = Id(await RequestAsync(app.ClientFor(Tokens.Service(NewService("timers"))), key, receiver.Url()));
        string Timer(string name, string state, int daysAgo) => $"""
            INSERT INTO approval_timer (id, request_id, node_id, stage_order, kind, due_at, state, attempts, created_at, updated_at)
            VALUES ('{name}', '{id}', 'stage-1', 1, 'sla_breach', now() - interval '{daysAgo + 1} days', '{state}', 0,
                    now() - interval '{daysAgo + 1} days', now() - interval '{daysAgo} days');
            """;
        await ExecAsync(Timer("old-fired", "fired", 8) + Timer("old-cancelled", "cancelled", 30) + Timer("new-fired", "fired", 6)
                        + Timer("new-cancelled", "cancelled", 1) + Timer("old-failed", "failed", 30) + Timer("old-pending", "pending", 30));

        await Wait.UntilAsync(() => CountAsync("SELECT count(*) FROM approval_timer WHERE id IN ('old-fired', 'old-cancelled')"), n => n == 0,
            "fired and cancelled timers older than 7 days purged");
        Assert.Equal(4, await CountAsync("SELECT count(*) FROM approval_timer WHERE id IN ('old-failed', 'old-pending', 'new-fired', 'new-cancelled')"));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM approval_request WHERE id = '{id}'"));
    }

    [Fact]
    public async Task By_default_requests_and_audit_are_kept_for_ever()
    {
        await using var app = App();
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(app.ClientFor(Tokens.Admin), "keep");
        var id = await ApprovedAndDeliveredAsync(app, key, receiver);

        await ExecAsync($"""
            UPDATE approval_request SET completed_at = now() - interval '3650 days' WHERE id = '{id}';
            UPDATE approval_event SET created_at = now() - interval '3650 days' WHERE request_id = '{id}';
            UPDATE audit_action SET occurred_at = now() - interval '3650 days';
            UPDATE webhook_delivery SET updated_at = now() - interval '3650 days' WHERE request_id = '{id}';
            """);

        // The delivered rows going shows that purges ran.
        await Wait.UntilAsync(() => CountAsync($"SELECT count(*) FROM webhook_delivery WHERE request_id = '{id}'"), n => n == 0,
            "the ten-year-old delivered rows purged");
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM approval_request WHERE id = '{id}'"));
        Assert.Equal(5, await CountAsync($"SELECT count(*) FROM approval_event WHERE request_id = '{id}'"));
        Assert.True(await CountAsync("SELECT count(*) FROM audit_action") > 0);
    }
}
