using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Awe.Activities.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Awe.Host.Persistence;

/// <summary>
/// Writes the tasks of a huge stage as sets instead of row by row. A stage of 5,000 approvers would otherwise make
/// EF Core send 5,000 INSERTs when it opens and 4,999 UPDATEs when the deciding approval closes the rest.
/// <list type="bullet">
/// <item>Opening: on PostgreSQL, new tasks beyond <see cref="Threshold"/> are left out of EF's save and streamed
/// with binary COPY right after it (after, because they reference the request row the save inserts). On SQLite EF
/// keeps inserting them (one in-process writer, no round trips to save).</item>
/// <item>Closing: tasks changed alike (same columns to the same values, as when a stage's quorum skips the rest)
/// become one <c>UPDATE … WHERE id IN (…)</c> on both stores, before EF's save.</item>
/// </list>
/// Both run on EF's connection inside the caller's transaction, so the change stays all-or-nothing; without a
/// transaction (nothing in AWE saves tasks that way) EF writes the rows itself. The tracked entities end Unchanged
/// with their current values, exactly as if EF had saved them, so the rest of the unit of work is unaffected.
/// </summary>
public sealed partial class BulkTaskWriter : SaveChangesInterceptor
{
    /// <summary>Below this many rows EF's own batched statements are as fast and keep the ordinary path.</summary>
    public const int Threshold = 100;

    // Per context during one save: the new tasks taken out of it (streamed once it has succeeded) and whether it
    // detected changes automatically. Keyed weakly: a context that fails its save and is dropped takes its entry along.
    private readonly ConditionalWeakTable<DbContext, SaveState> _saves = new();

    private sealed class SaveState(bool autoDetect)
    {
        public bool AutoDetect { get; } = autoDetect;
        public List<EntityEntry> Held { get; set; } = [];
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData,
        InterceptionResult<int> result, CancellationToken ct = default)
    {
        if (eventData.Context is not AweDbContext db || db.Database.CurrentTransaction is null) return result;
        var tracker = db.ChangeTracker;
        // Scanning thousands of tracked tasks for changes is the costly part of such a save: scan once here, and let
        // neither our own lookups nor EF's save scan again (restored when the save ends).
        tracker.DetectChanges();
        var state = new SaveState(tracker.AutoDetectChangesEnabled);
        tracker.AutoDetectChangesEnabled = false;
        _saves.AddOrUpdate(db, state);
        try
        {
            var tasks = tracker.Entries<ApprovalTask>().Select(e => (EntityEntry)e).ToList();
            if (tasks.Count >= Threshold)
            {
                await UpdateAlikeAsync(db, tasks, ct);
                if (db.IsPostgres) state.Held = HoldBackAdded(db, tasks);
            }
        }
        catch
        {
            End(db);
            throw;
        }
        return result;
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result) =>
        SavingChangesAsync(eventData, result).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        if (eventData.Context is AweDbContext db && End(db) is { Held.Count: > 0 } state)
        {
            await CopyAsync(db, state.Held, ct);
            result += state.Held.Count;
        }
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result) =>
        SavedChangesAsync(eventData, result).AsTask().GetAwaiter().GetResult();

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (eventData.Context is { } db) End(db);
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken ct = default)
    {
        SaveChangesFailed(eventData);
        return Task.CompletedTask;
    }

    private SaveState? End(DbContext db)
    {
        if (!_saves.TryGetValue(db, out var state)) return null;
        _saves.Remove(db);
        db.ChangeTracker.AutoDetectChangesEnabled = state.AutoDetect;
        return state;
    }

    /// <summary>New tasks beyond the threshold: EF will not insert them (they look saved to it); the COPY will.</summary>
    private static List<EntityEntry> HoldBackAdded(AweDbContext db, List<EntityEntry> tasks)
    {
        var added = tasks.Where(e => e.State == EntityState.Added).ToList();
        if (added.Count < Threshold) return [];
        // A decision recorded on a task opened in the same save would be inserted before its task: keep EF's order.
        var ids = added.Select(e => ((ApprovalTask)e.Entity).Id).ToHashSet(StringComparer.Ordinal);
        if (db.ChangeTracker.Entries<ApprovalDecision>().Any(d => d.State == EntityState.Added && ids.Contains(d.Entity.TaskId))) return [];
        // As EF leaves a row it inserted (Unchanged, its values the original ones).
        foreach (var entry in added) entry.State = EntityState.Unchanged;
        return added;
    }

    /// <summary>Groups the modified tasks by what changed (columns and new values); each large group is one UPDATE.</summary>
    private static async Task UpdateAlikeAsync(AweDbContext db, List<EntityEntry> tasks, CancellationToken ct)
    {
        var groups = tasks.Where(e => e.State == EntityState.Modified)
            .GroupBy(e => ChangeKey(e), StringComparer.Ordinal)
            .Where(g => g.Count() >= Threshold);
        foreach (var group in groups)
        {
            var entries = group.ToList();
            var first = entries[0];
            var changed = first.Properties.Where(p => p.IsModified).Select(p => p.Metadata).ToList();
            var table = first.Metadata.GetTableName()!;
            var store = StoreObjectIdentifier.Table(table, first.Metadata.GetSchema());
            var key = first.Metadata.FindPrimaryKey()!.Properties.Single();
            var ids = entries.Select(e => (string)e.CurrentValues[key]!).ToArray();

            var connection = db.Database.GetDbConnection();
            await using var command = connection.CreateCommand();
            command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
            var sql = new StringBuilder($"UPDATE {Quote(table)} SET ");
            for (var i = 0; i < changed.Count; i++)
            {
                var property = changed[i];
                if (i > 0) sql.Append(", ");
                sql.Append(Quote(property.GetColumnName(store)!)).Append(" = @v").Append(i);
                command.Parameters.Add(property.GetRelationalTypeMapping().CreateParameter(command, $"@v{i}", first.CurrentValues[property]));
            }
            var keyColumn = Quote(key.GetColumnName(store)!);
            if (db.IsPostgres)
            {
                sql.Append($" WHERE {keyColumn} = ANY(@ids)");
                command.Parameters.Add(new NpgsqlParameter("@ids", ids));
            }
            else
            {
                sql.Append($" WHERE {keyColumn} IN (SELECT value FROM json_each(@ids))");
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@ids";
                parameter.Value = JsonSerializer.Serialize(ids);
                command.Parameters.Add(parameter);
            }
            command.CommandText = sql.ToString();
            var updated = await command.ExecuteNonQueryAsync(ct);
            // Every row is there under the request's lock; a shortfall means the tracked state is not the database's.
            if (updated != ids.Length)
                throw new DbUpdateConcurrencyException($"bulk update of {table} changed {updated} of {ids.Length} rows");
            // As EF leaves a row it updated.
            foreach (var entry in entries)
            {
                entry.OriginalValues.SetValues(entry.CurrentValues);
                entry.State = EntityState.Unchanged;
            }
        }
    }

    /// <summary>What changed on a modified entry, as text: the changed columns and their new values.</summary>
    private static string ChangeKey(EntityEntry entry)
    {
        var sb = new StringBuilder();
        foreach (var p in entry.Properties)
            if (p.IsModified)
                sb.Append(p.Metadata.Name).Append('=').Append(p.CurrentValue switch
                {
                    null => "\0null",
                    DateTime d => d.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) + d.Kind,
                    var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
                }).Append('\u001f');
        return sb.ToString();
    }

    /// <summary>Binary COPY of the held-back rows, columns and types taken from the EF model.</summary>
    private static async Task CopyAsync(AweDbContext db, List<EntityEntry> entries, CancellationToken ct)
    {
        var type = entries[0].Metadata;
        var table = type.GetTableName()!;
        var store = StoreObjectIdentifier.Table(table, type.GetSchema());
        var columns = type.GetProperties().Select(p => (Property: p, Column: p.GetColumnName(store)!, Mapping: p.GetRelationalTypeMapping(),
            StoreType: Facets().Replace(p.GetColumnType(), ""))).ToList();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY {Quote(table)} ({string.Join(", ", columns.Select(c => Quote(c.Column)))}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var entry in entries)
        {
            await importer.StartRowAsync(ct);
            foreach (var (property, _, mapping, storeType) in columns)
            {
                var value = entry.CurrentValues[property];
                if (value is not null && mapping.Converter is { } converter) value = converter.ConvertToProvider(value);
                if (value is null) await importer.WriteNullAsync(ct);
                else await importer.WriteAsync(value, storeType, ct);
            }
        }
        await importer.CompleteAsync(ct);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    [GeneratedRegex(@"\(.*\)")]
    private static partial Regex Facets();
}
