using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Activities.Webhooks;
using Awe.Client;
using Awe.Client.Webhooks;
using Awe.Host.Tests.Contract;
using Awe.Host.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Refit;

namespace Awe.Host.Tests.Client;

/// <summary>Awe.Client against a real host process on PostgreSQL, and against a fake server for retries.</summary>
public sealed class AweClientTests(HostProcessFixture fx) : IClassFixture<HostProcessFixture>
{
    private IAweApi Admin => AweClient.Create(fx.Host.BaseUrl, Tokens.Admin);

    private static JsonObject DemoPolicy(string key)
    {
        var policy = JsonNode.Parse(File.ReadAllText(Path.Combine(OpenApiDocumentTests.RepositoryRoot(), "workflows", "demo.v1.json")))!.AsObject();
        policy["policy_key"] = key;
        return policy;
    }

    [Fact]
    public async Task Smoke_test_through_the_client()
    {
        var awe = Admin;
        var created = await awe.CreatePolicyAsync(DemoPolicy("client.smoke"));
        Assert.Equal(("client.smoke", 1, "draft"), (created.PolicyKey, created.Version, created.Status));
        Assert.Equal("u-alice", created.Stages[0].Rules[0].RuleValue["user_id"]!.GetValue<string>());
        await awe.ActivateAsync("client.smoke", 1);

        var request = await awe.CreateRequestAsync(new NewRequest("client.smoke", "demo.artifact", "client-1", new JsonObject { ["amount"] = 5 }));
        Assert.Equal("in_review", request.Status);
        var task = Assert.Single(request.Tasks);
        Assert.Equal("u-alice", task.Assignee);

        var decision = await awe.DecideAsync(task.Id, new NewDecision("approve", "fine"));
        Assert.Equal(("approve", "approved"), (decision.Action, decision.RequestStatus));
        var read = await awe.GetRequestAsync(request.RequestId);
        Assert.Equal("approved", read.Status);
        Assert.Equal(5, read.Context!["amount"]!.GetValue<int>());
        Assert.Contains(await awe.ListRequestsAsync(policyKey: "client.smoke"), r => r.Id == request.RequestId);
        Assert.Contains("request_approved", (await awe.GetEventsAsync(request.RequestId)).Select(e => e.EventType));
    }

    [Fact]
    public async Task Same_idempotency_key_answers_the_first_request()
    {
        var awe = Admin;
        await awe.CreatePolicyAsync(DemoPolicy("client.idem"));
        await awe.ActivateAsync("client.idem", 1);
        var body = new NewRequest("client.idem", "demo.artifact", "idem-1");
        var first = await awe.CreateRequestAsync(body, "demo.artifact:idem-1");
        var again = await awe.CreateRequestAsync(body, "demo.artifact:idem-1");
        Assert.Equal(first.RequestId, again.RequestId);
        // Without a key of the caller's, each call is a new request (the client's own key differs per call).
        var other = await awe.CreateRequestAsync(body);
        Assert.NotEqual(first.RequestId, other.RequestId);
        Assert.Equal(2, (await awe.ListRequestsAsync(policyKey: "client.idem")).Count);
    }

    [Fact]
    public async Task Validation_errors_carry_codes_and_paths()
    {
        var policy = DemoPolicy("client.invalid");
        policy["stages"]![0]!["mode"] = "sometimes";
        var e = await Assert.ThrowsAsync<ApiException>(() => Admin.CreatePolicyAsync(policy));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        var error = Assert.Single(AweErrors.Read(e));
        Assert.Equal(("AWE-012", "stages[0].mode"), (error.ErrorCode, error.Path));

        var missing = await Assert.ThrowsAsync<ApiException>(() => Admin.GetRequestAsync("no-such-request"));
        Assert.Equal("AWE-003", Assert.Single(AweErrors.Read(missing)).ErrorCode);
    }

    [Fact]
    public async Task Client_from_dependency_injection_calls_the_host()
    {
        var services = new ServiceCollection();
        services.AddAweClient(o =>
        {
            o.BaseAddress = new Uri(fx.Host.BaseUrl);
            o.TokenProvider = _ => ValueTask.FromResult(Tokens.Viewer);
        });
        await using var provider = services.BuildServiceProvider();
        var awe = provider.GetRequiredService<IAweApi>();
        await Admin.CreatePolicyAsync(DemoPolicy("client.di"));
        Assert.Contains(await awe.ListPoliciesAsync(), p => p.PolicyKey == "client.di");
        // The viewer's token went with the call: creating is refused.
        var e = await Assert.ThrowsAsync<ApiException>(() => awe.CreatePolicyAsync(DemoPolicy("client.di2")));
        Assert.Equal("AWE-008", Assert.Single(AweErrors.Read(e)).ErrorCode);
    }

    [Fact]
    public async Task A_503_is_retried_with_the_same_idempotency_key_and_body()
    {
        await using var server = await FakeHttpEndpoint.StartAsync();
        var keys = new List<string>();
        var calls = 0;
        server.Respond = async ctx =>
        {
            lock (keys) keys.Add(ctx.Request.Headers["Idempotency-Key"].ToString());
            if (Interlocked.Increment(ref calls) <= 2)
            {
                ctx.Response.StatusCode = 503;
                await ctx.Response.WriteAsync("""{"errors":[{"errorCode":"AWE-011","message":"directory down"}]}""");
                return;
            }
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsync("""{"request_id":"r-1","status":"in_review","current_stage_order":1,"tasks":[]}""");
        };
        var awe = AweClient.Create(new AweClientOptions { BaseAddress = new Uri(server.BaseUrl), Token = "t", RetryDelay = TimeSpan.FromMilliseconds(1) });
        var created = await awe.CreateRequestAsync(new NewRequest("p", "a", "1"));
        Assert.Equal("r-1", created.RequestId);
        Assert.Equal(3, keys.Count);
        Assert.Single(keys.Distinct());
        Assert.True(Guid.TryParse(keys[0], out _));
        Assert.All(server.Received, r => Assert.Equal("1", r.Body!["artifact_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Retries_stop_after_max_retries_and_surface_the_503()
    {
        await using var server = await FakeHttpEndpoint.StartAsync();
        server.Answer(503, """{"errors":[{"errorCode":"AWE-017","message":"keys unavailable"}]}""");
        var awe = AweClient.Create(new AweClientOptions { BaseAddress = new Uri(server.BaseUrl), Token = "t", MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(1) });
        var e = await Assert.ThrowsAsync<ApiException>(() => awe.RetryDeliveryAsync("d-1"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Equal("AWE-017", AweErrors.Read(e)[0].ErrorCode);
        Assert.Equal(3, server.Count("/v1/awe/admin/deliveries/d-1/retry"));
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("reference")]
    public void Webhook_verifier_accepts_either_scheme_and_refuses_tampering(string scheme)
    {
        var secret = WebhookSignatures.NewSecret();
        var body = Encoding.UTF8.GetBytes("""{"event_type":"request.approved"}""");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var all = WebhookSignatures.Headers([secret], "evt-1", now, body).ToDictionary(h => h.Key, h => h.Value);
        // Only one scheme's headers reach the verifier, as a caller behind a proxy that drops the other would see.
        var headers = all.Where(h => scheme == "standard" ? h.Key.StartsWith("webhook-") : h.Key.StartsWith("X-Approval-"))
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value);

        Assert.True(new AweWebhookVerifier(secret).Verify(headers, body));
        Assert.True(new AweWebhookVerifier([WebhookSignatures.NewSecret(), secret]).Verify(headers, body));
        Assert.False(new AweWebhookVerifier(secret).Verify(headers, Encoding.UTF8.GetBytes("""{"event_type":"request.rejected"}""")));
        Assert.False(new AweWebhookVerifier(WebhookSignatures.NewSecret()).Verify(headers, body));
        var late = new AweWebhookVerifier([secret], clock: new FixedClock(DateTimeOffset.UtcNow.AddMinutes(6)));
        Assert.False(late.Verify(headers, body));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
