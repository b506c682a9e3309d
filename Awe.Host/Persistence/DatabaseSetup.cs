using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Persistence;

public enum DatabaseKind { Sqlite, Postgres }

public static class DatabaseSetup
{
    /// <summary>
    /// ConnectionStrings:Awe selects the store: unset → SQLite file ./data/awe.db; "Data Source=PATH" → SQLite at
    /// PATH; anything else is an Npgsql connection string ("Host=...") → PostgreSQL.
    /// </summary>
    public static (DatabaseKind Kind, string ConnectionString) Resolve(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            var dir = Path.Combine(Directory.GetCurrentDirectory(), "data");
            Directory.CreateDirectory(dir);
            return (DatabaseKind.Sqlite, $"Data Source={Path.Combine(dir, "awe.db")}");
        }
        if (configured.TrimStart().StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase))
        {
            var path = configured.Split('=', 2)[1].Split(';')[0].Trim();
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(folder) && path != ":memory:") Directory.CreateDirectory(folder);
            return (DatabaseKind.Sqlite, configured);
        }
        return (DatabaseKind.Postgres, WithoutResetOnClose(configured));
    }

    /// <summary>
    /// Npgsql resets a pooled connection's session (DISCARD ALL) at every checkout by default: one more statement on
    /// every request. AWE keeps no session state on a pooled connection (no SET, no temporary tables, no LISTEN; the
    /// start-up migration lock is unlocked before its connection goes back), and Npgsql still rolls back an open transaction at
    /// checkout, so the reset is skipped unless the connection string asks for it ("No Reset On Close=false").
    /// </summary>
    public static string WithoutResetOnClose(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(k => k.Replace(" ", "").Equals("NoResetOnClose", StringComparison.OrdinalIgnoreCase)))
            return connectionString;
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString;
    }

    public static void UseAweDatabase(this DbContextOptionsBuilder options, DatabaseKind kind, string connectionString)
    {
        if (kind == DatabaseKind.Sqlite)
            options.UseSqlite(connectionString, o => o.MigrationsHistoryTable("__ef_migrations_history"));
        else
            options.UseNpgsql(connectionString, o => o.MigrationsHistoryTable("__ef_migrations_history"));
    }

    /// <summary>Registers AweDbContext as the subclass of the chosen store.</summary>
    public static void AddAweDatabase(this IServiceCollection services, DatabaseKind kind, string connectionString)
    {
        services.AddSingleton<Webhooks.DeliverySignal>();
        services.AddSingleton<Deadlines.TimerSignal>();
        services.AddSingleton<CommitSignalInterceptor>();
        services.AddSingleton<BulkTaskWriter>();
        void Configure(IServiceProvider sp, DbContextOptionsBuilder o)
        {
            o.UseAweDatabase(kind, connectionString);
            o.AddInterceptors(sp.GetRequiredService<CommitSignalInterceptor>(), sp.GetRequiredService<BulkTaskWriter>());
        }
        if (kind == DatabaseKind.Sqlite)
            services.AddDbContext<AweDbContext, SqliteAweDbContext>(Configure);
        else
            services.AddDbContext<AweDbContext, PostgresAweDbContext>(Configure);
    }

    /// <summary>Brings the schema up to date through the store's migrations (several replicas may race; EF takes a lock).</summary>
    public static async Task InitializeAsync(AweDbContext db, DatabaseKind kind, CancellationToken ct)
    {
        await db.Database.MigrateAsync(ct);
        // WAL lets SQLite readers proceed while a writer holds the lock.
        if (kind == DatabaseKind.Sqlite) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }
}
