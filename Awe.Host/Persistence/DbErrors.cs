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

    /// <summary>
    /// True when PostgreSQL refused a value it cannot represent (22021: a NUL byte in text; 22P05: \u0000 in jsonb).
    /// Only caller-supplied text (a URL segment, a query value) gets that far, so it is a bad request, not a fault.
    /// </summary>
    public static bool IsUnstorableText(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is Npgsql.PostgresException { SqlState: "22021" or "22P05" }) return true;
        return false;
    }
}
