using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Persistence.Tests;

/// <summary>Migrating at start: replicas starting together on one database.</summary>
public sealed class MigrationTests
{
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
