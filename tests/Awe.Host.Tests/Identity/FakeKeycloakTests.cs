using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Identity;

/// <summary>
/// The fake Keycloak itself: its tokens verify against its published keys the way a real validator checks them
/// (discovery → jwks_uri → key by kid), and its admin API keeps Keycloak's rules (bearer required, default page
/// of 100, first/max honoured). Other tests rely on this fidelity.
/// </summary>
public sealed class FakeKeycloakTests : IAsyncLifetime
{
    private FakeKeycloak kc = null!;
    private readonly HttpClient http = new();

    public async Task InitializeAsync() => kc = await FakeKeycloak.StartAsync();

    public async Task DisposeAsync()
    {
        http.Dispose();
        await kc.DisposeAsync();
    }

    private async Task<JsonNode> GetJsonAsync(string url) => JsonNode.Parse(await http.GetStringAsync(url))!;

    private static byte[] B64(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + (4 - s.Length % 4) % 4, '='));

    /// <summary>Verifies a compact JWS with the published key named by its kid, from the discovery document onwards.</summary>
    private async Task<bool> VerifiesAsync(string token)
    {
        var discovery = await GetJsonAsync($"{kc.BaseUrl}{kc.DiscoveryPath}");
        var jwks = await GetJsonAsync((string)discovery["jwks_uri"]!);
        var parts = token.Split('.');
        var header = JsonNode.Parse(B64(parts[0]))!;
        var jwk = jwks["keys"]!.AsArray().SingleOrDefault(k => (string?)k!["kid"] == (string?)header["kid"]);
        if (jwk is null || (string?)jwk["use"] != "sig" || (string?)jwk["alg"] != (string?)header["alg"]) return false;
        var data = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        var signature = B64(parts[2]);
        if ((string?)jwk["kty"] == "RSA")
        {
            using var rsa = RSA.Create(new RSAParameters { Modulus = B64((string)jwk["n"]!), Exponent = B64((string)jwk["e"]!) });
            // x5c carries the same public key in a certificate.
            using var cert = X509CertificateLoader.LoadCertificate(Convert.FromBase64String((string)jwk["x5c"]![0]!));
            Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), cert.GetRSAPublicKey()!.ExportSubjectPublicKeyInfo());
            return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        using var ec = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = B64((string)jwk["x"]!), Y = B64((string)jwk["y"]!) },
        });
        return ec.VerifyData(data, signature, HashAlgorithmName.SHA256);
    }

    [Fact]
    public async Task User_tokens_are_signed_with_a_published_key_and_carry_keycloaks_claims()
    {
        kc.AddUser("ft-alice", "alice@example.org", "Alice", "Doe");
        kc.AddRealmRole("FT_ROLE", null, "ft-alice");
        kc.AddClientRole(FakeKeycloak.PortalClientId, "AWE_VIEWER", null, "ft-alice");

        var token = kc.UserToken("ft-alice");

        Assert.True(await VerifiesAsync(token));
        var claims = JsonNode.Parse(B64(token.Split('.')[1]))!;
        Assert.Equal(kc.Issuer, (string?)claims["iss"]);
        Assert.Equal("ft-alice", (string?)claims["preferred_username"]);
        Assert.Equal("Alice Doe", (string?)claims["name"]);
        Assert.Contains("FT_ROLE", claims["realm_access"]!["roles"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(["AWE_VIEWER"], claims["resource_access"]![FakeKeycloak.PortalClientId]!["roles"]!.AsArray().Select(r => (string)r!));
        // A token edited after signing no longer verifies.
        var parts = token.Split('.');
        var forged = $"{parts[0]}.{FakeKeycloak.B64Url(Encoding.UTF8.GetBytes(claims.ToJsonString().Replace("ft-alice", "ft-mallory")))}.{parts[2]}";
        Assert.False(await VerifiesAsync(forged));
    }

    [Fact]
    public async Task Rotation_publishes_the_new_kid_and_drops_the_old_unless_kept()
    {
        kc.AddUser("ft-bob");
        var before = kc.UserToken("ft-bob");

        var es = kc.RotateSigningKey(keepOld: true, alg: "ES256");
        var after = kc.UserToken("ft-bob");
        Assert.Equal(es.Kid, (string?)JsonNode.Parse(B64(after.Split('.')[0]))!["kid"]);
        Assert.True(await VerifiesAsync(before));
        Assert.True(await VerifiesAsync(after));

        kc.RotateSigningKey();
        Assert.False(await VerifiesAsync(before));
        Assert.False(await VerifiesAsync(after));
        Assert.True(await VerifiesAsync(kc.UserToken("ft-bob")));

        var hidden = kc.CreateUnpublishedKey();
        var early = kc.UserToken("ft-bob", hidden);
        Assert.False(await VerifiesAsync(early));
        kc.Publish(hidden);
        Assert.True(await VerifiesAsync(early));
    }

    [Fact]
    public async Task Admin_calls_need_a_client_credentials_token_and_page_like_keycloak()
    {
        kc.AddUsers("ft-page", 250);
        var users = kc.AdminPath("users");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"{kc.BaseUrl}{users}")).StatusCode);

        var wrong = await http.PostAsync($"{kc.BaseUrl}{kc.TokenPath}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = FakeKeycloak.ResolverClientId, ["client_secret"] = "nope",
        }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        var answer = JsonNode.Parse(await (await http.PostAsync($"{kc.BaseUrl}{kc.TokenPath}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = FakeKeycloak.ResolverClientId, ["client_secret"] = FakeKeycloak.ResolverSecret,
        }))).Content.ReadAsStringAsync())!;
        Assert.Equal("Bearer", (string?)answer["token_type"]);
        Assert.Equal(300, (int)answer["expires_in"]!);
        var token = (string)answer["access_token"]!;
        Assert.True(await VerifiesAsync(token));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        Assert.Equal(100, (await GetJsonAsync($"{kc.BaseUrl}{users}?search=ft-page")).AsArray().Count); // Keycloak's default max
        var last = (await GetJsonAsync($"{kc.BaseUrl}{users}?search=ft-page&first=200&max=100")).AsArray();
        Assert.Equal(50, last.Count);
        Assert.Equal("ft-page-00201", (string?)last[0]!["username"]);

        kc.RevokeAdminTokens();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"{kc.BaseUrl}{users}")).StatusCode);
    }
}
