using Microsoft.Extensions.Configuration;

namespace Awe.Studio.Configuration;

/// <summary>
/// The <c>awe:studio</c> settings (environment: AWE__STUDIO__API_BASE_URL, AWE__STUDIO__KEYCLOAK__URL, …).
/// Studio's own addresses are ASP.NET Core's (ASPNETCORE_URLS; default http://localhost:8080).
/// </summary>
public sealed class StudioOptions
{
    public const string Section = "awe:studio";
    public const string DefaultApiBaseUrl = "http://localhost:8000";
    public const string DefaultUrls = "http://localhost:8080";

    /// <summary>Where Studio reaches the API (server side) and where it forwards the browser's /v1/awe/* calls.</summary>
    [ConfigurationKeyName("api_base_url")] public string ApiBaseUrl { get; set; } = DefaultApiBaseUrl;

    [ConfigurationKeyName("keycloak")] public StudioKeycloakOptions Keycloak { get; set; } = new();

    /// <summary>Dev mode outside Development must be asked for, as the API's keycloak.allow_dev_mode.</summary>
    [ConfigurationKeyName("allow_dev_mode")] public bool AllowDevMode { get; set; }

    /// <summary>No Keycloak configured: the dev sign-in page mints the unsigned tokens the API's dev mode accepts.</summary>
    public bool DevMode => string.IsNullOrWhiteSpace(Keycloak.Url);
}

public sealed class StudioKeycloakOptions
{
    /// <summary>Keycloak's base URL as the browser reaches it, e.g. https://keycloak.example.org; empty = dev mode.</summary>
    [ConfigurationKeyName("url")] public string Url { get; set; } = "";
    /// <summary>Keycloak as Studio reaches it server side (discovery, token refresh) when that differs from
    /// <see cref="Url"/>, e.g. http://keycloak:8080 inside docker compose; empty = <see cref="Url"/>.</summary>
    [ConfigurationKeyName("internal_url")] public string InternalUrl { get; set; } = "";
    [ConfigurationKeyName("realm")] public string Realm { get; set; } = "staff";
    /// <summary>The public client Studio signs in with (authorization code + PKCE, no secret).</summary>
    [ConfigurationKeyName("client_id")] public string ClientId { get; set; } = "awe-admin-portal";

    public string Authority => $"{Url.TrimEnd('/')}/realms/{Uri.EscapeDataString(Realm)}";

    public string MetadataAddress =>
        $"{(string.IsNullOrWhiteSpace(InternalUrl) ? Url : InternalUrl).TrimEnd('/')}/realms/{Uri.EscapeDataString(Realm)}/.well-known/openid-configuration";
}
