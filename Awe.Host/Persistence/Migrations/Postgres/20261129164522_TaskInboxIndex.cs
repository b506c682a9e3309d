using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TaskInboxIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_approval_task_assignee_status_created_at",
                table: "approval_task");

            migrationBuilder.CreateIndex(
                name: "ix_approval_task_inbox",
                table: "approval_task",
                columns: new[] { "assignee", "status", "created_at", "id" },
                descending: new[] { false, false, true, false });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_approval_task_inbox",
                table: "approval_task");

            migrationBuilder.CreateIndex(
                name: "IX_approval_task_assignee_status_created_at",
                table: "approval_task",
                columns: new[] { "assignee", "status", "created_at" });
        }
    }
}
