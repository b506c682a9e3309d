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

    /// <summary>
    /// True when the database could not be reached or dropped the session: refused or broken connections, timeouts,
    /// an exhausted pool, a server shutting down or starting up (SQLSTATE class 08, 57P01–57P03, 53300). Not a fault in
    /// the request or in AWE: the caller gets 503 AWE-006 and may retry, and the workers try again next round.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case Npgsql.PostgresException pg:
                    return pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300";
                case Npgsql.NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
            }
        }
        return false;
    }
}
