using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class IdempotencyPayloadAsText : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "response_payload",
                table: "idempotency_key",
                type: "TEXT",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "jsonb");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "response_payload",
                table: "idempotency_key",
                type: "jsonb",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "TEXT");
        }
    }
}
