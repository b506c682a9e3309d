using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Awe.Host.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ResolutionRetry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "resolution_retry_at",
                table: "approval_request",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_approval_request_resolution_retry_at",
                table: "approval_request",
                column: "resolution_retry_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_approval_request_resolution_retry_at",
                table: "approval_request");

            migrationBuilder.DropColumn(
                name: "resolution_retry_at",
                table: "approval_request");
        }
    }
}
