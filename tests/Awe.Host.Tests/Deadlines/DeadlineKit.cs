using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;

namespace Awe.Host.Tests.Deadlines;

/// <summary>A host whose timer scheduler looks at least every second, so deadlines a few seconds ahead act promptly.</summary>
public sealed class DeadlineFixture : PostgresAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => DeadlineKit.FastScheduler;
}

public static class DeadlineKit
{
    public static readonly Dictionary<string, string?> FastScheduler = new()
    {
        ["awe:sla:check_interval_seconds"] = "1",
    };

    /// <summary>A stage with these approvers, a deadline and a breach action.</summary>
    public static JsonObject SlaStage(int order, string mode, int? modeValue, string sla, string? onBreach, params string[] approvers)
    {
        var stage = Infrastructure.Policies.Stage(order, mode, modeValue, approvers.Select(a => Infrastructure.Policies.User(a)).ToArray());
        stage["sla"] = sla;
        if (onBreach is not null) stage["on_breach"] = onBreach;
        return stage;
    }

    /// <summary>Waits until the request reaches a terminal status (approved, rejected, cancelled, expired); returns it.</summary>
    public static Task<JsonNode> EndedAsync(this PostgresAppFixture f, string requestId, int seconds = 30) =>
        Wait.UntilAsync(() => f.RequestAsync(requestId), r => r.Str("status") is "approved" or "rejected" or "cancelled" or "expired",
            $"request {requestId} ends", seconds, r => r.ToJsonString());

    public static Task<JsonNode[]> EventsOfTypeAsync(this PostgresAppFixture f, string requestId, string type) =>
        f.EventsAsync(requestId).ContinueWith(t => t.Result.Where(e => e.Str("event_type") == type).ToArray());

    /// <summary>Timer rows of a request by state, straight from the database.</summary>
    public static Task<long> TimersAsync(this PostgresAppFixture f, string requestId, string state) =>
        f.CountAsync("SELECT count(*) FROM approval_timer WHERE request_id = @r AND state = @s", ("r", requestId), ("s", state));

    public static async Task<Reply> CreateRawAsync(this PostgresAppFixture f, JsonObject body) =>
        await f.Admin.PostJson("/v1/awe/requests", body);

    public static void Created(this Reply reply) => reply.Expect(HttpStatusCode.Created);
}
