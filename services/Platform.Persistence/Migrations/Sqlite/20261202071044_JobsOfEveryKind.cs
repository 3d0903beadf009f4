using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class JobsOfEveryKind : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ErrorCode",
                table: "jobs",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_jobs_CreatedAt",
                table: "jobs",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_jobs_Kind_CreatedAt",
                table: "jobs",
                columns: new[] { "Kind", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_jobs_CreatedAt",
                table: "jobs");

            migrationBuilder.DropIndex(
                name: "IX_jobs_Kind_CreatedAt",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "ErrorCode",
                table: "jobs");
        }
    }
}
