using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Persistence.Tests;

/// <summary>
/// The checked-in migrations of each provider match the model (no change left to generate), and replicas starting
/// together on one database apply them once.
/// </summary>
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

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Replicas_migrating_one_fresh_database_at_once_all_start_and_apply_each_migration_once(
        string provider)
    {
        using var database = new TestDatabase(provider, migrate: false);
        var services = new ServiceCollection()
            .AddSingleton(database.Contexts)
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .BuildServiceProvider();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => services.MigratePlatformDatabaseAsync())));

        await using var db = await database.Contexts.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        var jobs = database.Jobs();
        var store = new Platform.Jobs.JobStore(new Platform.Jobs.JobStoreOptions(), null, jobs);
        Assert.NotNull(jobs.Find(store.Create("estimate").Id));
    }
}
