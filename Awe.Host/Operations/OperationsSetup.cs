using Awe.Host.Persistence;

namespace Awe.Host.Operations;

public static class OperationsSetup
{
    /// <summary>Database start-up with retries and the readiness it feeds (replaces migrating before app.Run).</summary>
    public static IServiceCollection AddAweDatabaseStartup(this IServiceCollection services, DatabaseKind kind)
    {
        services.AddSingleton<DatabaseReadiness>();
        services.AddHostedService(sp => new DatabaseStartup(sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<DatabaseReadiness>(), kind, sp.GetRequiredService<ILogger<DatabaseStartup>>(),
            sp.GetServices<IAfterMigration>().ToList()));
        return services;
    }

    /// <summary>The retention purge (awe.retention), in every replica.</summary>
    public static IServiceCollection AddAweRetention(this IServiceCollection services)
    {
        services.AddHostedService<RetentionWorker>();
        return services;
    }
}

/// <summary>
/// Work that needs the migrated schema and must be done before the host reports ready (e.g. importing policy files).
/// Runs inside each start-up attempt, so a database that drops mid-way is retried like the migration itself.
/// </summary>
public interface IAfterMigration
{
    Task RunAsync(IServiceProvider services, CancellationToken ct);
}
