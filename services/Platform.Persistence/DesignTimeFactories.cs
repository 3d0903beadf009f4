using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Persistence;

/// <summary>
/// For `dotnet ef migrations add … --context SqlitePlatformDbContext` (see docs/ARCHITECTURE.md). Generating a
/// migration needs no database; PLATFORM_DESIGN_CONNECTION overrides the connection for other dotnet-ef commands.
/// </summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqlitePlatformDbContext>
{
    public SqlitePlatformDbContext CreateDbContext(string[] args) => new(
        new DbContextOptionsBuilder<SqlitePlatformDbContext>()
            .UseSqlite(Environment.GetEnvironmentVariable("PLATFORM_DESIGN_CONNECTION") ?? "Data Source=design.db")
            .Options);
}

/// <summary>For `dotnet ef migrations add … --context PostgresPlatformDbContext`.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresPlatformDbContext>
{
    public PostgresPlatformDbContext CreateDbContext(string[] args) => new(
        new DbContextOptionsBuilder<PostgresPlatformDbContext>()
            .UseNpgsql(Environment.GetEnvironmentVariable("PLATFORM_DESIGN_CONNECTION")
                       ?? "Host=localhost;Database=platform;Username=platform")
            .Options);
}
