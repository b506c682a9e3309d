using System.Net;
using Awe.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Awe.Host.Tests.Identity.IdentityRules;

namespace Awe.Host.Tests.Identity;

using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// The resolver's client-credentials token: fetched once and reused, renewed shortly before it expires, renewed
/// once when Keycloak refuses it, and wrong credentials reported as such. Each test starts its own host, so the
/// token cache starts cold.
/// </summary>
public sealed class KeycloakTokenTests(KeycloakDatabaseFixture fx) : IClassFixture<KeycloakDatabaseFixture>
{
    private FakeKeycloak Kc => fx.Keycloak;

    private async Task<string> RolePolicyAsync(HttpClient admin, string role, string member)
    {
        Kc.AddUser(member);
        Kc.AddRealmRole(role, null, member);
        return await OneStagePolicyAsync(admin, role.ToLowerInvariant().Replace('_', '-'), "any-n", 1, Role(role));
    }

    [Fact]
    public async Task One_token_serves_many_lookups()
    {
        await using var app = fx.StartApp();
        var admin = app.ClientFor(Tokens.Admin);
        var keys = new List<string>();
        for (var i = 0; i < 3; i++) keys.Add(await RolePolicyAsync(admin, $"ONCE_{i}", $"once-{i}"));
        var before = Kc.CallCount(Kc.TokenPath);

        for (var i = 0; i < 3; i++)
            Assert.Equal([$"once-{i}"], Assignees(await Policies.RequestAsync(admin, keys[i], artifactId: $"once-{i}")));

        Assert.Equal(before + 1, Kc.CallCount(Kc.TokenPath));
    }

    [Fact]
    public async Task The_token_is_renewed_shortly_before_it_expires()
    {
        var clock = new ManualClock();
        await using var app = fx.StartApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var admin = app.ClientFor(Tokens.Admin);
        var key = await RolePolicyAsync(admin, "EXPIRY_ROLE", "expiry-a");
        var before = Kc.CallCount(Kc.TokenPath);

        await Policies.RequestAsync(admin, key, artifactId: "expiry-1");
        Assert.Equal(before + 1, Kc.CallCount(Kc.TokenPath));

        // expires_in is 300 s; the token is used until 30 s before that, then replaced.
        clock.Advance(TimeSpan.FromSeconds(265));
        await Policies.RequestAsync(admin, key, artifactId: "expiry-2");
        Assert.Equal(before + 1, Kc.CallCount(Kc.TokenPath));

        clock.Advance(TimeSpan.FromSeconds(10));
        await Policies.RequestAsync(admin, key, artifactId: "expiry-3");
        Assert.Equal(before + 2, Kc.CallCount(Kc.TokenPath));
    }

    [Fact]
    public async Task A_refused_token_is_replaced_once_and_the_lookup_succeeds()
    {
        await using var app = fx.StartApp();
        var admin = app.ClientFor(Tokens.Admin);
        var key = await RolePolicyAsync(admin, "REVOKE_ROLE", "revoke-a");
        await Policies.RequestAsync(admin, key, artifactId: "revoke-1");
        var tokens = Kc.CallCount(Kc.TokenPath);
        var lookups = Kc.CallCount(Kc.AdminPath("roles/REVOKE_ROLE/users"));

        Kc.RevokeAdminTokens();
        Assert.Equal(["revoke-a"], Assignees(await Policies.RequestAsync(admin, key, artifactId: "revoke-2")));

        Assert.Equal(tokens + 1, Kc.CallCount(Kc.TokenPath));
        Assert.Equal(lookups + 2, Kc.CallCount(Kc.AdminPath("roles/REVOKE_ROLE/users"))); // the 401, then the retry
    }

    [Fact]
    public async Task Wrong_client_credentials_are_reported_as_such()
    {
        await using var app = fx.StartApp(s => s["awe:keycloak:admin_client_secret"] = "not-the-secret");
        var admin = app.ClientFor(Tokens.Admin);
        var key = await RolePolicyAsync(admin, "CRED_ROLE", "cred-a");

        var reply = await TryRequestAsync(admin, key, "cred-1");

        reply.Expect(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("AWE-011", reply.ErrorCode);
        Assert.Contains("refused the client credentials of 'awe-admin-resolver'", Message(reply));
        Assert.Contains("admin_client_secret", Message(reply));
    }

    [Fact]
    public async Task A_failing_token_endpoint_is_503()
    {
        await using var app = fx.StartApp();
        var admin = app.ClientFor(Tokens.Admin);
        var key = await RolePolicyAsync(admin, "TOKFAIL_ROLE", "tokfail-a");
        Kc.Fail(Kc.TokenPath, 503);
        try
        {
            var reply = await TryRequestAsync(admin, key, "tokfail-1");

            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains("token endpoint answered HTTP 503", Message(reply));
        }
        finally
        {
            Kc.ClearFaults();
        }
    }
}

/// <summary>keycloak.verify_ssl: a self-signed Keycloak is refused by default and accepted when verification is off.</summary>
public sealed class KeycloakTlsTests(HttpsKeycloakDatabaseFixture fx) : IClassFixture<HttpsKeycloakDatabaseFixture>
{
    [Fact]
    public async Task A_self_signed_keycloak_needs_verify_ssl_false()
    {
        fx.Keycloak.AddUser("tls-a");
        fx.Keycloak.AddRealmRole("TLS_ROLE", null, "tls-a");

        await using (var verifying = fx.StartApp())
        {
            var admin = verifying.ClientFor(Tokens.Admin);
            var key = await OneStagePolicyAsync(admin, "tls", "any-n", 1, Role("TLS_ROLE"));
            var reply = await TryRequestAsync(admin, key, "tls-1");
            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains("SSL", Message(reply));
            Assert.Equal(0, fx.Keycloak.CallCount(fx.Keycloak.TokenPath)); // the TLS handshake failed before any request

            await using var lenient = fx.StartApp(s => s["awe:keycloak:verify_ssl"] = "false");
            var created = await Policies.RequestAsync(lenient.ClientFor(Tokens.Admin), key, artifactId: "tls-1");
            Assert.Equal(["tls-a"], Assignees(created));
        }
    }
}
