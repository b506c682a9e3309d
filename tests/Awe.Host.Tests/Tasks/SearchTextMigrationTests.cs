using System.Data.Common;
using Awe.Host.Persistence;
using Awe.Host.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Awe.Host.Tests.Tasks;

/// <summary>
/// The search text moved from every task to its request (one copy instead of thousands): a database written by
/// the previous version keeps what its inbox could find, on PostgreSQL and on SQLite.
/// </summary>
public sealed class SearchTextMigrationTests
{
    // Run through ExecuteSqlRaw, which formats: {{}} is an empty JSON object.
    private const string Rows = """
        INSERT INTO approval_policy (id, policy_key, version, name, status, artifact_type, forbid_self_approval, forbid_repeat_approvers, created_at, updated_at)
          VALUES ('p1', 'k', 1, 'n', 'active', 't', FALSE, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
        INSERT INTO approval_stage (id, policy_id, stage_order, name, mode, on_empty, created_at, updated_at)
          VALUES ('s1', 'p1', 1, 's', 'all', 'block', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
        INSERT INTO approval_request (id, policy_id, policy_key, policy_version, artifact_type, artifact_id, source_service, context, status,
            current_stage_order, workflow_state, last_event_seq, created_at, updated_at)
          VALUES ('r1', 'p1', 'k', 1, 't', 'a1', 'svc', '{{}}', 'in_review', 1, '{{}}', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
                 ('r2', 'p1', 'k', 1, 't', 'a2', 'svc', '{{}}', 'in_review', 1, '{{}}', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
        INSERT INTO approval_task (id, request_id, stage_id, stage_order, assignee, kind, status, search_text, created_at, updated_at)
          VALUES ('t1', 'r1', 's1', 1, 'u-a', 'approver', 'open', 't a1 k district:North', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
                 ('t2', 'r1', 's1', 1, 'u-b', 'approver', 'open', 't a1 k district:North', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
                 ('t3', 'r2', 's1', 1, 'u-a', 'approver', 'open', NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
        """;

    private static async Task UpgradeAsync(AweDbContext db)
    {
        var migrator = db.GetService<IMigrator>();
        var all = db.Database.GetMigrations().ToList();
        var target = all.FindIndex(m => m.EndsWith("_RequestSearchText"));
        Assert.True(target > 0, "the RequestSearchText migration is missing");
        await migrator.MigrateAsync(all[target - 1]);
        await db.Database.ExecuteSqlRawAsync(Rows);

        await migrator.MigrateAsync();
    }

    private static async Task AssertMovedAsync(AweDbContext db)
    {
        var texts = await db.Requests.OrderBy(r => r.Id).Select(r => r.SearchText).ToListAsync();
        Assert.Equal(["t a1 k district:North", null], texts);
        await using var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT search_text FROM approval_task";
        await Assert.ThrowsAnyAsync<DbException>(() => cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task On_postgresql_the_request_gets_its_tasks_search_text_and_the_task_column_goes()
    {
        await using var database = await TestDatabase.CreateAsync();
        var options = new DbContextOptionsBuilder<PostgresAweDbContext>();
        options.UseAweDatabase(DatabaseKind.Postgres, database.ConnectionString);
        await using var db = new PostgresAweDbContext(options.Options);

        await UpgradeAsync(db);

        await AssertMovedAsync(db);
    }

    [Fact]
    public async Task On_sqlite_the_request_gets_its_tasks_search_text_and_the_task_column_goes()
    {
        var file = Path.Combine(Path.GetTempPath(), $"awe-migration-{Guid.NewGuid():N}.db");
        try
        {
            var options = new DbContextOptionsBuilder<SqliteAweDbContext>();
            options.UseAweDatabase(DatabaseKind.Sqlite, $"Data Source={file};Pooling=False");
            await using var db = new SqliteAweDbContext(options.Options);

            await UpgradeAsync(db);

            await AssertMovedAsync(db);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
