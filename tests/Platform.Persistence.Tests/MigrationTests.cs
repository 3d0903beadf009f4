using Microsoft.EntityFrameworkCore;

namespace Platform.Persistence.Tests;

/// <summary>The checked-in migrations of each provider match the model (no change left to generate).</summary>
public sealed class MigrationTests
{
    [Fact]
    public void Sqlite_migrations_cover_the_model()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            "the model changed: add a migration (docs/ARCHITECTURE.md, make migration NAME=...)");
    }

    [Fact]
    public void Postgres_migrations_cover_the_model()
    {
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            "the model changed: add a migration (docs/ARCHITECTURE.md, make migration NAME=...)");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_migrated_database_has_no_pending_migration(string provider)
    {
        using var database = new TestDatabase(provider);
        using var db = database.Contexts.CreateDbContext();
        Assert.Empty(db.Database.GetPendingMigrations());
        Assert.Equal(db.Database.GetMigrations(), db.Database.GetAppliedMigrations());
    }
}
