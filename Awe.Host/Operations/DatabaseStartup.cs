using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Operations;

/// <summary>
/// Reaches the database and migrates it, retrying with backoff while it is unreachable instead of letting the
/// process die (a pod in CrashLoopBackOff waits ever longer between restarts; this one is ready seconds after the
/// database is). The first attempt runs inside StartAsync, so a host whose database is up starts exactly as before:
/// schema current before the first request. Later attempts run in the background while /health/live answers.
/// </summary>
public sealed class DatabaseStartup(IServiceScopeFactory scopes, DatabaseReadiness readiness, DatabaseKind kind,
    ILogger<DatabaseStartup> log, IReadOnlyList<IAfterMigration>? afterMigration = null) : IHostedService
{
    /// <summary>Waits between attempts; the last one repeats.</summary>
    public static readonly TimeSpan[] Backoff =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(15)];

    private readonly CancellationTokenSource _stopping = new();
    private Task? _retrying;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await TryOnceAsync(1, cancellationToken)) return;
        _retrying = RetryAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_retrying is not null) await Task.WhenAny(_retrying, Task.Delay(Timeout.Infinite, cancellationToken));
    }

    private async Task RetryAsync(CancellationToken ct)
    {
        for (var attempt = 2; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                await Task.Delay(Backoff[Math.Min(attempt - 2, Backoff.Length - 1)], ct);
                if (await TryOnceAsync(attempt, ct)) return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<bool> TryOnceAsync(int attempt, CancellationToken ct)
    {
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<AweDbContext>();
            // The first attempt runs before the server listens: it must not queue behind another replica's
            // migration (liveness would go unanswered meanwhile), so it only tries the lock.
            var applied = await MigrateAsync(db, kind, log, waitForLock: attempt > 1, ct);
            if (applied is null)
            {
                readiness.StartupProblem = "another replica is migrating";
                log.LogInformation("Another replica holds the migration lock; waiting for it in the background");
                return false;
            }
            foreach (var step in afterMigration ?? []) await step.RunAsync(scope.ServiceProvider, ct);
            readiness.MarkSchemaReady();
            log.LogInformation("Database ({Kind}) reachable on attempt {Attempt}; schema up to date ({Applied} migration(s) applied by this process)",
                kind, attempt, applied);
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var wait = Backoff[Math.Min(attempt - 1, Backoff.Length - 1)];
            readiness.StartupProblem = e.GetType().Name;
            // One line an operator can act on; the stack trace only at Debug.
            log.LogWarning("Database not usable yet (attempt {Attempt}): {Problem}. Not ready; /v1/awe/health/live stays up; retrying in {Seconds} s",
                attempt, $"{e.GetType().Name}: {FirstLine(e)}", wait.TotalSeconds);
            log.LogDebug(e, "Database start-up attempt {Attempt} failed", attempt);
            return false;
        }
    }

    /// <summary>
    /// Applies pending migrations. On PostgreSQL under a session advisory lock, so that of several replicas starting
    /// together exactly one migrates and the others wait, then find nothing pending. A database already migrated by
    /// a newer version (migrations this build does not know) is used as it is: migrations are additive, so old and
    /// new pods can serve side by side during a rolling update.
    /// </summary>
    /// <returns>Migrations applied; null when <paramref name="waitForLock"/> is false and another process holds the lock.</returns>
    public static async Task<int?> MigrateAsync(AweDbContext db, DatabaseKind kind, ILogger log, bool waitForLock, CancellationToken ct)
    {
        if (kind == DatabaseKind.Sqlite)
        {
            var pendingSqlite = (await db.Database.GetPendingMigrationsAsync(ct)).Count();
            await DatabaseSetup.InitializeAsync(db, kind, ct);
            return pendingSqlite;
        }
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (waitForLock)
                await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock(" + MigrationLockKey + ")", ct);
            else if (!await db.Database.SqlQueryRaw<bool>("SELECT pg_try_advisory_lock(" + MigrationLockKey + ") AS \"Value\"").SingleAsync(ct))
                return null;
            try
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
                var unknown = (await db.Database.GetAppliedMigrationsAsync(ct)).Except(db.Database.GetMigrations()).ToList();
                if (unknown.Count > 0)
                    log.LogInformation("The database carries {Count} migration(s) this version does not know ({Names}): a newer version migrated it; running side by side",
                        unknown.Count, string.Join(", ", unknown));
                if (pending.Count > 0)
                {
                    log.LogInformation("Applying {Count} migration(s): {Names}", pending.Count, string.Join(", ", pending));
                    await db.Database.MigrateAsync(ct);
                }
                return pending.Count;
            }
            finally
            {
                // If the connection broke, the server already dropped the session's lock.
                try { await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock(" + MigrationLockKey + ")", CancellationToken.None); }
                catch (Exception e) { log.LogDebug(e, "Releasing the migration lock failed"); }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Arbitrary but fixed: every AWE version must use the same key ("AWEMIGR" in ASCII).</summary>
    public const string MigrationLockKey = "18391828647200594";

    private static string FirstLine(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not Npgsql.NpgsqlException) inner = inner.InnerException;
        return inner.Message.Split('\n')[0].Trim();
    }
}
