using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Identity;

/// <summary>
/// Issuer mode: AWE verifies real RS256/ES256 tokens of a Keycloak-compatible issuer against its JWKS, follows
/// key rotation without a restart, and refuses everything else in the error envelope.
/// </summary>
public sealed class InboundTokenTests : IAsyncLifetime
{
    private FakeKeycloak _kc = null!;
    private TestDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _kc = await FakeKeycloak.StartAsync();
        _kc.AddUser("alice");
        _kc.AddUser("victor");
        _kc.AddRealmRole("AWE_ADMIN", null, "alice");
        _kc.AddRealmRole("AWE_VIEWER", null, "victor");
        _db = await TestDatabase.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _kc.DisposeAsync();
    }

    private AweApp App(bool discovery = false, string? audience = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["awe:keycloak:issuer"] = _kc.Issuer,
            ["awe:keycloak:jwks_url"] = discovery ? "" : _kc.JwksUrl,
            ["awe:keycloak:jwks_refresh_min_seconds"] = "0",
            ["awe:keycloak:clock_skew_seconds"] = "0",
        };
        if (audience is not null) settings["awe:keycloak:audience"] = audience;
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return new AweApp(_db.ConnectionString, settings);
    }

    private static Task<Reply> ListPolicies(AweApp app, string token) => app.ClientFor(token).GetJson("/v1/awe/policies");

    private static void AssertRefused(Reply reply, string messagePart)
    {
        reply.Expect(HttpStatusCode.Unauthorized);
        Assert.Equal("AWE-013", reply.ErrorCode);
        Assert.Contains(messagePart, reply.Json["errors"]![0]!["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_properly_signed_token_is_accepted_and_its_roles_apply(bool discovery)
    {
        await using var app = App(discovery);
        (await ListPolicies(app, _kc.UserToken("alice"))).Expect(HttpStatusCode.OK);
        (await ListPolicies(app, _kc.UserToken("victor"))).Expect(HttpStatusCode.OK);
        var forbidden = await app.ClientFor(_kc.UserToken("victor")).PostJson("/v1/awe/policies", TestPolicies.Policy("p.jwt", TestPolicies.Stage(1, "all", null, TestPolicies.User("alice"))));
        forbidden.Expect(HttpStatusCode.Forbidden);
        (await app.ClientFor(_kc.UserToken("alice")).PostJson("/v1/awe/policies", TestPolicies.Policy("p.jwt", TestPolicies.Stage(1, "all", null, TestPolicies.User("alice")))))
            .Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Expired_wrong_issuer_and_wrong_audience_tokens_are_refused()
    {
        await using var app = App(audience: "awe-api");
        var good = _kc.UserClaims("alice");
        good["aud"] = new JsonArray("account", "awe-api");
        (await ListPolicies(app, _kc.Sign(good))).Expect(HttpStatusCode.OK);

        var expired = _kc.UserClaims("alice");
        expired["aud"] = "awe-api";
        expired["exp"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds();
        AssertRefused(await ListPolicies(app, _kc.Sign(expired)), "expired");

        var otherIssuer = _kc.UserClaims("alice");
        otherIssuer["aud"] = "awe-api";
        otherIssuer["iss"] = "https://evil.example.org/realms/staff";
        AssertRefused(await ListPolicies(app, _kc.Sign(otherIssuer)), "issuer");

        AssertRefused(await ListPolicies(app, _kc.UserToken("alice")), "audience"); // aud is only "account"
    }

    [Fact]
    public async Task Additional_issuers_are_accepted()
    {
        await using var app = App(extra: new() { ["awe:keycloak:additional_issuers:0"] = "https://keycloak.internal/realms/staff" });
        var claims = _kc.UserClaims("alice");
        claims["iss"] = "https://keycloak.internal/realms/staff";
        (await ListPolicies(app, _kc.Sign(claims))).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Unsigned_and_hmac_forged_tokens_are_refused()
    {
        await using var app = App();
        (await ListPolicies(app, _kc.UserToken("alice"))).Expect(HttpStatusCode.OK);

        AssertRefused(await ListPolicies(app, FakeKeycloak.Unsigned(_kc.UserClaims("alice"))), "'none'");
        // The classic confusion attack: HMAC keyed with the published public key.
        var publicKey = _kc.ActiveKey.Certificate.GetPublicKey();
        AssertRefused(await ListPolicies(app, FakeKeycloak.Hs256(_kc.UserClaims("alice"), publicKey, _kc.ActiveKey.Kid)), "HS256");
        // In issuer mode the seed's dev token is just another unsigned token.
        AssertRefused(await ListPolicies(app, Tokens.SeedAdmin), "'none'");
    }

    [Fact]
    public async Task Key_rotation_is_followed_without_a_restart()
    {
        await using var app = App();
        (await ListPolicies(app, _kc.UserToken("alice"))).Expect(HttpStatusCode.OK);
        var oldToken = _kc.UserToken("alice");
        var jwksCalls = _kc.CallCount(_kc.JwksPath);

        _kc.RotateSigningKey(keepOld: false, alg: "ES256");
        (await ListPolicies(app, _kc.UserToken("alice"))).Expect(HttpStatusCode.OK);
        Assert.Equal(jwksCalls + 1, _kc.CallCount(_kc.JwksPath));

        // The retired key is gone from the JWKS, so tokens it signed no longer pass.
        AssertRefused(await ListPolicies(app, oldToken), "key");
    }

    [Fact]
    public async Task Unknown_key_ids_refetch_the_keys_at_most_once_per_interval()
    {
        await using var app = App(extra: new() { ["awe:keycloak:jwks_refresh_min_seconds"] = "3600" });
        (await ListPolicies(app, _kc.UserToken("alice"))).Expect(HttpStatusCode.OK);
        var calls = _kc.CallCount(_kc.JwksPath);
        var stranger = _kc.CreateUnpublishedKey();
        for (var i = 0; i < 5; i++)
            AssertRefused(await ListPolicies(app, _kc.UserToken("alice", key: stranger)), "key");
        Assert.Equal(calls, _kc.CallCount(_kc.JwksPath)); // fetched at start-up's first call only; the flood did not hammer Keycloak
    }

    [Fact]
    public async Task Unreachable_jwks_without_cached_keys_is_503_and_recovers()
    {
        await using var app = App();
        var token = _kc.UserToken("alice");
        await _kc.StopAsync();
        var reply = await ListPolicies(app, token);
        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-017", reply.ErrorCode);

        await _kc.RestartAsync();
        (await ListPolicies(app, token)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Dev_mode_is_refused_in_production_unless_allowed_explicitly()
    {
        await using (var refused = new AweApp(_db.ConnectionString, new Dictionary<string, string?> { ["environment"] = "Production" }))
        {
            var e = Assert.ThrowsAny<Exception>(() => refused.Server);
            Assert.Contains("awe.keycloak.issuer is empty", e.ToString());
        }
        await using var allowed = new AweApp(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["environment"] = "Production", ["awe:keycloak:allow_dev_mode"] = "true",
        });
        (await allowed.ClientFor(Tokens.Admin).GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK);
    }
}
