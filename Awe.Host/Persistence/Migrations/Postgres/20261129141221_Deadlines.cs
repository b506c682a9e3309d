using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Deadlines : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "calendar",
                table: "approval_stage",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "remind_every",
                table: "approval_stage",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "sla",
                table: "approval_stage",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "expires_at",
                table: "approval_request",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "calendar",
                table: "approval_policy",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "request_ttl",
                table: "approval_policy",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "approval_timer",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(36)", maxLength: 36, nullable: false),
                    request_id = table.Column<string>(type: "character varying(36)", maxLength: 36, nullable: false),
                    node_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    stage_order = table.Column<int>(type: "integer", nullable: true),
                    task_id = table.Column<string>(type: "character varying(36)", maxLength: 36, nullable: true),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    due_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    lease_owner = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    lease_until = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    fired_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_approval_timer", x => x.id);
                    table.ForeignKey(
                        name: "FK_approval_timer_approval_request_request_id",
                        column: x => x.request_id,
                        principalTable: "approval_request",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_approval_timer_pending_due",
                table: "approval_timer",
                column: "due_at",
                filter: "state = 'pending'");

            migrationBuilder.CreateIndex(
                name: "IX_approval_timer_request_id_state",
                table: "approval_timer",
                columns: new[] { "request_id", "state" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "approval_timer");

            migrationBuilder.DropColumn(
                name: "calendar",
                table: "approval_stage");

            migrationBuilder.DropColumn(
                name: "remind_every",
                table: "approval_stage");

            migrationBuilder.DropColumn(
                name: "sla",
                table: "approval_stage");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "approval_request");

            migrationBuilder.DropColumn(
                name: "calendar",
                table: "approval_policy");

            migrationBuilder.DropColumn(
                name: "request_ttl",
                table: "approval_policy");
        }
    }
}
