using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "approval_policy",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    policy_key = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    artifact_type = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    forbid_self_approval = table.Column<bool>(type: "INTEGER", nullable: false),
                    forbid_repeat_approvers = table.Column<bool>(type: "INTEGER", nullable: false),
                    workflow_definition = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approval_policy", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "audit_action",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    actor_email = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    resource_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    resource_id = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    before = table.Column<string>(type: "TEXT", nullable: true),
                    after = table.Column<string>(type: "TEXT", nullable: true),
                    metadata = table.Column<string>(type: "TEXT", nullable: true),
                    summary = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_action", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "callback_secret",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    caller_service = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    secret_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    rotated_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    grace_until = table.Column<DateTime>(type: "TEXT", nullable: true),
                    revoked_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_callback_secret", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "data_protection_key",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FriendlyName = table.Column<string>(type: "TEXT", nullable: true),
                    Xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_data_protection_key", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_key",
                columns: table => new
                {
                    key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    caller_service = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    request_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    status_code = table.Column<int>(type: "INTEGER", nullable: false),
                    response_payload = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_idempotency_key", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "user_delegation",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    user_id = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    delegate_to = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    starts_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ends_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    reason = table.Column<string>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_delegation", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "approval_request",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    policy_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    policy_key = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    policy_version = table.Column<int>(type: "INTEGER", nullable: false),
                    artifact_type = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    artifact_id = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    source_service = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    requester = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    context = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    current_stage_order = table.Column<int>(type: "INTEGER", nullable: false),
                    callback_url = table.Column<string>(type: "TEXT", nullable: true),
                    callback_secret_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: true),
                    completed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    workflow_state = table.Column<string>(type: "TEXT", nullable: false),
                    resolution_retry_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_event_seq = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approval_request", x => x.id);
                    table.ForeignKey(
                        name: "FK_approval_request_approval_policy_policy_id",
                        column: x => x.policy_id,
                        principalTable: "approval_policy",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "approval_stage",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    policy_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    stage_order = table.Column<int>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    mode = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    mode_value = table.Column<int>(type: "INTEGER", nullable: true),
                    sla_hours = table.Column<int>(type: "INTEGER", nullable: true),
                    parallel_group = table.Column<int>(type: "INTEGER", nullable: true),
                    skip_if = table.Column<string>(type: "TEXT", nullable: true),
                    on_empty = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    on_breach = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    escalation_rules_json = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approval_stage", x => x.id);
                    table.ForeignKey(
                        name: "FK_approval_stage_approval_policy_policy_id",
                        column: x => x.policy_id,
                        principalTable: "approval_policy",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "approval_event",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    request_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    seq = table.Column<int>(type: "INTEGER", nullable: false),
                    event_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    payload = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approval_event", x => x.id);
                    table.ForeignKey(
                        name: "FK_approval_event_approval_request_request_id",
                        column: x => x.request_id,
                        principalTable: "approval_request",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "approval_task",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    request_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    stage_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    stage_order = table.Column<int>(type: "INTEGER", nullable: false),
                    assignee = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    assignee_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    delegated_from = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    reassigned_from = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    required_slot = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    claimed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    completed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    due_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    decision_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: true),
                    search_text = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approval_task", x => x.id);
                    table.ForeignKey(
                        name: "FK_approval_task_approval_request_request_id",
                        column: x => x.request_id,
                        principalTable: "approval_request",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_approval_task_approval_stage_stage_id",
                        column: x => x.stage_id,
                        principalTable: "approval_stage",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "approver_rule",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    stage_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    rule_type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    rule_value = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    required = table.Column<bool>(type: "INTEGER", nullable: false),
                    position = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approver_rule", x => x.id);
                    table.ForeignKey(
                        name: "FK_approver_rule_approval_stage_stage_id",
                        column: x => x.stage_id,
                        principalTable: "approval_stage",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "webhook_delivery",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    event_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    request_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    event_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    seq = table.Column<int>(type: "INTEGER", nullable: false),
                    url = table.Column<string>(type: "TEXT", nullable: false),
                    body = table.Column<string>(type: "TEXT", nullable: false),
                    attempt = table.Column<int>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    next_attempt_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_attempt_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_status_code = table.Column<int>(type: "INTEGER", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    warning = table.Column<string>(type: "TEXT", nullable: true),
                    lease_owner = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    lease_until = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_delivery", x => x.id);
                    table.ForeignKey(
                        name: "FK_webhook_delivery_approval_event_event_id",
                        column: x => x.event_id,
                        principalTable: "approval_event",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "approval_decision",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    request_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    task_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    stage_order = table.Column<int>(type: "INTEGER", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    comment = table.Column<string>(type: "TEXT", nullable: true),
                    attachments_ref = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approval_decision", x => x.id);
                    table.ForeignKey(
                        name: "FK_approval_decision_approval_request_request_id",
                        column: x => x.request_id,
                        principalTable: "approval_request",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_approval_decision_approval_task_task_id",
                        column: x => x.task_id,
                        principalTable: "approval_task",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_approval_decision_request_id",
                table: "approval_decision",
                column: "request_id");

            migrationBuilder.CreateIndex(
                name: "IX_approval_decision_task_id",
                table: "approval_decision",
                column: "task_id");

            migrationBuilder.CreateIndex(
                name: "IX_approval_event_request_id_seq",
                table: "approval_event",
                columns: new[] { "request_id", "seq" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_approval_policy_policy_key_status",
                table: "approval_policy",
                columns: new[] { "policy_key", "status" });

            migrationBuilder.CreateIndex(
                name: "uq_policy_key_version",
                table: "approval_policy",
                columns: new[] { "policy_key", "version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "uq_policy_one_active",
                table: "approval_policy",
                column: "policy_key",
                unique: true,
                filter: "status = 'active'");

            migrationBuilder.CreateIndex(
                name: "IX_approval_request_artifact_type_artifact_id",
                table: "approval_request",
                columns: new[] { "artifact_type", "artifact_id" });

            migrationBuilder.CreateIndex(
                name: "IX_approval_request_created_at",
                table: "approval_request",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "IX_approval_request_policy_id",
                table: "approval_request",
                column: "policy_id");

            migrationBuilder.CreateIndex(
                name: "IX_approval_request_resolution_retry_at",
                table: "approval_request",
                column: "resolution_retry_at");

            migrationBuilder.CreateIndex(
                name: "IX_approval_request_status",
                table: "approval_request",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "IX_approval_stage_policy_id_stage_order",
                table: "approval_stage",
                columns: new[] { "policy_id", "stage_order" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_approval_task_assignee_status_created_at",
                table: "approval_task",
                columns: new[] { "assignee", "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_approval_task_created_at",
                table: "approval_task",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "IX_approval_task_request_id_stage_order",
                table: "approval_task",
                columns: new[] { "request_id", "stage_order" });

            migrationBuilder.CreateIndex(
                name: "IX_approval_task_stage_id",
                table: "approval_task",
                column: "stage_id");

            migrationBuilder.CreateIndex(
                name: "IX_approver_rule_stage_id",
                table: "approver_rule",
                column: "stage_id");

            migrationBuilder.CreateIndex(
                name: "IX_audit_action_actor",
                table: "audit_action",
                column: "actor");

            migrationBuilder.CreateIndex(
                name: "IX_audit_action_occurred_at",
                table: "audit_action",
                column: "occurred_at");

            migrationBuilder.CreateIndex(
                name: "IX_audit_action_resource_type_resource_id",
                table: "audit_action",
                columns: new[] { "resource_type", "resource_id" });

            migrationBuilder.CreateIndex(
                name: "IX_callback_secret_caller_service_status",
                table: "callback_secret",
                columns: new[] { "caller_service", "status" });

            migrationBuilder.CreateIndex(
                name: "uq_callback_secret_one_active",
                table: "callback_secret",
                column: "caller_service",
                unique: true,
                filter: "status = 'active'");

            migrationBuilder.CreateIndex(
                name: "IX_idempotency_key_created_at",
                table: "idempotency_key",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "IX_user_delegation_delegate_to",
                table: "user_delegation",
                column: "delegate_to");

            migrationBuilder.CreateIndex(
                name: "IX_user_delegation_user_id_starts_at_ends_at",
                table: "user_delegation",
                columns: new[] { "user_id", "starts_at", "ends_at" });

            migrationBuilder.CreateIndex(
                name: "IX_webhook_delivery_event_id",
                table: "webhook_delivery",
                column: "event_id");

            migrationBuilder.CreateIndex(
                name: "IX_webhook_delivery_request_id_seq",
                table: "webhook_delivery",
                columns: new[] { "request_id", "seq" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_webhook_delivery_status_next_attempt_at",
                table: "webhook_delivery",
                columns: new[] { "status", "next_attempt_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "approval_decision");

            migrationBuilder.DropTable(
                name: "approver_rule");

            migrationBuilder.DropTable(
                name: "audit_action");

            migrationBuilder.DropTable(
                name: "callback_secret");

            migrationBuilder.DropTable(
                name: "data_protection_key");

            migrationBuilder.DropTable(
                name: "idempotency_key");

            migrationBuilder.DropTable(
                name: "user_delegation");

            migrationBuilder.DropTable(
                name: "webhook_delivery");

            migrationBuilder.DropTable(
                name: "approval_task");

            migrationBuilder.DropTable(
                name: "approval_event");

            migrationBuilder.DropTable(
                name: "approval_stage");

            migrationBuilder.DropTable(
                name: "approval_request");

            migrationBuilder.DropTable(
                name: "approval_policy");
        }
    }
}
