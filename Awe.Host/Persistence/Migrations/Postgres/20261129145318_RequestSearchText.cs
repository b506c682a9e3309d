using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RequestSearchText : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "search_text",
                table: "approval_request",
                type: "text",
                nullable: true);

            // Every task of a request carried the same search text: keep one copy, on the request.
            migrationBuilder.Sql(
                "UPDATE approval_request SET search_text = (SELECT t.search_text FROM approval_task t " +
                "WHERE t.request_id = approval_request.id AND t.search_text IS NOT NULL LIMIT 1)");

            migrationBuilder.DropColumn(
                name: "search_text",
                table: "approval_task");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "search_text",
                table: "approval_task",
                type: "text",
                nullable: true);

            migrationBuilder.Sql(
                "UPDATE approval_task SET search_text = (SELECT r.search_text FROM approval_request r WHERE r.id = approval_task.request_id)");

            migrationBuilder.DropColumn(
                name: "search_text",
                table: "approval_request");
        }
    }
}
