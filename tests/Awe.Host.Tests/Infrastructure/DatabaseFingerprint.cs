using Npgsql;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>A digest of every table's rows: equal before and after a call means the call changed nothing.</summary>
public static class DatabaseFingerprint
{
    private static readonly string[] Tables = ["approval_policy", "approval_stage", "approver_rule", "approval_request", "approval_task",
        "approval_decision", "approval_event", "approval_timer", "user_delegation", "idempotency_key", "webhook_delivery", "callback_secret",
        "audit_action", "notification"];

    public static async Task<string> OfAsync(string connectionString)
    {
        var sql = "SELECT concat_ws('|', " + string.Join(", ",
            Tables.Select(t => $"(SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM {t} x)")) + ")";
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
