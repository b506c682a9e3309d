using System.Text.Json;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;
using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Configuration;
using Awe.Host.Deadlines;
using Awe.Host.Delegations;
using Awe.Host.Hosting;
using Awe.Host.Identity;
using Awe.Host.Observability;
using Awe.Host.OpenApi;
using Awe.Host.Operations;
using Awe.Host.Persistence;
using Awe.Host.Policies;
using Awe.Host.RateLimiting;
using Awe.Host.Requests;
using Awe.Host.Status;
using Awe.Host.Tasks;
using Awe.Host.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Scalar.AspNetCore;

// The image's HEALTHCHECK runs the same binary: answer it without starting a host.
if (args is [HealthCheckCommand.Verb, ..]) Environment.Exit(await HealthCheckCommand.RunAsync(args));

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddAweConfiguration(args);

// Unknown keys and wrong types first: binding would throw on a type error and ignore a typo.
var problems = ConfigurationShape.Check(builder.Configuration.GetSection("awe"));
var awe = problems.Count == 0 ? builder.Configuration.GetSection("awe").Get<AweOptions>() ?? new AweOptions() : new AweOptions();
if (problems.Count == 0) problems = [.. ConfigurationSetup.Validate(awe, builder.Environment.EnvironmentName)];
if (problems.Count > 0)
    throw new InvalidOperationException("invalid configuration:\n  - " + string.Join("\n  - ", problems));
builder.Services.Configure<AweOptions>(builder.Configuration.GetSection("awe"));

builder.AddAweHosting(awe);
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = awe.Server.MaxBodyBytes;
    // Kestrel answers its own limits with a bodiless status before any middleware runs. Its header and URL limits
    // are set well above ours so that an oversized token or URL reaches ErrorHandlingMiddleware and is answered in
    // the error envelope; only something far beyond (4x) still meets Kestrel's bare 431/414.
    k.Limits.MaxRequestHeadersTotalSize = awe.Server.MaxHeaderBytes * 4;
    k.Limits.MaxRequestLineSize = Math.Max(k.Limits.MaxRequestLineSize, awe.Server.MaxHeaderBytes * 4);
    k.Limits.MaxRequestHeaderCount = 1000;
    // Header bytes outside ASCII would otherwise be a bare 400 from Kestrel: read them as UTF-8 (invalid sequences
    // become U+FFFD) so the header reaches AWE and is judged like any other value (e.g. a token → 401 in the envelope).
    k.RequestHeaderEncodingSelector = _ => System.Text.Encoding.UTF8;
});

var (dbKind, connectionString) = DatabaseSetup.Resolve(builder.Configuration.GetConnectionString("Awe"));
builder.Services.AddAweDatabase(dbKind, connectionString);
builder.Services.AddAweDatabaseStartup(dbKind);
builder.Services.AddAweRetention();
// Policy files are validated now, so a bad file stops the start at once; they are applied after the migrations.
if (awe.Workflows.ImportDir is { Length: > 0 } importDir)
{
    var policyFiles = PolicyImport.Read(importDir);
    builder.Services.AddSingleton<IAfterMigration>(sp =>
        new PolicyImportStep(policyFiles, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PolicyImportStep>>()));
}

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
builder.Services.AddScoped<DatabaseDelegationLookup>();
builder.Services.AddScoped<IDelegationLookup>(services => services.GetRequiredService<DatabaseDelegationLookup>());
builder.Services.AddSingleton(new RunnerSettings(awe.Resolver.RetryBackoffSeconds, awe.Limits.MaxApproversPerStage, awe.Limits.MaxTasksPerRequest,
    awe.Sla.MaxEscalations, Calendars.All(awe)));
builder.Services.AddScoped<ApprovalRunner>();
builder.Services.AddHostedService<ResolutionRetryWorker>();
builder.Services.AddScoped<InstanceStore>();
builder.Services.AddSingleton<TimerScheduler>();
builder.Services.AddHostedService(services => services.GetRequiredService<TimerScheduler>());
builder.Services.AddSingleton<Awe.Host.Notifications.MailTemplates>();
builder.Services.AddSingleton<Awe.Host.Notifications.RecipientAddresses>();
builder.Services.AddSingleton<Awe.Host.Notifications.NotificationSender>();
builder.Services.AddHostedService(services => services.GetRequiredService<Awe.Host.Notifications.NotificationSender>());
builder.Services.AddScoped<AuditLog>();
builder.Services.AddScoped<CallbackSecrets>();
builder.Services.AddDataProtection().SetApplicationName("awe").PersistKeysToDbContext<AweDbContext>();
builder.Services.AddAweKeyRingEncryption(awe);
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
builder.Services.AddAweOpenApi();
builder.Services.AddAweRateLimiting(awe.RateLimit);
builder.Services.AddAweTelemetry(awe.Telemetry);

var app = builder.Build();

// An Activity for every request (propagation only, nothing recorded) so that each one has a W3C trace id, the
// caller's when it sent a traceparent: error answers and logs quote it (ErrorHandlingMiddleware.TraceId).
var traceListener = new System.Diagnostics.ActivityListener
{
    ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
    Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.PropagationData,
};
System.Diagnostics.ActivitySource.AddActivityListener(traceListener);
app.Lifetime.ApplicationStopped.Register(traceListener.Dispose);

if (awe.Keycloak.DevMode)
    app.Logger.LogWarning("DEV MODE: awe.keycloak.issuer is empty, so bearer tokens are accepted WITHOUT signature verification. Never run like this in production.");
else
    app.Logger.LogInformation("Bearer tokens are verified against issuer {Issuer}", awe.Keycloak.Issuer);

app.Logger.LogInformation("Database: {Kind}; configuration: {File}", dbKind, builder.Configuration["awe_config_file"]);

app.UseAweForwardedHeaders();
app.UseAweRequestTelemetry();
app.UseMiddleware<ErrorHandlingMiddleware>();
app.UseStatusCodePages(ErrorHandlingMiddleware.WriteEmptyStatusAsync);
app.UseAuthentication();
// After authentication: the limit is per token subject (client IP without a valid token).
app.UseAweRateLimiting(awe.RateLimit);

var api = app.MapGroup("/v1/awe");
api.MapAweHealth();
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

// Prometheus text format on the management port: AweMetrics, the webhook backlog, runtime and EF Core meters.
app.MapAweMetrics(awe);
app.MapOpenApi("/v1/awe/openapi.json");
app.MapScalarApiReference("/v1/awe/docs", o => o.WithOpenApiRoutePattern("/v1/awe/openapi.json").WithTitle("AWE API"));

if (awe.Studio.Serve) await EmbeddedStudio.RunBesideAsync(app, awe.Studio.Url);
else app.Run();

public partial class Program;
