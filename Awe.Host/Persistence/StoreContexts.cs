using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Awe.Host.Persistence;

/// <summary>PostgreSQL; migrations in Persistence/Migrations/Postgres.</summary>
public sealed class PostgresAweDbContext(DbContextOptions<PostgresAweDbContext> options) : AweDbContext(options);

/// <summary>The embedded SQLite file; migrations in Persistence/Migrations/Sqlite, so an existing file is upgraded in place.</summary>
public sealed class SqliteAweDbContext(DbContextOptions<SqliteAweDbContext> options) : AweDbContext(options);

/// <summary>Lets `dotnet ef migrations add X --context PostgresAweDbContext` build the model without the host.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAweDbContext>
{
    public PostgresAweDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgresAweDbContext>();
        options.UseAweDatabase(DatabaseKind.Postgres, "Host=localhost;Database=awe_design;Username=postgres");
        return new PostgresAweDbContext(options.Options);
    }
}

/// <summary>Lets `dotnet ef migrations add X --context SqliteAweDbContext` build the model without the host.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAweDbContext>
{
    public SqliteAweDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqliteAweDbContext>();
        options.UseAweDatabase(DatabaseKind.Sqlite, "Data Source=awe_design.db");
        return new SqliteAweDbContext(options.Options);
    }
}
