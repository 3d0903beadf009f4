using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using HardwareEmulator.Domain.Devices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Jobs;

namespace Platform.Persistence;

/// <summary>
/// Configuration of the platform database (section "Platform:Database"; the connection string is
/// ConnectionStrings:Platform).
/// </summary>
public sealed class PlatformDatabaseOptions
{
    public const string Section = "Platform:Database";
    public const string ConnectionName = "Platform";

    /// <summary>
    /// The SQLite database when ConnectionStrings:Platform is not set (relative to the content root).
    /// </summary>
    public const string DefaultSqlite = "Data Source=data/platform.db";

    /// <summary>
    /// "sqlite" (default), "postgres", or "none" (no database: state lives in the process, as before).
    /// </summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Apply pending migrations when the host starts (default true); else run `make migrate`.</summary>
    public bool MigrateAtStart { get; set; } = true;

    /// <summary>
    /// PostgreSQL: seconds to wait for a connection to open (default 2; Npgsql's own default is 15), so a call that
    /// needs a database that does not answer fails Unavailable quickly; readiness waits one second more for the
    /// database. A "Timeout" in the connection string wins.
    /// </summary>
    [Range(1, 600)]
    public int ConnectTimeoutSeconds { get; set; } = 2;

    /// <summary>
    /// PostgreSQL: seconds a statement may run (default 5; Npgsql's own default is 30): the platform's statements
    /// read or write a few rows by key. A statement on a connection whose server stopped answering fails after about
    /// this plus twice the connect timeout (Npgsql cancels it over a new connection). A "Command Timeout" in the
    /// connection string wins. Migrations are not bound by it.
    /// </summary>
    [Range(1, 3600)]
    public int CommandTimeoutSeconds { get; set; } = 5;
}

/// <summary>The database provider in use.</summary>
public enum DatabaseProvider { None, Sqlite, Postgres }

/// <summary>Registration of the platform database and its repositories.</summary>
public static class PlatformDatabaseExtensions
{
    /// <summary>
    /// Registers the platform database chosen by Platform:Database:Provider (sqlite, postgres or none) on
    /// ConnectionStrings:Platform (SQLite default <see cref="PlatformDatabaseOptions.DefaultSqlite"/>, a file under
    /// the content root whose folder is created), the repositories (<see cref="IJobRepository"/>,
    /// <see cref="ICustomDeviceStore"/>, <see cref="InferenceScheduler.Domain.Live.IDeploymentStore"/>), a readiness
    /// check that the database answers, and, unless Platform:Database:MigrateAtStart is false, a start-up step
    /// applying the provider's migrations before anything else starts. Returns the provider.
    /// </summary>
    public static DatabaseProvider AddPlatformDatabase(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(PlatformDatabaseOptions.Section)
            .Get<PlatformDatabaseOptions>() ?? new PlatformDatabaseOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        var provider = ParseProvider(options.Provider);
        if (provider == DatabaseProvider.None) return provider;
        string? connection = builder.Configuration.GetConnectionString(PlatformDatabaseOptions.ConnectionName);
        var services = builder.Services;
        if (provider == DatabaseProvider.Sqlite)
        {
            string resolved = ResolveSqlite(string.IsNullOrWhiteSpace(connection)
                ? PlatformDatabaseOptions.DefaultSqlite : connection, builder.Environment.ContentRootPath);
            services.AddDbContextFactory<SqlitePlatformDbContext>(o => o.UseSqlite(resolved)
                .AddInterceptors(new DbCommandMetrics("sqlite")));
            services.AddSingleton<IDbContextFactory<PlatformDbContext>>(sp =>
                new Contexts<SqlitePlatformDbContext>(
                    sp.GetRequiredService<IDbContextFactory<SqlitePlatformDbContext>>()));
        }
        else
        {
            if (string.IsNullOrWhiteSpace(connection))
                throw new InvalidOperationException(
                    "Platform:Database:Provider is postgres but ConnectionStrings:Platform is not set "
                    + "(e.g. ConnectionStrings__Platform=\"Host=db;Database=platform;Username=platform\")");
            string bounded = WithTimeouts(connection, options);
            services.AddDbContextFactory<PostgresPlatformDbContext>(o => o.UseNpgsql(bounded)
                .AddInterceptors(new DbCommandMetrics("postgresql")));
            services.AddSingleton<IDbContextFactory<PlatformDbContext>>(sp =>
                new Contexts<PostgresPlatformDbContext>(
                    sp.GetRequiredService<IDbContextFactory<PostgresPlatformDbContext>>()));
        }
        // The job repository needs the training adapter's result codec: resolved only where the training role runs.
        services.AddSingleton<IJobRepository>(sp => new EfJobRepository(
            sp.GetRequiredService<IDbContextFactory<PlatformDbContext>>(), sp.GetRequiredService<IJobResultCodec>(),
            sp.GetRequiredService<ILogger<EfJobRepository>>()));
        services.AddSingleton<ICustomDeviceStore, EfCustomDeviceStore>();
        services.AddSingleton<InferenceScheduler.Domain.Live.IDeploymentStore, EfDeploymentStore>();
        // One instance, so probes do not pile up; bounded, so readiness answers while the database does not.
        services.AddSingleton<DatabaseHealthCheck>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [DatabaseHealthCheck.ReadyTag],
            timeout: TimeSpan.FromSeconds(options.ConnectTimeoutSeconds + 1));
        if (options.MigrateAtStart) services.AddHostedService<DatabaseMigrator>();
        return provider;
    }

    /// <summary>Applies the provider's pending migrations (`make migrate`, and at start).</summary>
    public static async Task MigratePlatformDatabaseAsync(this IServiceProvider services,
        CancellationToken ct = default)
    {
        var factory = services.GetService<IDbContextFactory<PlatformDbContext>>();
        if (factory is null) return;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PlatformDatabaseExtensions));
        await using var db = await factory.CreateDbContextAsync(ct);
        db.Database.SetCommandTimeout(MigrationCommandTimeout);
        try
        {
            // Replicas starting together on one PostgreSQL database migrate one at a time: a session-level advisory
            // lock held on this context's connection while it migrates (the others wait, then find nothing pending).
            bool postgres = db.Database.IsNpgsql();
            if (postgres)
            {
                await db.Database.OpenConnectionAsync(ct);
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({MigrationLockKey})", ct);
            }
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateAsync(ct);
            if (postgres) await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", ct);
            if (db.Database.IsSqlite())
                // Readers do not block the writer (and the other way round); kept in the file.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            logger.LogInformation("Platform database ({Provider}) migrated: {Count} migration(s) applied {Migrations}",
                db.Database.ProviderName, pending.Count, pending);
        }
        catch (DbException e)
        {
            throw new InvalidOperationException(
                $"the platform database ({db.Database.ProviderName}) cannot be reached or migrated: {e.Message}", e);
        }
    }

    /// <summary>The advisory lock key migrations hold on PostgreSQL (any constant the platform alone uses).</summary>
    private const long MigrationLockKey = 0x506c6174666f726d; // "Platform"

    /// <summary>How long one migration statement may run (not bound by CommandTimeoutSeconds).</summary>
    private static readonly TimeSpan MigrationCommandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The PostgreSQL connection string with the options' connect and command timeouts, unless it sets its own.
    /// </summary>
    internal static string WithTimeouts(string connection, PlatformDatabaseOptions options)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connection }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "").ToLowerInvariant()).ToHashSet();
        var b = new NpgsqlConnectionStringBuilder(connection);
        if (!given.Contains("timeout")) b.Timeout = options.ConnectTimeoutSeconds;
        if (!given.Contains("commandtimeout")) b.CommandTimeout = options.CommandTimeoutSeconds;
        return b.ConnectionString;
    }

    internal static DatabaseProvider ParseProvider(string? name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
        "none" => DatabaseProvider.None,
        _ => throw new InvalidOperationException(
            $"Platform:Database:Provider '{name}' is not a database provider; use sqlite, postgres or none"),
    };

    /// <summary>A relative SQLite file resolved against <paramref name="contentRoot"/>, its folder created.</summary>
    internal static string ResolveSqlite(string connection, string contentRoot)
    {
        var b = new SqliteConnectionStringBuilder(connection);
        bool memory = b.Mode == SqliteOpenMode.Memory || b.DataSource is "" or ":memory:";
        if (!memory)
        {
            string path = Path.IsPathRooted(b.DataSource) ? b.DataSource
                : Path.GetFullPath(Path.Combine(contentRoot, b.DataSource));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            b.DataSource = path;
        }
        return b.ToString();
    }

    private sealed class Contexts<T>(IDbContextFactory<T> inner) : IDbContextFactory<PlatformDbContext>
        where T : PlatformDbContext
    {
        public PlatformDbContext CreateDbContext() => inner.CreateDbContext();
    }

    /// <summary>Applies migrations while the host starts, before any other service starts.</summary>
    private sealed class DatabaseMigrator(IServiceProvider services) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) =>
            services.MigratePlatformDatabaseAsync(cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
