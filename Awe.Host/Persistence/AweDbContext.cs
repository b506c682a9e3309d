using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Host.Webhooks;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Awe.Host.Persistence;

/// <summary>
/// The database of AWE. One model for both stores; each store has its own subclass only so that it can carry
/// its own migration history (PostgreSQL in production, SQLite as the embedded default).
/// </summary>
public abstract class AweDbContext : DbContext, IDataProtectionKeyContext
{
    protected AweDbContext(DbContextOptions options) : base(options)
    {
        // EF wraps a SaveChanges inside our transaction in SAVEPOINT / RELEASE so that a failed save could be retried
        // within it: two round trips per change. No caller continues a transaction after a failed save (each rolls
        // back and answers), so the savepoints only ever cost.
        Database.AutoSavepointsEnabled = false;
    }

    /// <summary>Set when this unit of work added webhook deliveries or made some due; its commit wakes the dispatcher.</summary>
    public bool DeliveriesDue { get; set; }

    /// <summary>Earliest due time of the timers this unit of work armed; its commit wakes the scheduler if that is sooner than it planned to look.</summary>
    public DateTime? EarliestTimerArmed { get; set; }

    public DbSet<ApprovalPolicy> Policies => Set<ApprovalPolicy>();
    public DbSet<ApprovalStage> Stages => Set<ApprovalStage>();
    public DbSet<ApproverRule> Rules => Set<ApproverRule>();
    public DbSet<ApprovalRequest> Requests => Set<ApprovalRequest>();
    public DbSet<ApprovalTask> Tasks => Set<ApprovalTask>();
    public DbSet<ApprovalDecision> Decisions => Set<ApprovalDecision>();
    public DbSet<ApprovalEvent> Events => Set<ApprovalEvent>();
    public DbSet<ApprovalTimer> Timers => Set<ApprovalTimer>();
    public DbSet<Notifications.Notification> Notifications => Set<Notifications.Notification>();
    public DbSet<UserDelegation> Delegations => Set<UserDelegation>();
    public DbSet<IdempotencyRecord> IdempotencyKeys => Set<IdempotencyRecord>();
    public DbSet<AuditAction> AuditActions => Set<AuditAction>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<CallbackSecret> CallbackSecrets => Set<CallbackSecret>();
    /// <summary>ASP.NET Data Protection key ring, shared by every replica (it encrypts callback secrets).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public bool IsPostgres => Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";

    /// <summary>
    /// Serializes changes to one request. PostgreSQL takes a row lock held until commit; SQLite transactions
    /// already hold the database write lock (BEGIN IMMEDIATE), which serializes everything.
    /// </summary>
    public Task LockRequestAsync(string requestId, CancellationToken ct) => LockRowAsync("approval_request", requestId, ct);

    /// <summary>
    /// Row lock on one row of <paramref name="table"/> (a table name from code, never from a caller) until commit,
    /// so a worker's claim (FOR UPDATE SKIP LOCKED) or another admin cannot take it meanwhile; see LockRequestAsync for SQLite.
    /// </summary>
    public async Task LockRowAsync(string table, string id, CancellationToken ct)
    {
        if (IsPostgres)
#pragma warning disable EF1003 // the table name is a constant of our code; the id is a parameter
            await Database.ExecuteSqlRawAsync("SELECT 1 FROM " + table + " WHERE id = {0} FOR UPDATE", [id], ct);
#pragma warning restore EF1003
    }

    /// <summary>
    /// Saves what is tracked, all or nothing, outside any transaction of ours. On PostgreSQL a save small enough to
    /// leave as one batch is sent without BEGIN and COMMIT: the server runs the statements of one batch (one Sync) as
    /// one implicit transaction, so it is as atomic as EF's own transaction and a round trip shorter. Larger saves
    /// (EF splits them into several batches) and SQLite run in a transaction.
    /// </summary>
    public async Task SaveAtomicallyAsync(CancellationToken ct)
    {
        if (Database.CurrentTransaction is not null) throw new InvalidOperationException("SaveAtomicallyAsync runs outside a transaction");
        var oneBatch = IsPostgres && ChangeTracker.Entries().Count(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted) <= OneBatchEntries;
        if (!oneBatch)
        {
            // A transaction of ours, not EF's implicit one: BulkTaskWriter streams a huge stage's tasks only inside one.
            await using var transaction = await Database.BeginTransactionAsync(ct);
            await SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return;
        }
        Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
        try
        {
            await SaveChangesAsync(ct);
        }
        finally
        {
            Database.AutoTransactionBehavior = AutoTransactionBehavior.WhenNeeded;
        }
    }

    /// <summary>Far below what EF's Npgsql provider puts in one batch (1,000 statements, 65,535 parameters).</summary>
    private const int OneBatchEntries = 100;

    /// <summary>The lock clause of a worker's claim: replicas skip rows another one is claiming (SQLite has one writer).</summary>
    public string SkipLockedClause => IsPostgres ? "FOR UPDATE SKIP LOCKED" : "";

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Every timestamp is UTC; SQLite hands them back without a kind, PostgreSQL insists on one.
        builder.Properties<DateTime>().HaveConversion<UtcConverter>();
        builder.Properties<DateTime?>().HaveConversion<NullableUtcConverter>();
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        var json = IsPostgres ? "jsonb" : "TEXT";

        b.Entity<ApprovalPolicy>(e =>
        {
            e.ToTable("approval_policy");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.PolicyKey).HasColumnName("policy_key").HasMaxLength(128);
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(255);
            e.Property(x => x.Description).HasColumnName("description").HasMaxLength(1024);
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(x => x.ArtifactType).HasColumnName("artifact_type").HasMaxLength(128);
            e.Property(x => x.CreatedBy).HasColumnName("created_by").HasMaxLength(128);
            e.Property(x => x.ForbidSelfApproval).HasColumnName("forbid_self_approval");
            e.Property(x => x.ForbidRepeatApprovers).HasColumnName("forbid_repeat_approvers");
            e.Property(x => x.WorkflowDefinition).HasColumnName("workflow_definition").HasColumnType(json);
            e.Property(x => x.RequestTtl).HasColumnName("request_ttl").HasMaxLength(64);
            e.Property(x => x.Calendar).HasColumnName("calendar").HasMaxLength(64);
            Timestamps(e);
            e.HasIndex(x => new { x.PolicyKey, x.Version }).IsUnique().HasDatabaseName("uq_policy_key_version");
            e.HasIndex(x => new { x.PolicyKey, x.Status });
            // At most one active version per key, whatever races between replicas.
            e.HasIndex(x => x.PolicyKey).IsUnique().HasFilter("status = 'active'").HasDatabaseName("uq_policy_one_active");
            e.HasMany(x => x.Stages).WithOne().HasForeignKey(x => x.PolicyId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<ApprovalStage>(e =>
        {
            e.ToTable("approval_stage");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.PolicyId).HasColumnName("policy_id").HasMaxLength(36);
            e.Property(x => x.StageOrder).HasColumnName("stage_order");
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(255);
            e.Property(x => x.Mode).HasColumnName("mode").HasMaxLength(32);
            e.Property(x => x.ModeValue).HasColumnName("mode_value");
            e.Property(x => x.SlaHours).HasColumnName("sla_hours");
            e.Property(x => x.Sla).HasColumnName("sla").HasMaxLength(64);
            e.Property(x => x.RemindEvery).HasColumnName("remind_every").HasMaxLength(64);
            e.Property(x => x.Calendar).HasColumnName("calendar").HasMaxLength(64);
            e.Property(x => x.ParallelGroup).HasColumnName("parallel_group");
            Json(e.Property(x => x.SkipIf), "skip_if", json);
            e.Property(x => x.OnEmpty).HasColumnName("on_empty").HasMaxLength(8);
            e.Property(x => x.OnBreach).HasColumnName("on_breach").HasMaxLength(16);
            Json(e.Property(x => x.EscalationRulesJson), "escalation_rules_json", json);
            Timestamps(e);
            e.HasIndex(x => new { x.PolicyId, x.StageOrder }).IsUnique();
            e.HasMany(x => x.Rules).WithOne().HasForeignKey(x => x.StageId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<ApproverRule>(e =>
        {
            e.ToTable("approver_rule");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.StageId).HasColumnName("stage_id").HasMaxLength(36);
            e.Property(x => x.RuleType).HasColumnName("rule_type").HasMaxLength(16);
            Json(e.Property(x => x.RuleValue), "rule_value", json);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(16);
            e.Property(x => x.Required).HasColumnName("required");
            e.Property(x => x.Position).HasColumnName("position");
            Timestamps(e);
        });

        b.Entity<ApprovalRequest>(e =>
        {
            e.ToTable("approval_request");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.PolicyId).HasColumnName("policy_id").HasMaxLength(36);
            e.HasOne<ApprovalPolicy>().WithMany().HasForeignKey(x => x.PolicyId).OnDelete(DeleteBehavior.Restrict);
            e.Property(x => x.PolicyKey).HasColumnName("policy_key").HasMaxLength(128);
            e.Property(x => x.PolicyVersion).HasColumnName("policy_version");
            e.Property(x => x.ArtifactType).HasColumnName("artifact_type").HasMaxLength(128);
            e.Property(x => x.ArtifactId).HasColumnName("artifact_id").HasMaxLength(255);
            e.Property(x => x.SourceService).HasColumnName("source_service").HasMaxLength(128);
            e.Property(x => x.Requester).HasColumnName("requester").HasMaxLength(128);
            Json(e.Property(x => x.Context), "context", json);
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(x => x.CurrentStageOrder).HasColumnName("current_stage_order");
            e.Property(x => x.CallbackUrl).HasColumnName("callback_url");
            e.Property(x => x.CallbackSecretId).HasColumnName("callback_secret_id").HasMaxLength(36);
            e.Property(x => x.CompletedAt).HasColumnName("completed_at");
            e.Property(x => x.ExpiresAt).HasColumnName("expires_at");
            e.Property(x => x.WorkflowState).HasColumnName("workflow_state").HasColumnType(json);
            e.Property(x => x.LastEventSeq).HasColumnName("last_event_seq");
            e.Property(x => x.ResolutionRetryAt).HasColumnName("resolution_retry_at");
            e.Property(x => x.SearchText).HasColumnName("search_text");
            e.HasIndex(x => x.ResolutionRetryAt);
            Timestamps(e);
            e.HasIndex(x => new { x.ArtifactType, x.ArtifactId });
            e.HasIndex(x => x.Status);
            e.HasIndex(x => x.CreatedAt);
            e.HasMany(x => x.Tasks).WithOne().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Decisions).WithOne().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<ApprovalTask>(e =>
        {
            e.ToTable("approval_task");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.RequestId).HasColumnName("request_id").HasMaxLength(36);
            e.Property(x => x.StageId).HasColumnName("stage_id").HasMaxLength(36);
            e.HasOne<ApprovalStage>().WithMany().HasForeignKey(x => x.StageId).OnDelete(DeleteBehavior.Restrict);
            e.Property(x => x.StageOrder).HasColumnName("stage_order");
            e.Property(x => x.Assignee).HasColumnName("assignee").HasMaxLength(128);
            e.Property(x => x.AssigneeName).HasColumnName("assignee_name").HasMaxLength(256);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(16);
            e.Property(x => x.DelegatedFrom).HasColumnName("delegated_from").HasMaxLength(128);
            e.Property(x => x.ReassignedFrom).HasColumnName("reassigned_from").HasMaxLength(128);
            e.Property(x => x.RequiredSlot).HasColumnName("required_slot").HasMaxLength(128);
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(x => x.ClaimedAt).HasColumnName("claimed_at");
            e.Property(x => x.CompletedAt).HasColumnName("completed_at");
            e.Property(x => x.DueAt).HasColumnName("due_at");
            e.Property(x => x.DecisionId).HasColumnName("decision_id").HasMaxLength(36);
            Timestamps(e);
            // The inbox: one person's tasks in a status, newest first, ties by id, exactly the page's order, so the
            // page is read from the index and stops after page_size rows whatever the size of the table.
            e.HasIndex(x => new { x.Assignee, x.Status, x.CreatedAt, x.Id }).IsDescending(false, false, true, false)
                .HasDatabaseName("ix_approval_task_inbox");
            e.HasIndex(x => new { x.RequestId, x.StageOrder });
            e.HasIndex(x => x.CreatedAt);
        });

        b.Entity<ApprovalDecision>(e =>
        {
            e.ToTable("approval_decision");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.RequestId).HasColumnName("request_id").HasMaxLength(36);
            e.Property(x => x.TaskId).HasColumnName("task_id").HasMaxLength(36);
            e.HasOne<ApprovalTask>().WithMany().HasForeignKey(x => x.TaskId).OnDelete(DeleteBehavior.Restrict);
            e.Property(x => x.StageOrder).HasColumnName("stage_order");
            e.Property(x => x.Actor).HasColumnName("actor").HasMaxLength(128);
            e.Property(x => x.Action).HasColumnName("action").HasMaxLength(16);
            e.Property(x => x.Comment).HasColumnName("comment");
            e.Property(x => x.AttachmentsRef).HasColumnName("attachments_ref");
            Timestamps(e);
            e.HasIndex(x => x.TaskId);
        });

        b.Entity<ApprovalEvent>(e =>
        {
            e.ToTable("approval_event");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.RequestId).HasColumnName("request_id").HasMaxLength(36);
            e.HasOne<ApprovalRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.Seq).HasColumnName("seq");
            e.Property(x => x.EventType).HasColumnName("event_type").HasMaxLength(32);
            Json(e.Property(x => x.Payload), "payload", json);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasIndex(x => new { x.RequestId, x.Seq }).IsUnique();
        });

        b.Entity<ApprovalTimer>(e =>
        {
            e.ToTable("approval_timer");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.RequestId).HasColumnName("request_id").HasMaxLength(36);
            e.HasOne<ApprovalRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.NodeId).HasColumnName("node_id").HasMaxLength(64);
            e.Property(x => x.StageOrder).HasColumnName("stage_order");
            e.Property(x => x.TaskId).HasColumnName("task_id").HasMaxLength(36);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(16);
            e.Property(x => x.DueAt).HasColumnName("due_at");
            e.Property(x => x.State).HasColumnName("state").HasMaxLength(16);
            e.Property(x => x.LeaseOwner).HasColumnName("lease_owner").HasMaxLength(128);
            e.Property(x => x.LeaseUntil).HasColumnName("lease_until");
            e.Property(x => x.FiredAt).HasColumnName("fired_at");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.LastError).HasColumnName("last_error");
            Timestamps(e);
            // The scheduler's claim: pending timers in due order. Partial, so fired and cancelled history costs it nothing.
            e.HasIndex(x => x.DueAt).HasFilter("state = 'pending'").HasDatabaseName("ix_approval_timer_pending_due");
            // The retention purge of fired and cancelled timers, oldest first.
            e.HasIndex(x => x.UpdatedAt).HasFilter("state IN ('fired', 'cancelled')").HasDatabaseName("ix_approval_timer_done_updated");
            e.HasIndex(x => new { x.RequestId, x.State });
        });

        b.Entity<Notifications.Notification>(e =>
        {
            e.ToTable("notification");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.RequestId).HasColumnName("request_id").HasMaxLength(36);
            e.HasOne<ApprovalRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.EventId).HasColumnName("event_id").HasMaxLength(36);
            e.HasOne<ApprovalEvent>().WithMany().HasForeignKey(x => x.EventId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(32);
            e.Property(x => x.Recipient).HasColumnName("recipient").HasMaxLength(128);
            e.Property(x => x.TaskId).HasColumnName("task_id").HasMaxLength(36);
            e.Property(x => x.Address).HasColumnName("address").HasMaxLength(320);
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(x => x.Attempt).HasColumnName("attempt");
            e.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
            e.Property(x => x.LastError).HasColumnName("last_error");
            e.Property(x => x.LeaseOwner).HasColumnName("lease_owner").HasMaxLength(128);
            e.Property(x => x.LeaseUntil).HasColumnName("lease_until");
            e.Property(x => x.SentAt).HasColumnName("sent_at");
            Timestamps(e);
            // One mail per person per event, however often a run is retried.
            e.HasIndex(x => new { x.EventId, x.Recipient }).IsUnique();
            e.HasIndex(x => x.NextAttemptAt).HasFilter("status = 'pending'").HasDatabaseName("ix_notification_pending_next");
            e.HasIndex(x => new { x.RequestId, x.CreatedAt });
        });

        b.Entity<UserDelegation>(e =>
        {
            e.ToTable("user_delegation");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.UserId).HasColumnName("user_id").HasMaxLength(128);
            e.Property(x => x.DelegateTo).HasColumnName("delegate_to").HasMaxLength(128);
            e.Property(x => x.StartsAt).HasColumnName("starts_at");
            e.Property(x => x.EndsAt).HasColumnName("ends_at");
            e.Property(x => x.Reason).HasColumnName("reason");
            e.Property(x => x.CreatedBy).HasColumnName("created_by").HasMaxLength(128);
            Timestamps(e);
            e.HasIndex(x => new { x.UserId, x.StartsAt, x.EndsAt });
            e.HasIndex(x => x.DelegateTo);
        });

        b.Entity<IdempotencyRecord>(e =>
        {
            e.ToTable("idempotency_key");
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasColumnName("key").HasMaxLength(255).ValueGeneratedNever();
            e.Property(x => x.CallerService).HasColumnName("caller_service").HasMaxLength(128);
            e.Property(x => x.RequestHash).HasColumnName("request_hash").HasMaxLength(64);
            e.Property(x => x.StatusCode).HasColumnName("status_code");
            // Text, not jsonb: a replay answers with the first response byte for byte (jsonb would reorder keys).
            Json(e.Property(x => x.ResponsePayload), "response_payload", "TEXT");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasIndex(x => x.CreatedAt);
        });

        b.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_delivery");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.EventId).HasColumnName("event_id").HasMaxLength(36);
            e.HasOne<ApprovalEvent>().WithMany().HasForeignKey(x => x.EventId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.RequestId).HasColumnName("request_id").HasMaxLength(36);
            e.Property(x => x.EventType).HasColumnName("event_type").HasMaxLength(32);
            e.Property(x => x.Seq).HasColumnName("seq");
            e.Property(x => x.Url).HasColumnName("url");
            e.Property(x => x.Body).HasColumnName("body");
            e.Property(x => x.Attempt).HasColumnName("attempt");
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
            e.Property(x => x.LastAttemptAt).HasColumnName("last_attempt_at");
            e.Property(x => x.LastStatusCode).HasColumnName("last_status_code");
            e.Property(x => x.LastError).HasColumnName("last_error");
            e.Property(x => x.Warning).HasColumnName("warning");
            e.Property(x => x.LeaseOwner).HasColumnName("lease_owner").HasMaxLength(128);
            e.Property(x => x.LeaseUntil).HasColumnName("lease_until");
            Timestamps(e);
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.HasIndex(x => new { x.RequestId, x.Seq }).IsUnique();
            e.HasIndex(x => x.EventId);
            // The dispatcher's claim reads only pending rows: without these it scans every delivery ever made (and their
            // dead versions) twice per batch, which made a backlog drain at a tenth of the receiver's pace.
            e.HasIndex(x => new { x.NextAttemptAt, x.Seq }, "ix_webhook_delivery_pending_due").HasFilter("status = 'pending'");
            e.HasIndex(x => new { x.RequestId, x.Seq }, "ix_webhook_delivery_pending_request").HasFilter("status = 'pending'");
        });

        b.Entity<CallbackSecret>(e =>
        {
            e.ToTable("callback_secret");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.CallerService).HasColumnName("caller_service").HasMaxLength(128);
            e.Property(x => x.SecretEncrypted).HasColumnName("secret_encrypted");
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(x => x.RotatedAt).HasColumnName("rotated_at");
            e.Property(x => x.GraceUntil).HasColumnName("grace_until");
            e.Property(x => x.RevokedAt).HasColumnName("revoked_at");
            e.Property(x => x.CreatedBy).HasColumnName("created_by").HasMaxLength(128);
            Timestamps(e);
            e.HasIndex(x => new { x.CallerService, x.Status });
            // One active secret per caller service; rotation swaps them in one transaction.
            e.HasIndex(x => x.CallerService).IsUnique().HasFilter("status = 'active'").HasDatabaseName("uq_callback_secret_one_active");
        });

        b.Entity<DataProtectionKey>(e => e.ToTable("data_protection_key"));

        b.Entity<AuditAction>(e =>
        {
            e.ToTable("audit_action");
            e.HasKey(x => x.Id);
            Id(e.Property(x => x.Id));
            e.Property(x => x.OccurredAt).HasColumnName("occurred_at");
            e.Property(x => x.Actor).HasColumnName("actor").HasMaxLength(128);
            e.Property(x => x.ActorEmail).HasColumnName("actor_email").HasMaxLength(255);
            e.Property(x => x.Action).HasColumnName("action").HasMaxLength(64);
            e.Property(x => x.ResourceType).HasColumnName("resource_type").HasMaxLength(32);
            e.Property(x => x.ResourceId).HasColumnName("resource_id").HasMaxLength(255);
            Json(e.Property(x => x.Before), "before", json);
            Json(e.Property(x => x.After), "after", json);
            Json(e.Property(x => x.Metadata), "metadata", json);
            e.Property(x => x.Summary).HasColumnName("summary");
            e.HasIndex(x => x.OccurredAt);
            e.HasIndex(x => x.Actor);
            e.HasIndex(x => new { x.ResourceType, x.ResourceId });
        });
    }

    private static void Id(Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<string> p) =>
        p.HasColumnName("id").HasMaxLength(36).ValueGeneratedNever();

    private static void Timestamps<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> e) where T : class
    {
        e.Property<DateTime>("CreatedAt").HasColumnName("created_at");
        e.Property<DateTime>("UpdatedAt").HasColumnName("updated_at");
    }

    private static void Json<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<T> p, string column, string type) where T : JsonNode?
    {
        p.HasColumnName(column).HasColumnType(type)
            .HasConversion(new ValueConverter<T, string>(v => v!.ToJsonString(null), s => (T)JsonNode.Parse(s, null, default)!),
                new ValueComparer<T>((a, b) => JsonNode.DeepEquals(a, b), v => v == null ? 0 : v.ToJsonString(null).GetHashCode(), v => (T)v!.DeepClone()));
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v.ToUniversalTime(), DateTimeKind.Utc),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class NullableUtcConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v == null ? v : v.Value.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v.Value.ToUniversalTime(), DateTimeKind.Utc),
        v => v == null ? v : DateTime.SpecifyKind(v.Value, DateTimeKind.Utc));
}
