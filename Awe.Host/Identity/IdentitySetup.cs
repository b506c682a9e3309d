using System.Net.Security;
using Awe.Activities.Resolution;
using Awe.Host.Configuration;
using Awe.Host.Webhooks;
using Microsoft.Extensions.Options;

namespace Awe.Host.Identity;

public static class IdentitySetup
{
    /// <summary>
    /// Approver resolution: literal and expression rules in the core, role and group rules through the Keycloak
    /// admin API, http rules through their URL. Resolvers are scoped so lookups are shared within one activation.
    /// </summary>
    public static IServiceCollection AddAweApproverResolution(this IServiceCollection services)
    {
        services.AddSingleton<KeycloakAdminClient>();
        services.AddSingleton<KeycloakDirectoryResolver>();
        services.AddSingleton<HttpRuleResolver>();
        services.AddScoped<IDirectoryResolver, RoutingDirectoryResolver>();
        services.AddScoped<IApproverResolver, RuleResolver>();

        // Keycloak is the operator's own service (often on a private network): no outbound address policy, but
        // keycloak.verify_ssl: false turns off certificate checks for this client only.
        services.AddHttpClient(KeycloakAdminClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var handler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
                if (!sp.GetRequiredService<IOptionsMonitor<AweOptions>>().CurrentValue.Keycloak.VerifySsl)
                    handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };
                return handler;
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan);

        // HTTP rules call URLs written in policies: the same address policy as webhook callbacks, no redirects.
        services.AddHttpClient(HttpRuleResolver.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectCallback = OutboundAddressPolicy.ConnectCallback(
                    () => sp.GetRequiredService<IOptionsMonitor<AweOptions>>().CurrentValue.Outbound.AllowPrivateNetworks),
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }
}
