using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class WebhookPendingIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_webhook_delivery_pending_due",
                table: "webhook_delivery",
                columns: new[] { "next_attempt_at", "seq" },
                filter: "status = 'pending'");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_delivery_pending_request",
                table: "webhook_delivery",
                columns: new[] { "request_id", "seq" },
                filter: "status = 'pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_webhook_delivery_pending_due",
                table: "webhook_delivery");

            migrationBuilder.DropIndex(
                name: "ix_webhook_delivery_pending_request",
                table: "webhook_delivery");
        }
    }
}
