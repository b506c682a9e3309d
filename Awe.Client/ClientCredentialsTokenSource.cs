using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Awe.Client;

/// <summary>OAuth 2.0 client credentials grant; the token is reused until shortly before it expires.</summary>
public sealed class ClientCredentialsTokenSource(ClientCredentials credentials, HttpClient http, TimeProvider? clock = null)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly TimeProvider time = clock ?? TimeProvider.System;
    private string? token;
    private DateTimeOffset renewAt;

    public async ValueTask<string> GetAsync(CancellationToken ct)
    {
        if (token is not null && time.GetUtcNow() < renewAt) return token;
        await gate.WaitAsync(ct);
        try
        {
            if (token is not null && time.GetUtcNow() < renewAt) return token;
            var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
            if (credentials.Scope is { } scope) form["scope"] = scope;
            using var message = new HttpRequestMessage(HttpMethod.Post, credentials.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
            // client_secret_basic (RFC 6749 2.3.1), which Keycloak and every OIDC provider accept.
            message.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(
                System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(credentials.ClientId)}:{Uri.EscapeDataString(credentials.ClientSecret)}")));
            using var response = await http.SendAsync(message, ct);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"token endpoint {credentials.TokenEndpoint} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}",
                    null, response.StatusCode);
            var answer = await response.Content.ReadFromJsonAsync<TokenAnswer>(ct)
                         ?? throw new HttpRequestException($"token endpoint {credentials.TokenEndpoint} answered no token");
            token = answer.AccessToken;
            // Renewed at 80% of its life, so that a request never leaves with a token about to expire.
            renewAt = time.GetUtcNow().AddSeconds(Math.Max(1, answer.ExpiresIn) * 0.8);
            return token;
        }
        finally
        {
            gate.Release();
        }
    }

    private sealed record TokenAnswer([property: JsonPropertyName("access_token")] string AccessToken, [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
