using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Persistence;

public static class DbErrors
{
    /// <summary>True when a save lost a race on a unique key (PostgreSQL 23505, SQLite constraint 19/2067).</summary>
    public static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == "23505",
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19,
        _ => false,
    };
}
