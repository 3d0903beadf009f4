using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LiveDeployments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "live_deployments",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Spec = table.Column<byte[]>(type: "bytea", nullable: false),
                    Snapshot = table.Column<byte[]>(type: "bytea", nullable: false),
                    OwnerAddress = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    OwnerInstance = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    HeartbeatAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_live_deployments", x => x.Name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_live_deployments_OwnerInstance",
                table: "live_deployments",
                column: "OwnerInstance");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "live_deployments");
        }
    }
}
