using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Webhooks;

/// <summary>
/// Signatures as a caller checks them: recomputed independently (reference scheme) and verified with the
/// off-the-shelf StandardWebhooks package, with secrets issued, rotated and revoked through the admin API.
/// </summary>
public sealed class WebhookSignatureTests(WebhookFixture fx) : IClassFixture<WebhookFixture>
{
    [Fact]
    public async Task Both_schemes_verify_byte_for_byte_with_the_secret_returned_at_creation()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.FailFirst(1));
        var service = NewService("sign");
        var issued = (await fx.Admin.PostJson("/v1/awe/admin/callback-secrets", new JsonObject { ["caller_service"] = service }))
            .Expect(HttpStatusCode.Created).Json;
        var secret = (string)issued["secret"]!;
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.Equal(service, (string)issued["caller_service"]!);
        Assert.Equal("active", (string)issued["status"]!);

        var key = await PolicyAsync(fx.Admin, "sign");
        var created = await RequestAsync(fx.App.ClientFor(Tokens.Service(service)), key, receiver.Url());
        await ApproveAsync(fx.As(Approver), created);
        var deliveries = await WaitForDeliveriesAsync(fx.Admin, Id(created), 5, d => Is(d, "delivered"), "all delivered");
        Assert.All(deliveries, d => Assert.Null(d["warning"]));

        var received = receiver.Received;
        Assert.Equal(10, received.Count); // every event failed once, then succeeded: re-signed per attempt
        foreach (var r in received)
        {
            AssertSignedBy(r, secret);
            // As a caller would: the whole header set and the raw body, through the library.
            Assert.Null(LibraryVerify(secret, r));
            Assert.Equal(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(r.Body)), r.Body); // the body is valid UTF-8 as the library reads it
        }

        // Forgeries fail: one byte of the body changed, another secret, another event id.
        var sample = received[0];
        var tampered = (byte[])sample.Body.Clone();
        tampered[^2] ^= 0x01;
        var forged = Copy(sample, tampered);
        Assert.NotNull(LibraryVerify(secret, forged));
        Assert.NotEqual(ReferenceSignature(secret, sample.Header("X-Approval-Timestamp")!, tampered), sample.Header("X-Approval-Signature"));
        var stranger = "whsec_" + Convert.ToBase64String(new byte[32]);
        Assert.NotNull(LibraryVerify(stranger, sample));
        Assert.NotEqual(ReferenceSignature(stranger, sample.Header("X-Approval-Timestamp")!, sample.Body), sample.Header("X-Approval-Signature"));
        var otherEvent = Copy(sample, sample.Body, ("webhook-id", received.First(r => r.EventId != sample.EventId).EventId));
        Assert.NotNull(LibraryVerify(secret, otherEvent));
    }

    [Fact]
    public async Task During_the_grace_period_both_the_new_and_the_old_secret_sign_in_both_headers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var service = NewService("grace");
        var (oldId, oldSecret) = await IssueSecretAsync(fx.Admin, service);
        var rotated = (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{oldId}/rotate", new JsonObject { ["grace_seconds"] = 3600 }))
            .Expect(HttpStatusCode.OK).Json;
        var newSecret = (string)rotated["secret"]!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(oldId, (string)rotated["replaces_id"]!);
        Assert.InRange((DateTime)rotated["replaced_grace_until"]!, DateTime.UtcNow.AddSeconds(3500), DateTime.UtcNow.AddSeconds(3700));

        var list = (await fx.Admin.GetJson($"/v1/awe/admin/callback-secrets?caller_service={service}")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(["active", "rotated"], list.Select(s => (string)s!["status"]!));
        Assert.Equal((string)rotated["id"]!, (string)list[0]!["id"]!);

        var key = await PolicyAsync(fx.Admin, "grace");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(service)), key, receiver.Url()));
        await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "delivered"), "delivered during grace");

        foreach (var r in receiver.Received)
        {
            AssertSignedBy(r, newSecret, oldSecret); // one value per valid secret, newest first, each verifying alone
            // A caller on either secret verifies the header exactly as received, with the library.
            Assert.Null(LibraryVerify(newSecret, r));
            Assert.Null(LibraryVerify(oldSecret, r));
            Assert.Equal(2, r.Header("X-Approval-Signature")!.Split(", ").Length);
            Assert.Equal(3, r.Header("webhook-signature")!.Split(' ').Length); // new, old, new again (see WebhookSignatures.Headers)
        }
        // Rotating a secret that is no longer the active one is refused.
        Assert.Equal(HttpStatusCode.Conflict, (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{oldId}/rotate", new JsonObject())).Status);
    }

    [Fact]
    public async Task After_the_grace_period_only_the_new_secret_signs()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var service = NewService("postgrace");
        var (oldId, oldSecret) = await IssueSecretAsync(fx.Admin, service);
        var rotated = (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{oldId}/rotate", new JsonObject { ["grace_seconds"] = 1 }))
            .Expect(HttpStatusCode.OK).Json;
        var newSecret = (string)rotated["secret"]!;
        await Wait.PassedAsync(((DateTime)rotated["replaced_grace_until"]!).ToUniversalTime(), "the end of the grace period");

        var key = await PolicyAsync(fx.Admin, "postgrace");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(service)), key, receiver.Url()));
        await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "delivered"), "delivered after grace");

        Assert.Equal(2, receiver.Received.Count);
        foreach (var r in receiver.Received)
        {
            AssertSignedBy(r, newSecret);
            Assert.Null(LibraryVerify(newSecret, r));
            Assert.NotNull(LibraryVerify(oldSecret, r));
            Assert.DoesNotContain(ReferenceSignature(oldSecret, r.Header("X-Approval-Timestamp")!, r.Body), ReferenceValues(r));
        }
    }

    [Fact]
    public async Task A_rotation_applies_to_the_next_attempt_of_a_delivery_already_under_way()
    {
        // Signing happens per attempt with the secrets as they stand then: a delivery first sent under the old secret
        // is re-signed with the new one once the old one has stopped signing — no SQL, no re-queueing.
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Status(500));
        var service = NewService("midway");
        var (oldId, oldSecret) = await IssueSecretAsync(fx.Admin, service);
        var key = await PolicyAsync(fx.Admin, "midway");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(service)), key, receiver.Url()));
        await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "exhausted"), "exhausted under the old secret");
        Assert.All(receiver.Received, r => AssertSignedBy(r, oldSecret));

        var rotated = (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{oldId}/rotate", new JsonObject { ["grace_seconds"] = 0 }))
            .Expect(HttpStatusCode.OK).Json;
        var newSecret = (string)rotated["secret"]!;
        receiver.Behavior = Respond.Ok;
        var before = receiver.Received.Count;
        (await fx.Admin.PostJson("/v1/awe/admin/deliveries/retry", new JsonObject { ["request_id"] = id })).Expect(HttpStatusCode.OK);
        await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "delivered"), "delivered after the rotation");
        var resent = receiver.Received.Skip(before).ToList();
        Assert.Equal(2, resent.Count);
        Assert.All(resent, r => AssertSignedBy(r, newSecret));
    }

    [Fact]
    public async Task A_revoked_secret_stops_signing_at_once_and_the_delivery_records_a_warning()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var service = NewService("revoke");
        var (secretId, _) = await IssueSecretAsync(fx.Admin, service);
        var revoked = (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{secretId}/revoke")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("revoked", (string)revoked["status"]!);
        Assert.NotNull(revoked["revoked_at"]);
        Assert.Equal(HttpStatusCode.Conflict, (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{secretId}/revoke")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{secretId}/rotate", new JsonObject())).Status);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await fx.Viewer.PostJson("/v1/awe/admin/callback-secrets", new JsonObject { ["caller_service"] = service })).Status);

        var key = await PolicyAsync(fx.Admin, "revoke");
        var id = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(service)), key, receiver.Url()));
        var deliveries = await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "delivered"), "delivered unsigned");
        Assert.All(receiver.Received, r =>
        {
            Assert.Null(r.Header("X-Approval-Signature"));
            Assert.Null(r.Header("webhook-signature"));
            Assert.NotNull(r.Header("X-Approval-Event-Id"));
        });
        Assert.All(deliveries, d => Assert.Contains("unsigned", (string)d["warning"]!));

        // A new secret for the same caller signs the next deliveries again.
        var (_, fresh) = await IssueSecretAsync(fx.Admin, service);
        var next = Id(await RequestAsync(fx.App.ClientFor(Tokens.Service(service)), key, receiver.Url("/after")));
        var again = await WaitForDeliveriesAsync(fx.Admin, next, 2, d => Is(d, "delivered"), "delivered signed");
        Assert.All(again, d => Assert.Null(d["warning"]));
        Assert.All(receiver.Received.Where(r => r.Path == "/after"), r => AssertSignedBy(r, fresh));
    }

    [Fact]
    public async Task A_callback_secret_id_signs_only_for_its_own_caller_or_an_administrator()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var registry = NewService("registry");
        var (secretId, secret) = await IssueSecretAsync(fx.Admin, registry);
        var key = await PolicyAsync(fx.Admin, "byid");

        // Another service may not borrow the registry's secret: deliveries it could trigger would look like the registry's.
        var borrowed = await fx.App.ClientFor(Tokens.Service(registry + "-worker-2")).PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = "borrowed", ["callback_url"] = receiver.Url(),
            ["callback_secret_id"] = secretId,
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, borrowed.Status);
        Assert.Equal("callback_secret_id", (string?)borrowed.Json["errors"]![0]!["path"]);

        // An administrator may create a request on a caller's behalf and name that caller's secret.
        var id = Id(await RequestAsync(fx.Admin, key, receiver.Url(), callbackSecretId: secretId));
        await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "delivered"), "delivered");
        Assert.All(receiver.Received, r => AssertSignedBy(r, secret));
    }

    [Fact]
    public async Task A_revoked_callback_secret_id_is_refused_at_creation()
    {
        var registry = NewService("revoked");
        var (secretId, _) = await IssueSecretAsync(fx.Admin, registry);
        (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{secretId}/revoke")).Expect(HttpStatusCode.OK);
        var key = await PolicyAsync(fx.Admin, "revoked");

        var reply = await fx.App.ClientFor(Tokens.Service(registry)).PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = "revoked-1", ["callback_url"] = "https://example.org/hook",
            ["callback_secret_id"] = secretId,
        });

        var errors = EnvelopeAssert.Error(reply, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("callback_secret_id", (string?)errors[0]!["path"]);
        Assert.Contains("revoked", (string?)errors[0]!["message"]);
        Assert.Empty((await fx.Admin.GetJson("/v1/awe/requests?artifact_id=revoked-1")).Expect(HttpStatusCode.OK).Json.AsArray());
    }

    [Fact]
    public async Task The_raw_secret_is_never_stored_listed_or_audited()
    {
        var service = NewService("storage");
        var (id, first) = await IssueSecretAsync(fx.Admin, service);
        var rotated = (await fx.Admin.PostJson($"/v1/awe/admin/callback-secrets/{id}/rotate", new JsonObject())).Expect(HttpStatusCode.OK).Json;
        var second = (string)rotated["secret"]!;
        // Without grace_seconds the configured awe.webhook.secret_rotation_grace_seconds applies (86400 by default).
        Assert.InRange((DateTime)rotated["replaced_grace_until"]!, DateTime.UtcNow.AddSeconds(86300), DateTime.UtcNow.AddSeconds(86500));
        var conflict = await fx.Admin.PostJson("/v1/awe/admin/callback-secrets", new JsonObject { ["caller_service"] = service });
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status); // one active secret per caller: rotate instead

        // Every form a leak could take: the whole string, its base64 key, the key bytes in hex.
        var forms = new[] { first, second }.SelectMany(s => new[]
        {
            s, s["whsec_".Length..], Convert.ToHexString(Convert.FromBase64String(s["whsec_".Length..])).ToLowerInvariant(),
        }).ToList();
        var cs = fx.Database.ConnectionString;
        var secretRows = await RowsAsJsonAsync(cs, $"SELECT row_to_json(c)::text FROM callback_secret c WHERE caller_service = '{service}'");
        Assert.Equal(2, secretRows.Count);
        foreach (var row in secretRows)
        {
            var encrypted = (string)System.Text.Json.Nodes.JsonNode.Parse(row)!["secret_encrypted"]!;
            Assert.True(encrypted.Length > 40, row);
            foreach (var form in forms) Assert.DoesNotContain(form, row, StringComparison.OrdinalIgnoreCase);
        }
        // Encrypted with ASP.NET Data Protection, whose key ring is in the database too.
        Assert.True(await CountAsync(cs, "SELECT count(*) FROM data_protection_key") >= 1);
        foreach (var table in new[] { "audit_action", "webhook_delivery", "data_protection_key" })
            foreach (var row in await RowsAsJsonAsync(cs, $"SELECT row_to_json(t)::text FROM {table} t"))
                foreach (var form in forms)
                    Assert.DoesNotContain(form, row, StringComparison.OrdinalIgnoreCase);
        Assert.True(await CountAsync(cs, $"SELECT count(*) FROM audit_action WHERE resource_id = '{id}' AND action = 'callback_secret.rotate'") == 1);

        foreach (var url in new[] { "/v1/awe/admin/callback-secrets", $"/v1/awe/admin/callback-secrets?caller_service={service}",
                     $"/v1/awe/admin/audit?resource_type=callback_secret" })
        {
            var reply = (await fx.Admin.GetJson(url)).Expect(HttpStatusCode.OK);
            foreach (var form in forms) Assert.DoesNotContain(form, reply.Raw, StringComparison.OrdinalIgnoreCase);
        }
        var listed = (await fx.Viewer.GetJson($"/v1/awe/admin/callback-secrets?caller_service={service}")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(2, listed.Count);
        Assert.All(listed, s => Assert.False(s!.AsObject().ContainsKey("secret")));
        Assert.All(listed, s => Assert.False(s!.AsObject().ContainsKey("secret_encrypted")));
    }

    [Fact]
    public async Task Concurrent_creations_for_one_caller_leave_one_active_secret_and_answer_409_to_the_others()
    {
        var service = NewService("race");
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            fx.App.ClientFor(Tokens.Admin).PostJson("/v1/awe/admin/callback-secrets", new JsonObject { ["caller_service"] = service })));
        Assert.Single(replies, r => r.Status == HttpStatusCode.Created);
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Status);
            Assert.Equal("AWE-007", r.ErrorCode);
        });
        var listed = (await fx.Admin.GetJson($"/v1/awe/admin/callback-secrets?caller_service={service}")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Single(listed);
    }

    private static ReceivedWebhook Copy(ReceivedWebhook r, byte[] body, params (string Name, string Value)[] headers)
    {
        var h = new Dictionary<string, string>(r.Headers, StringComparer.OrdinalIgnoreCase);
        foreach (var (n, v) in headers) h[n] = v;
        return new ReceivedWebhook
        {
            Index = r.Index, Path = r.Path, Body = body, Headers = h, ArrivedTicks = r.ArrivedTicks, ArrivedAt = r.ArrivedAt,
        };
    }
}
