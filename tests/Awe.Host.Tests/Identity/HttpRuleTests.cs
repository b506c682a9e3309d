using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Awe.Host.Tests.Identity.IdentityRules;

namespace Awe.Host.Tests.Identity;

using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// http rules: AWE POSTs the context and the request to the rule's URL and assigns the user_ids it answers. Any
/// other answer (malformed, wrong shape, non-2xx, redirect, too slow) refuses the request with 503 AWE-011 naming
/// the reason, and nothing is written. (This host allows private networks, since the endpoint is on loopback.)
/// </summary>
public sealed class HttpRuleTests(KeycloakAppFixture fx) : IClassFixture<KeycloakAppFixture>, IAsyncLifetime
{
    private FakeHttpEndpoint endpoint = null!;

    public async Task InitializeAsync() => endpoint = await FakeHttpEndpoint.StartAsync();

    public async Task DisposeAsync() => await endpoint.DisposeAsync();

    [Fact]
    public async Task The_answered_user_ids_become_approvers_and_the_call_carries_context_and_request()
    {
        endpoint.Answer(200, """{"user_ids": ["hr-zoe", " hr-yann ", "", "hr-zoe"]}""");
        var key = await OneStagePolicyAsync(fx.Admin, "hr", "any-n", 1, HttpRule($"{endpoint.BaseUrl}/resolve"));
        var context = new JsonObject { ["district"] = "d1", ["amount"] = 1200 };

        var reply = await fx.App.ClientFor(Tokens.ServiceAccount("svc-caller")).PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = key, ["artifact_type"] = "test.artifact", ["artifact_id"] = "hr-1", ["context"] = context, ["requester"] = "u-req",
        });
        var created = reply.Expect(HttpStatusCode.Created).Json;

        Assert.Equal(["hr-yann", "hr-zoe"], Assignees(created));
        var (path, body) = Assert.Single(endpoint.Received);
        Assert.Equal("/resolve", path);
        Assert.True(JsonNode.DeepEquals(context, body!["context"]), body.ToJsonString());
        var request = body["request"]!;
        Assert.Equal((string?)created["request_id"], (string?)request["id"]);
        Assert.Equal(key, (string?)request["policy_key"]);
        Assert.Equal("test.artifact", (string?)request["artifact_type"]);
        Assert.Equal("hr-1", (string?)request["artifact_id"]);
        Assert.Equal("u-req", (string?)request["requester"]);
    }

    [Fact]
    public async Task The_same_url_twice_in_a_stage_is_called_once()
    {
        endpoint.Answer(200, """{"user_ids": ["hr-once"]}""");
        var url = $"{endpoint.BaseUrl}/twice";
        var key = await OneStagePolicyAsync(fx.Admin, "hrtwice", "any-n", 1, HttpRule(url), HttpRule(url, kind: "observer"));

        Assert.Equal(["hr-once"], Assignees(await Policies.RequestAsync(fx.Admin, key, artifactId: "hr-twice")));
        Assert.Equal(1, endpoint.Count("/twice"));
    }

    public static TheoryData<int, string, string> BadAnswers => new()
    {
        { 200, "not json", "malformed JSON" },
        { 200, """["a", "b"]""", "answered an array; expected an object" },
        { 200, """{"users": ["a"]}""", "answered without user_ids" },
        { 200, """{"user_ids": "a"}""", "answered user_ids as a string; expected a list of strings" },
        { 200, """{"user_ids": ["a", 7]}""", "answered user_ids[1] as a number; expected a string" },
        { 200, """{"user_ids": [null]}""", "answered user_ids[0] as null" },
        { 500, """{"error": "boom"}""", "answered HTTP 500: {\"error\": \"boom\"}" },
        { 404, "", "answered HTTP 404: (empty body)" },
    };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public async Task A_bad_answer_refuses_the_request_with_the_reason_and_writes_nothing(int status, string answer, string reason)
    {
        endpoint.Answer(status, answer);
        var key = await OneStagePolicyAsync(fx.Admin, "hrbad", "any-n", 1, HttpRule($"{endpoint.BaseUrl}/bad"));
        var artifact = $"hr-bad-{Guid.NewGuid():N}";

        var reply = await TryRequestAsync(fx.Admin, key, artifact);

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-011", reply.ErrorCode);
        Assert.Contains($"http rule {endpoint.BaseUrl}/bad", Message(reply));
        Assert.Contains(reason, Message(reply));
        Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync(artifact));
    }

    [Fact]
    public async Task A_redirect_is_not_followed()
    {
        var elsewhere = $"{endpoint.BaseUrl}/elsewhere";
        endpoint.Respond = ctx =>
        {
            if (ctx.Request.Path == "/elsewhere") return ctx.Response.WriteAsync("""{"user_ids": ["hr-redirected"]}""");
            ctx.Response.StatusCode = 307;
            ctx.Response.Headers.Location = elsewhere;
            return Task.CompletedTask;
        };
        var key = await OneStagePolicyAsync(fx.Admin, "hrredir", "any-n", 1, HttpRule($"{endpoint.BaseUrl}/moved"));

        var reply = await TryRequestAsync(fx.Admin, key, "hr-redirect");

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("answered HTTP 307 (redirects are not followed)", Message(reply));
        Assert.Equal(0, endpoint.Count("/elsewhere"));
    }

    [Fact]
    public async Task A_slow_resolver_times_out_with_503_and_nothing_is_written()
    {
        endpoint.Respond = async ctx =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
            await ctx.Response.WriteAsync("""{"user_ids": ["hr-late"]}""");
        };
        var key = await OneStagePolicyAsync(fx.Admin, "hrslow", "any-n", 1, HttpRule($"{endpoint.BaseUrl}/slow"));

        var reply = await TryRequestAsync(fx.Admin, key, "hr-slow");

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-011", reply.ErrorCode);
        Assert.Contains($"did not answer within {KeycloakAppFixture.TimeoutSeconds} s", Message(reply));
        Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync("hr-slow"));
    }

    [Fact]
    public async Task An_unreachable_resolver_is_503()
    {
        var url = $"{endpoint.BaseUrl}/gone";
        await endpoint.DisposeAsync();
        var key = await OneStagePolicyAsync(fx.Admin, "hrgone", "any-n", 1, HttpRule(url));
        endpoint = await FakeHttpEndpoint.StartAsync(); // for DisposeAsync; on another port

        var reply = await TryRequestAsync(fx.Admin, key, "hr-gone");

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("could not be called", Message(reply));
    }
}

/// <summary>
/// A host with neither Keycloak nor private destinations: role and group rules and the pickers say Keycloak is
/// not configured, and http rules pointing at loopback or private addresses are refused before any call.
/// </summary>
public sealed class UnconfiguredResolutionTests(UnconfiguredKeycloakFixture fx) : IClassFixture<UnconfiguredKeycloakFixture>
{
    [Theory]
    [InlineData("role")]
    [InlineData("group")]
    public async Task Role_and_group_rules_say_keycloak_is_not_configured(string type)
    {
        var rule = type == "role" ? Role("SOME_ROLE") : Group("/some/group");
        var key = await OneStagePolicyAsync(fx.Admin, $"nokc{type}", "any-n", 1, rule);

        var reply = await TryRequestAsync(fx.Admin, key, $"nokc-{type}");

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-011", reply.ErrorCode);
        Assert.Contains($"'{type}' rules need Keycloak, which is not configured", Message(reply));
        Assert.Contains("awe.keycloak.base_url", Message(reply));
        Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync($"nokc-{type}"));
        Assert.Empty(fx.Keycloak.Calls);
    }

    [Theory]
    [InlineData("users")]
    [InlineData("clients")]
    [InlineData("roles")]
    [InlineData("groups")]
    public async Task Pickers_say_keycloak_is_not_configured(string picker)
    {
        var reply = await fx.Viewer.GetJson($"/v1/awe/admin/keycloak/{picker}");

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-011", reply.ErrorCode);
        Assert.Contains("Keycloak is not configured", Message(reply));
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/resolve", "loopback")]
    [InlineData("http://localhost:{port}/resolve", "loopback")]
    [InlineData("http://10.1.2.3/resolve", "private")]
    [InlineData("http://169.254.169.254/latest/meta-data", "link-local (cloud metadata)")]
    [InlineData("http://[::1]:{port}/resolve", "loopback")]
    public async Task Http_rules_to_private_destinations_are_refused_without_a_call(string url, string why)
    {
        await using var endpoint = await FakeHttpEndpoint.StartAsync();
        url = url.Replace("{port}", new Uri(endpoint.BaseUrl).Port.ToString());
        var key = await OneStagePolicyAsync(fx.Admin, "priv", "any-n", 1, HttpRule(url));
        var artifact = $"priv-{Guid.NewGuid():N}";

        var reply = await TryRequestAsync(fx.Admin, key, artifact);

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-011", reply.ErrorCode);
        Assert.Contains(why, Message(reply));
        Assert.Contains("allow_private_networks", Message(reply));
        Assert.Empty(endpoint.Received);
        Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync(artifact));
    }
}
