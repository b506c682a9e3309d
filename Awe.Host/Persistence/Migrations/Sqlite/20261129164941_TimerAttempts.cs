using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TimerAttempts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "attempts",
                table: "approval_timer",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "last_error",
                table: "approval_timer",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_approval_timer_done_updated",
                table: "approval_timer",
                column: "updated_at",
                filter: "state IN ('fired', 'cancelled')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_approval_timer_done_updated",
                table: "approval_timer");

            migrationBuilder.DropColumn(
                name: "attempts",
                table: "approval_timer");

            migrationBuilder.DropColumn(
                name: "last_error",
                table: "approval_timer");
        }
    }
}
