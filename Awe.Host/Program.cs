using System.Text.Json;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;
using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Configuration;
using Awe.Host.Deadlines;
using Awe.Host.Delegations;
using Awe.Host.Identity;
using Awe.Host.Persistence;
using Awe.Host.Policies;
using Awe.Host.Requests;
using Awe.Host.Status;
using Awe.Host.Tasks;
using Awe.Host.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using Prometheus;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddAweConfiguration(args);

var awe = builder.Configuration.GetSection("awe").Get<AweOptions>() ?? new AweOptions();
var problems = ConfigurationSetup.Validate(awe, builder.Environment.EnvironmentName);
if (problems.Count > 0)
    throw new InvalidOperationException("invalid configuration:\n  - " + string.Join("\n  - ", problems));
builder.Services.Configure<AweOptions>(builder.Configuration.GetSection("awe"));

// Bind awe.server.port on localhost unless the deployment chose addresses itself (--urls, ASPNETCORE_URLS,
// ASPNETCORE_HTTP_PORTS as the container image does).
if (new[] { WebHostDefaults.ServerUrlsKey, WebHostDefaults.HttpPortsKey, WebHostDefaults.HttpsPortsKey }.All(k => string.IsNullOrEmpty(builder.Configuration[k])))
    builder.WebHost.UseUrls($"http://localhost:{awe.Server.Port}");
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = awe.Server.MaxBodyBytes);

var (dbKind, connectionString) = DatabaseSetup.Resolve(builder.Configuration.GetConnectionString("Awe"));
builder.Services.AddAweDatabase(dbKind, connectionString);

builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
    o.SerializerOptions.DictionaryKeyPolicy = null;
});
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

if (awe.Keycloak.DevMode)
    builder.Services.AddAuthentication(DevModeAuthenticationHandler.SchemeName)
        .AddScheme<AuthenticationSchemeOptions, DevModeAuthenticationHandler>(DevModeAuthenticationHandler.SchemeName, null);
else
    builder.Services.AddAuthentication(JwtAuthenticationHandler.SchemeName)
        .AddScheme<AuthenticationSchemeOptions, JwtAuthenticationHandler>(JwtAuthenticationHandler.SchemeName, null);
builder.Services.AddSingleton<JwksKeySource>();
builder.Services.AddHttpClient(JwksKeySource.HttpClientName)
    .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
    {
        SslOptions = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AweOptions>>().Value.Keycloak.VerifySsl
            ? new System.Net.Security.SslClientAuthenticationOptions()
            : new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    });

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<DefinitionCache>();
builder.Services.AddAweApproverResolution();
builder.Services.AddScoped<IDelegationLookup, DatabaseDelegationLookup>();
builder.Services.AddSingleton(new RunnerSettings(awe.Resolver.RetryBackoffSeconds, awe.Sla.MaxEscalations, Calendars.All(awe)));
builder.Services.AddScoped<ApprovalRunner>();
builder.Services.AddHostedService<ResolutionRetryWorker>();
builder.Services.AddScoped<InstanceStore>();
builder.Services.AddSingleton<TimerSignal>();
builder.Services.AddSingleton<TimerScheduler>();
builder.Services.AddHostedService(services => services.GetRequiredService<TimerScheduler>());
builder.Services.AddSingleton<Awe.Host.Notifications.MailTemplates>();
builder.Services.AddSingleton<Awe.Host.Notifications.RecipientAddresses>();
builder.Services.AddSingleton<Awe.Host.Notifications.NotificationSender>();
builder.Services.AddHostedService(services => services.GetRequiredService<Awe.Host.Notifications.NotificationSender>());
builder.Services.AddScoped<AuditLog>();
builder.Services.AddScoped<CallbackSecrets>();
builder.Services.AddDataProtection().SetApplicationName("awe").PersistKeysToDbContext<AweDbContext>();
builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
    .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
    {
        // Redirects are not followed: a 3xx is a failed attempt, so a callback cannot bounce us to an internal address.
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = OutboundAddressPolicy.ConnectCallback(
            () => services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<AweOptions>>().CurrentValue.Outbound.AllowPrivateNetworks),
    })
    .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan);
builder.Services.AddSingleton<WebhookDispatcher>();
builder.Services.AddHostedService(services => services.GetRequiredService<WebhookDispatcher>());
builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
{
    doc.Info.Title = "AWE — approval workflow engine";
    doc.Info.Description = "Policies, requests, tasks and decisions under /v1/awe. Errors use the envelope {id, version, responsetime, response: null, errors: [{errorCode, message}]}.";
    return Task.CompletedTask;
}));

var app = builder.Build();

if (awe.Keycloak.DevMode)
    app.Logger.LogWarning("DEV MODE: awe.keycloak.issuer is empty, so bearer tokens are accepted WITHOUT signature verification. Never run like this in production.");
else
    app.Logger.LogInformation("Bearer tokens are verified against issuer {Issuer}", awe.Keycloak.Issuer);

using (var scope = app.Services.CreateScope())
{
    var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
    await DatabaseSetup.InitializeAsync(db, dbKind, CancellationToken.None);
    app.Logger.LogInformation("Database: {Kind}; configuration: {File}", dbKind, builder.Configuration["awe_config_file"]);
}

app.UseMiddleware<ErrorHandlingMiddleware>();
app.UseStatusCodePages(ErrorHandlingMiddleware.WriteEmptyStatusAsync);
app.UseAuthentication();

var api = app.MapGroup("/v1/awe");
StatusEndpoints.Map(api);
PolicyEndpoints.Map(api);
RequestEndpoints.Map(api);
TaskEndpoints.Map(api);
DelegationEndpoints.Map(api);
AuditEndpoints.Map(api);
DeliveryEndpoints.Map(api);
CallbackSecretEndpoints.Map(api);
Awe.Host.Notifications.NotificationEndpoints.Map(api);
KeycloakPickerEndpoints.Map(api);

// Prometheus text format: AweMetrics plus the runtime, ASP.NET Core and HttpClient meters.
app.MapMetrics("/v1/awe/metrics");
app.MapOpenApi("/v1/awe/openapi.json");
app.MapScalarApiReference("/v1/awe/docs", o => o.WithOpenApiRoutePattern("/v1/awe/openapi.json").WithTitle("AWE API"));

app.Run();

public partial class Program;
