using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Webhooks;

/// <summary>
/// Delivery through the real dispatcher to a real HTTP receiver on loopback: the body, retries with backoff,
/// exhaustion, manual and bulk retry, timeouts. Dispatcher settings: <see cref="WebhookFixture.FastDispatcher"/>.
/// </summary>
public sealed class WebhookDeliveryTests(WebhookFixture fx) : IClassFixture<WebhookFixture>
{
    private static readonly string[] EnvelopeFields = ["request_id", "artifact_type", "artifact_id", "status", "stage_order"];

    [Fact]
    public async Task Every_event_is_posted_once_in_order_with_the_reference_fields_and_its_data()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(fx.Admin, "body");
        var service = NewService("nosecret");
        var url = receiver.Url("/hooks/body?tenant=7");
        var created = await RequestAsync(fx.App.ClientFor(Tokens.Service(service)), key, url, artifactId: "art-body-1");
        var id = Id(created);
        await ApproveAsync(fx.As(Approver), created);

        var deliveries = await WaitForDeliveriesAsync(fx.Admin, id, 5, d => Is(d, "delivered"), "every event delivered");
        var events = await EventsAsync(fx.Admin, id);
        Assert.Equal(["request_created", "stage_started", "task_decided", "stage_completed", "request_approved"],
            events.Select(e => (string)e["event_type"]!));
        var received = receiver.Received;
        Assert.Equal(events.Select(e => (string)e["id"]!), received.Select(r => r.EventId)); // once each, in journal order

        foreach (var (e, r) in events.Zip(received))
        {
            Assert.Equal("/hooks/body", r.Path);
            Assert.Equal("application/json", r.Header("Content-Type"));
            var body = r.Json;
            var payload = e["payload"]!.AsObject();
            Assert.Equal(
                ["event_id", "event_type", "request_id", "artifact_type", "artifact_id", "status", "stage_order", "actor", "occurred_at", "seq", "data"],
                body.Select(p => p.Key));
            Assert.Equal((string)e["id"]!, (string)body["event_id"]!);
            Assert.Equal((string)e["event_type"]!, (string)body["event_type"]!);
            Assert.Equal(id, (string)body["request_id"]!);
            Assert.Equal("test.artifact", (string)body["artifact_type"]!);
            Assert.Equal("art-body-1", (string)body["artifact_id"]!);
            Assert.Equal((string)payload["status"]!, (string)body["status"]!);
            Assert.True(JsonNode.DeepEquals(payload["stage_order"], body["stage_order"]));
            Assert.True(JsonNode.DeepEquals(payload["actor"], body["actor"]));
            Assert.Equal((int)e["seq"]!, (int)body["seq"]!);
            Assert.Equal(((DateTime)e["created_at"]!).ToUniversalTime(), DateTime.Parse((string)body["occurred_at"]!).ToUniversalTime(),
                TimeSpan.FromMilliseconds(1));
            // data = the event's own details (everything but the envelope fields), so callers need no second call.
            var expectedData = (JsonObject)payload.DeepClone();
            foreach (var f in EnvelopeFields) expectedData.Remove(f);
            Assert.True(JsonNode.DeepEquals(expectedData, body["data"]), $"{body["data"]} vs {expectedData}");

            Assert.Equal(r.EventId, r.Header("webhook-id"));
            var ts = long.Parse(r.Header("X-Approval-Timestamp")!);
            Assert.InRange(ts, r.ArrivedAt.ToUnixTimeSeconds() - 5, r.ArrivedAt.ToUnixTimeSeconds() + 1);
            Assert.Equal(r.Header("X-Approval-Timestamp"), r.Header("webhook-timestamp"));
            // The caller service has no secret: sent unsigned, as the reference does.
            Assert.Null(r.Header("X-Approval-Signature"));
            Assert.Null(r.Header("webhook-signature"));
        }
        var decided = received[2].Json["data"]!;
        Assert.Equal(Approver, (string)decided["assignee"]!);
        Assert.Equal("approve", (string)decided["action"]!);
        Assert.Equal((string)created["tasks"]![0]!["id"]!, (string)decided["task_id"]!);
        Assert.Equal(Approver, (string)received[1].Json["data"]!["approvers"]![0]!);

        foreach (var d in deliveries)
        {
            Assert.Equal(1, (int)d["attempt"]!);
            Assert.Equal(200, (int)d["last_status_code"]!);
            Assert.Null(d["last_error"]);
            Assert.Equal(url, (string)d["url"]!);
            Assert.Contains("unsigned", (string)d["warning"]!);
            Assert.Contains(service, (string)d["warning"]!);
        }
    }

    [Fact]
    public async Task An_endpoint_that_fails_twice_gets_the_same_bytes_again_after_the_backoff_and_the_delivery_ends_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.FailFirst(2));
        var key = await PolicyAsync(fx.Admin, "retry");
        var created = await RequestAsync(fx.App.ClientFor(Tokens.Service(NewService("retry"))), key, receiver.Url());
        var id = Id(created);

        var deliveries = await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "delivered"), "both delivered after retries");
        foreach (var d in deliveries)
        {
            Assert.Equal(3, (int)d["attempt"]!);
            Assert.Equal(200, (int)d["last_status_code"]!);
            Assert.Null(d["last_error"]);
        }
        var first = receiver.Received.Where(r => r.EventId == (string)deliveries[0]["event_id"]!).ToList();
        Assert.Equal([500, 500, 200], first.Select(r => r.StatusCode ?? 0));
        Assert.All(first, r => Assert.Equal(first[0].Body, r.Body)); // byte-identical body on every attempt
        // backoff_seconds[1] = 1: the third attempt waits at least a second after the second.
        Assert.True(first[2].ArrivedAt - first[1].ArrivedAt >= TimeSpan.FromSeconds(0.9),
            $"third attempt came {(first[2].ArrivedAt - first[1].ArrivedAt).TotalMilliseconds} ms after the second");
    }

    [Fact]
    public async Task An_endpoint_that_always_fails_exhausts_the_delivery_then_a_manual_retry_delivers_it_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Status(500));
        var key = await PolicyAsync(fx.Admin, "exhaust");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(NewService("exhaust"))), key, receiver.Url()));

        var deliveries = await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "exhausted"), "both exhausted");
        foreach (var d in deliveries)
        {
            Assert.Equal(3, (int)d["attempt"]!); // max_attempts
            Assert.Equal(500, (int)d["last_status_code"]!);
            Assert.Equal("HTTP 500: scripted failure 500", (string)d["last_error"]!);
            Assert.NotNull(d["last_attempt_at"]);
        }
        var firstId = (string)deliveries[0]["id"]!;
        var firstEvent = (string)deliveries[0]["event_id"]!;
        Assert.Equal(3, receiver.Received.Count(r => r.EventId == firstEvent));
        Assert.Equal(3, receiver.Received.Count(r => r.EventId == (string)deliveries[1]["event_id"]!));
        Assert.Equal(6, receiver.Received.Count);

        receiver.Behavior = Respond.Ok;
        var reset = (await fx.Admin.PostJson($"/v1/awe/admin/deliveries/{firstId}/retry")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("pending", (string)reset["status"]!);
        Assert.Equal(0, (int)reset["attempt"]!);
        Assert.Null(reset["last_error"]);
        Assert.Null(reset["last_status_code"]);

        var after = await Wait.UntilAsync(() => DeliveriesAsync(fx.Admin, id), l => Is(l[0], "delivered"), "manual retry delivered");
        Assert.Equal(1, (int)after[0]["attempt"]!);
        Assert.Equal(200, (int)after[0]["last_status_code"]!);
        Assert.Equal("exhausted", (string)after[1]["status"]!); // only the one asked for
        var sent = receiver.Received.Where(r => r.EventId == firstEvent).ToList();
        Assert.Equal(4, sent.Count);
        Assert.Equal(200, sent[3].StatusCode);

        var again = (await fx.Admin.PostJson($"/v1/awe/admin/deliveries/{firstId}/retry")).Expect(HttpStatusCode.Conflict);
        Assert.Equal("AWE-007", again.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Admin.PostJson("/v1/awe/admin/deliveries/no-such-delivery/retry")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await fx.Viewer.PostJson($"/v1/awe/admin/deliveries/{(string)deliveries[1]["id"]!}/retry")).Status);

        var audit = (await fx.Admin.GetJson($"/v1/awe/admin/audit?action=delivery.retry&resource_id={firstId}")).Expect(HttpStatusCode.OK).Json.AsArray();
        var entry = Assert.Single(audit)!;
        Assert.Equal("admin-sub", (string)entry["actor"]!);
    }

    [Fact]
    public async Task Bulk_retry_resends_the_exhausted_deliveries_matching_its_filter_and_nothing_else()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Status(503));
        var key = await PolicyAsync(fx.Admin, "bulk");
        var caller = fx.App.ClientFor(Tokens.Service(NewService("bulk")));
        var a = Id(await RequestAsync(caller, key, receiver.Url("/a")));
        var b = Id(await RequestAsync(caller, key, receiver.Url("/b")));
        var aRows = await WaitForDeliveriesAsync(fx.Admin, a, 2, d => Is(d, "exhausted"), "a exhausted");
        await WaitForDeliveriesAsync(fx.Admin, b, 2, d => Is(d, "exhausted"), "b exhausted");
        receiver.Behavior = Respond.Ok;

        var retried = (await fx.Admin.PostJson("/v1/awe/admin/deliveries/retry", new JsonObject { ["request_id"] = a }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal(2, (int)retried["retried"]!);
        Assert.Equal(aRows.Select(d => (string)d["id"]!).Order(), retried["delivery_ids"]!.AsArray().Select(x => (string)x!).Order());
        await WaitForDeliveriesAsync(fx.Admin, a, 2, d => Is(d, "delivered"), "a delivered after bulk retry");
        Assert.All(await DeliveriesAsync(fx.Admin, b), d => Assert.Equal("exhausted", (string)d["status"]!));

        // Filters combine; delivered rows are never picked again.
        var one = (await fx.Admin.PostJson("/v1/awe/admin/deliveries/retry", new JsonObject { ["request_id"] = b, ["event_type"] = "request_created" }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal(1, (int)one["retried"]!);
        var bRows = await Wait.UntilAsync(() => DeliveriesAsync(fx.Admin, b), l => Is(l[0], "delivered"), "b's request_created delivered");
        Assert.Equal("exhausted", (string)bRows[1]["status"]!);
        var none = (await fx.Admin.PostJson("/v1/awe/admin/deliveries/retry", new JsonObject { ["request_id"] = a })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(0, (int)none["retried"]!);

        Assert.Equal(["/a", "/a"], receiver.Received.Where(r => r.Succeeded).Take(2).Select(r => r.Path));
        Assert.Equal(3, receiver.Received.Count(r => r.Succeeded));
        Assert.Single(await DeliveriesAsync(fx.Admin, b), d => Is(d, "exhausted"));
        var bad = await fx.Admin.PostJson("/v1/awe/admin/deliveries/retry", new JsonObject { ["status"] = "delivered" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.Status);
    }

    [Fact]
    public async Task An_endpoint_slower_than_the_timeout_is_cut_off_and_the_attempt_recorded_as_a_timeout()
    {
        // timeout_seconds is 2; the receiver would answer after 5 s.
        await using var receiver = await WebhookReceiver.StartAsync(Respond.After(TimeSpan.FromSeconds(5)));
        var key = await PolicyAsync(fx.Admin, "timeout");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(NewService("timeout"))), key, receiver.Url()));

        var rows = await Wait.UntilAsync(() => DeliveriesAsync(fx.Admin, id),
            l => l.Count == 2 && (int)l[0]["attempt"]! >= 1, "first attempt recorded");
        var first = rows[0];
        Assert.StartsWith("timeout", (string)first["last_error"]!);
        Assert.Null(first["last_status_code"]);
        Assert.NotEqual("delivered", (string)first["status"]!);
        Assert.Equal("pending", (string)rows[1]["status"]!); // and the next event waits behind it
        Assert.Equal(0, (int)rows[1]["attempt"]!);

        var hit = await receiver.WaitForAsync(l => l.Count > 0 && !l[0].InFlight, "first post finished");
        Assert.True(hit[0].Aborted, "the dispatcher should hang up before the slow answer");
        var held = Stopwatch.GetElapsedTime(hit[0].ArrivedTicks, hit[0].FinishedTicks!.Value);
        // Hung up well before the 5 s answer, and not at once: the receiver notes the arrival only when its handler
        // runs, which on a loaded machine can be most of a second after the dispatcher's 2 s timer started.
        Assert.InRange(held, TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(4.9));

        receiver.Behavior = Respond.Ok;
        var end = await WaitForDeliveriesAsync(fx.Admin, id, 2, d => !Is(d, "pending"), "both settled");
        Assert.Equal("delivered", (string)end[1]["status"]!);
    }

    [Fact]
    public async Task A_redirect_is_a_failed_attempt_and_is_not_followed()
    {
        await using var target = await WebhookReceiver.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Status(307));
        receiver.RedirectTo = target.Url("/elsewhere");
        var key = await PolicyAsync(fx.Admin, "redirect");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(NewService("redirect"))), key, receiver.Url()));

        var rows = await Wait.UntilAsync(() => DeliveriesAsync(fx.Admin, id), l => l.Count == 2 && Is(l[0], "exhausted"), "first exhausted");
        Assert.Equal(307, (int)rows[0]["last_status_code"]!);
        Assert.StartsWith("HTTP 307", (string)rows[0]["last_error"]!);
        Assert.Empty(target.Received);
    }

    [Fact]
    public async Task A_delivery_on_the_wire_cannot_be_retried_so_it_is_never_sent_twice_at_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Hang); // held until the 2 s timeout
        var key = await PolicyAsync(fx.Admin, "inflight");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(NewService("inflight"))), key, receiver.Url()));
        await receiver.WaitForAsync(l => l.Count == 1 && l[0].InFlight, "the first delivery on the wire");
        var deliveryId = (string)(await DeliveriesAsync(fx.Admin, id))[0]["id"]!;

        var refused = await fx.Admin.PostJson($"/v1/awe/admin/deliveries/{deliveryId}/retry");
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("AWE-007", refused.ErrorCode);
        Assert.Contains("being sent", (string)refused.Json["errors"]![0]!["message"]!);

        receiver.Behavior = Respond.Ok;
        await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "delivered"), "delivered after the timeout and a retry");
        var sends = receiver.Received.Where(r => r.EventId == receiver.Received[0].EventId).OrderBy(r => r.ArrivedTicks).ToList();
        for (var i = 1; i < sends.Count; i++)
            Assert.True(sends[i].ArrivedTicks > sends[i - 1].FinishedTicks, "the same delivery was on the wire twice at once");
    }

    [Fact]
    public async Task The_delivery_list_filters_by_status_request_and_event_type_and_pages()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(fx.Admin, "list");
        var created = await RequestAsync(fx.App.ClientFor(Tokens.Service(NewService("list"))), key, receiver.Url());
        var id = Id(created);
        await ApproveAsync(fx.As(Approver), created);
        await WaitForDeliveriesAsync(fx.Admin, id, 5, d => Is(d, "delivered"), "delivered");

        async Task<List<JsonNode>> List(string query) =>
            (await fx.Viewer.GetJson($"/v1/awe/admin/deliveries?request_id={id}&{query}")).Expect(HttpStatusCode.OK).Json.AsArray().Select(d => d!).ToList();
        Assert.Equal(5, (await List("status=delivered")).Count);
        Assert.Empty(await List("status=exhausted"));
        Assert.Equal("task_decided", (string)(await List("event_type=task_decided")).Single()["event_type"]!);
        var page1 = await List("limit=2");
        var page2 = await List("limit=2&offset=2");
        var page3 = await List("limit=2&offset=4");
        Assert.Equal(5, page1.Concat(page2).Concat(page3).Select(d => (string)d["id"]!).Distinct().Count());
        Assert.Equal([5, 4], page1.Select(d => (int)d["seq"]!)); // newest first
        Assert.Empty(await List($"since={Uri.EscapeDataString(DateTime.UtcNow.AddMinutes(1).ToString("O"))}"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await fx.Viewer.GetJson("/v1/awe/admin/deliveries?status=failed")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.CreateClient().GetJson("/v1/awe/admin/deliveries")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await fx.App.ClientFor(Tokens.Service("svc-nobody")).GetJson("/v1/awe/admin/deliveries")).Status);
    }
}
