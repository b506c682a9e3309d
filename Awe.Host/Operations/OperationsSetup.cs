using Awe.Host.Persistence;

namespace Awe.Host.Operations;

public static class OperationsSetup
{
    /// <summary>Database start-up with retries and the readiness it feeds (replaces migrating before app.Run).</summary>
    public static IServiceCollection AddAweDatabaseStartup(this IServiceCollection services, DatabaseKind kind)
    {
        services.AddSingleton<DatabaseReadiness>();
        services.AddHostedService(sp => new DatabaseStartup(sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<DatabaseReadiness>(), kind, sp.GetRequiredService<ILogger<DatabaseStartup>>()));
        return services;
    }

    /// <summary>The retention purge (awe.retention), in every replica.</summary>
    public static IServiceCollection AddAweRetention(this IServiceCollection services)
    {
        services.AddHostedService<RetentionWorker>();
        return services;
    }
}
