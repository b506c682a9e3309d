using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Platform;

/// <summary>
/// Dev-mode bearer tokens: 401 without a usable token, 403 without the role, roles from realm_access and every
/// resource_access client (reference 1.2, 6.1); all of it in the error envelope.
/// </summary>
public sealed class AuthTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private static string Unsigned(string payloadJson) => Tokens.Encode(JsonNode.Parse(payloadJson)!.AsObject());

    private HttpClient WithAuthorization(string headerValue)
    {
        var client = fx.App.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", headerValue);
        return client;
    }

    [Theory]
    [InlineData("GET", "/v1/awe/policies")]
    [InlineData("POST", "/v1/awe/policies")]
    [InlineData("GET", "/v1/awe/requests")]
    [InlineData("GET", "/v1/awe/tasks")]
    [InlineData("GET", "/v1/awe/admin/audit")]
    [InlineData("GET", "/v1/awe/delegations")]
    public async Task No_token_is_401_AWE_013(string method, string url)
    {
        var body = method == "POST" ? Policy("auth.none", Stage(1, "all", null, User("u-a"))) : null;
        var reply = await fx.App.CreateClient().SendAsync(new HttpMethod(method), url, body);

        var message = EnvelopeAssert.ErrorMessage(reply, HttpStatusCode.Unauthorized, "AWE-013");
        Assert.Contains("Bearer", message);
        if (method == "POST") EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/auth.none/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Theory]
    [InlineData("Bearer garbage", "not a JWT")]
    [InlineData("Bearer a.%%%.c", "base64url")]
    [InlineData("Bearer eyJhbGciOiJub25lIn0.WzEsMl0.", "not a JSON object")] // payload [1,2]
    [InlineData("Basic dXNlcjpwYXNz", "Bearer")]
    [InlineData("Bearer ", "")]
    public async Task A_garbage_token_is_401_AWE_013(string header, string expected)
    {
        var message = EnvelopeAssert.ErrorMessage(await WithAuthorization(header).GetJson("/v1/awe/policies"), HttpStatusCode.Unauthorized, "AWE-013");
        Assert.Contains(expected, message);
    }

    [Theory]
    [InlineData("""{"preferred_username": "alice", "realm_access": {"roles": ["AWE_ADMIN"]}}""")]
    [InlineData("""{"sub": "   ", "realm_access": {"roles": ["AWE_ADMIN"]}}""")]
    [InlineData("""{"sub": 42, "realm_access": {"roles": ["AWE_ADMIN"]}}""")]
    public async Task A_token_without_sub_is_401(string payload)
    {
        var message = EnvelopeAssert.ErrorMessage(await fx.App.ClientFor(Unsigned(payload)).GetJson("/v1/awe/policies"),
            HttpStatusCode.Unauthorized, "AWE-013");
        Assert.Contains("sub", message);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var exp = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds();
        var message = EnvelopeAssert.ErrorMessage(
            await fx.App.ClientFor(Unsigned($$$"""{"sub": "s", "exp": {{{exp}}}, "realm_access": {"roles": ["AWE_ADMIN"]}}""")).GetJson("/v1/awe/policies"),
            HttpStatusCode.Unauthorized, "AWE-013");
        Assert.Contains("expired", message);

        var fresh = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        (await fx.App.ClientFor(Unsigned($$$"""{"sub": "s", "exp": {{{fresh}}}, "realm_access": {"roles": ["AWE_ADMIN"]}}""")).GetJson("/v1/awe/policies"))
            .Expect(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("99999999999999", HttpStatusCode.OK)]             // past year 9999: far future, not an error
    [InlineData("-99999999999999", HttpStatusCode.Unauthorized)]  // before year 1: long expired
    [InlineData("\"tomorrow\"", HttpStatusCode.OK)]              // not a number: no expiry to check
    public async Task Exp_values_outside_the_calendar_are_handled(string exp, HttpStatusCode expected)
    {
        var reply = await fx.App.ClientFor(Unsigned($$$"""{"sub": "s", "exp": {{{exp}}}, "realm_access": {"roles": ["AWE_ADMIN"]}}""")).GetJson("/v1/awe/policies");

        if (expected == HttpStatusCode.OK) reply.Expect(HttpStatusCode.OK);
        else EnvelopeAssert.Error(reply, expected, "AWE-013");
    }

    [Theory]
    [InlineData("POST", "/v1/awe/policies")]
    [InlineData("PUT", "/v1/awe/policies/auth.x")]
    [InlineData("PATCH", "/v1/awe/policies/auth.x/versions/1")]
    [InlineData("POST", "/v1/awe/policies/auth.x/versions/1/activate")]
    [InlineData("POST", "/v1/awe/policies/auth.x/versions/1/deactivate")]
    [InlineData("POST", "/v1/awe/delegations")]
    [InlineData("DELETE", "/v1/awe/delegations/d-1")]
    [InlineData("POST", "/v1/awe/tasks/t-1/reassign")]
    public async Task A_viewer_on_an_admin_endpoint_is_403_AWE_008_naming_the_role(string method, string url)
    {
        var body = method is "POST" or "PUT" or "PATCH" ? Policy("auth.x", Stage(1, "all", null, User("u-a"))) : null;

        var message = EnvelopeAssert.ErrorMessage(await fx.Viewer.SendAsync(new HttpMethod(method), url, body), HttpStatusCode.Forbidden, "AWE-008");

        Assert.Contains("AWE_ADMIN", message);
        Assert.Contains("AWE_VIEWER", message); // what the token does have
    }

    [Fact]
    public async Task A_token_without_roles_may_call_caller_endpoints_but_not_read_policies()
    {
        var plain = fx.As("u-plain");

        var message = EnvelopeAssert.ErrorMessage(await plain.GetJson("/v1/awe/policies"), HttpStatusCode.Forbidden, "AWE-008");
        Assert.Contains("AWE_VIEWER", message);
        Assert.Contains("no roles", message);
        (await plain.GetJson("/v1/awe/requests")).Expect(HttpStatusCode.OK);
        (await plain.GetJson("/v1/awe/tasks")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Client_roles_under_resource_access_count_like_realm_roles()
    {
        var portalAdmin = fx.App.ClientFor(Unsigned("""
            {"sub": "portal-admin", "preferred_username": "padmin",
             "realm_access": {"roles": ["offline_access"]},
             "resource_access": {"account": {"roles": ["view-profile"]}, "awe-admin-portal": {"roles": ["AWE_ADMIN"]}}}
            """));
        var created = (await portalAdmin.PostJson("/v1/awe/policies", Policy("auth.client", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("portal-admin", (string?)created["created_by"]);

        var registryViewer = fx.App.ClientFor(Unsigned("""{"sub": "rv", "resource_access": {"registry": {"roles": ["AWE_VIEWER"]}}}"""));
        (await registryViewer.GetJson("/v1/awe/policies/auth.client/versions/1")).Expect(HttpStatusCode.OK);
        EnvelopeAssert.Error(await registryViewer.PostJson("/v1/awe/policies/auth.client/versions/1/activate"), HttpStatusCode.Forbidden, "AWE-008");

        // Role names are exact: a lower-case look-alike grants nothing.
        var lookalike = fx.App.ClientFor(Unsigned("""{"sub": "la", "realm_access": {"roles": ["awe_admin", "AWE_ADMIN "]}}"""));
        EnvelopeAssert.Error(await lookalike.GetJson("/v1/awe/policies"), HttpStatusCode.Forbidden, "AWE-008");
    }

    [Fact]
    public async Task Malformed_role_claims_are_ignored_rather_than_failing()
    {
        var odd = fx.App.ClientFor(Unsigned("""{"sub": "odd", "realm_access": {"roles": "AWE_ADMIN"}, "resource_access": {"x": null, "y": {"roles": [1, null]}}}"""));
        EnvelopeAssert.Error(await odd.GetJson("/v1/awe/policies"), HttpStatusCode.Forbidden, "AWE-008");
        (await odd.GetJson("/v1/awe/requests")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Identities_too_long_to_record_are_refused_and_long_display_claims_do_no_harm()
    {
        var longSub = fx.App.ClientFor(Tokens.Encode(new JsonObject
        {
            ["sub"] = new string('s', 129), ["realm_access"] = new JsonObject { ["roles"] = new JsonArray("AWE_ADMIN") },
        }));
        var message = EnvelopeAssert.ErrorMessage(await longSub.PostJson("/v1/awe/policies", Policy("auth.long", Stage(1, "all", null, User("u-a")))),
            HttpStatusCode.Unauthorized, "AWE-013");
        Assert.Contains("128", message);
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/auth.long/versions"), HttpStatusCode.NotFound, "AWE-001");

        var longUsername = fx.App.ClientFor(Tokens.For("short-sub", new string('u', 129), "AWE_ADMIN"));
        EnvelopeAssert.Error(await longUsername.GetJson("/v1/awe/tasks"), HttpStatusCode.Unauthorized, "AWE-013");

        // e-mail and name are only recorded for display: a long one must not break an audited write.
        var verbose = fx.App.ClientFor(Tokens.Encode(new JsonObject
        {
            ["sub"] = "verbose-admin", ["preferred_username"] = "verbose", ["email"] = new string('e', 300) + "@example.org",
            ["name"] = new string('n', 400), ["realm_access"] = new JsonObject { ["roles"] = new JsonArray("AWE_ADMIN") },
        }));
        (await verbose.PostJson("/v1/awe/policies", Policy("auth.verbose", Stage(1, "all", null, User("u-a"))))).Expect(HttpStatusCode.Created);
        var audit = Assert.Single((await fx.Admin.GetJson("/v1/awe/admin/audit?actor=verbose-admin")).Expect(HttpStatusCode.OK).Json.AsArray())!;
        Assert.StartsWith("eeee", (string?)audit["actor_email"]);
    }

    [Fact]
    public async Task The_seed_dev_token_is_an_admin()
    {
        (await fx.App.ClientFor(Tokens.SeedAdmin).GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/v1/awe/health")]
    [InlineData("/v1/awe/version")]
    [InlineData("/v1/awe/config")]
    public async Task Status_endpoints_need_no_token_and_ignore_a_bad_one(string url)
    {
        EnvelopeAssert.Success(await fx.App.CreateClient().GetJson(url));
        EnvelopeAssert.Success(await WithAuthorization("Bearer garbage").GetJson(url));
    }
}
