namespace Awe.Client;

public sealed class AweClientOptions
{
    /// <summary>Where AWE runs, e.g. http://localhost:8000 (the API's paths start with /v1/awe).</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>A fixed bearer token. Leave empty to use <see cref="ClientCredentials"/> or <see cref="TokenProvider"/>.</summary>
    public string? Token { get; set; }

    /// <summary>OIDC client credentials (a Keycloak service account): tokens are fetched and renewed before they expire.</summary>
    public ClientCredentials? ClientCredentials { get; set; }

    /// <summary>Any other source of bearer tokens; called before each request.</summary>
    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; set; }

    /// <summary>How often a 503 (AWE-011 directory down, AWE-017 keys unavailable, a restarting server) is retried. 0 turns retries off.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Wait before the first retry, doubled for each further one; a Retry-After header from the server wins.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>A confidential client's credentials; TokenEndpoint is e.g. https://keycloak.example.org/realms/openg2p/protocol/openid-connect/token.</summary>
public sealed record ClientCredentials(Uri TokenEndpoint, string ClientId, string ClientSecret, string? Scope = null);
