using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Webhooks;

/// <summary>A host with the default awe.outbound.allow_private_networks: false.</summary>
public sealed class PrivateNetworksRefusedFixture : PostgresAppFixture
{
    public static readonly IReadOnlyDictionary<string, string?> Refusing = WebhookFixture.With(WebhookFixture.FastDispatcher,
        ("awe:outbound:allow_private_networks", "false"));

    protected override IReadOnlyDictionary<string, string?>? Settings => Refusing;
}

public sealed class OutboundPolicyHostTests(PrivateNetworksRefusedFixture fx) : IClassFixture<PrivateNetworksRefusedFixture>
{
    [Theory]
    [InlineData("http://127.0.0.1:9/hook", "loopback")]
    [InlineData("http://localhost:9/hook", "loopback")]
    [InlineData("http://10.20.30.40/hook", "private")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("http://[::1]/hook", "loopback")]
    [InlineData("ftp://example.org/hook", "absolute http(s)")]
    public async Task A_callback_url_to_a_private_destination_is_refused_with_422_and_nothing_is_created(string url, string reason)
    {
        var key = await PolicyAsync(fx.Admin, "refuse");
        var artifact = $"art-{Guid.NewGuid():N}";
        var reply = await fx.App.ClientFor(Tokens.Service(NewService("refuse"))).PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = artifact, ["context"] = new JsonObject(),
            ["callback_url"] = url,
        });
        reply.Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("AWE-012", reply.ErrorCode);
        var error = reply.Json["errors"]![0]!;
        var message = (string)error["message"]!;
        Assert.Contains("callback_url", message);
        Assert.Contains(reason, message);
        if (reason != "absolute http(s)") Assert.Contains("allow_private_networks", message);
        Assert.Equal(0, await CountAsync(fx.Database.ConnectionString, "SELECT count(*) FROM approval_request WHERE artifact_id = @a", ("a", artifact)));
    }

    [Fact]
    public async Task A_delivery_whose_destination_became_private_is_refused_at_connect_time_and_never_sent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // The request was accepted by a replica that allowed private networks; this host does not. Its dispatcher
        // must refuse at connect time (the name resolves to loopback) rather than trust the stored URL.
        var url = receiver.Url().Replace("127.0.0.1", "localhost");
        await using var lenient = new AweApp(fx.Database.ConnectionString,
            WebhookFixture.With(WebhookFixture.FastDispatcher, ("awe:webhook:poll_interval_seconds", "3600")),
            // This replica only takes the request; should its dispatcher ever get to the delivery, it fails loudly
            // instead of sending, so only the host under test can make the outcome.
            services => services.AddHttpClient(WebhookDispatcher.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new NeverSend()));
        var key = await PolicyAsync(fx.Admin, "connect");
        var id = Id(await RequestAsync(lenient.ClientFor(Tokens.Service(NewService("connect"))), key, url));

        var rows = await WaitForDeliveriesAsync(fx.Admin, id, 2, d => Is(d, "exhausted"), "both refused to exhaustion");
        foreach (var d in rows)
        {
            Assert.Contains("refused", (string)d["last_error"]!);
            Assert.Contains("loopback", (string)d["last_error"]!);
            Assert.Null(d["last_status_code"]);
        }
        Assert.Empty(receiver.Received);
    }

    private sealed class NeverSend : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("this replica must not send in this test");
    }
}
