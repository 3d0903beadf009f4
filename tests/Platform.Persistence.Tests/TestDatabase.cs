using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Testing;

namespace Platform.Persistence.Tests;

/// <summary>
/// A fresh, migrated platform database for one test: a temporary SQLite file, or a new PostgreSQL database on the
/// server PLATFORM_TEST_POSTGRES names (dropped afterwards). <see cref="Contexts"/> is what the host registers.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    public const string PostgresVariable = "PLATFORM_TEST_POSTGRES";

    private readonly string? _sqliteFile;
    private readonly string? _postgresDatabase;

    public string Provider { get; }
    public string ConnectionString { get; }
    public IDbContextFactory<PlatformDbContext> Contexts { get; }

    /// <summary>The providers to run each database test on: sqlite, and postgres when configured.</summary>
    public static TheoryData<string> Providers()
    {
        var data = new TheoryData<string> { "sqlite" };
        if (PostgresServer is not null) data.Add("postgres");
        return data;
    }

    public static string? PostgresServer =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } s ? s : null;

    /// <param name="migrate">False: the database is created empty (PostgreSQL) or absent (SQLite).</param>
    public TestDatabase(string provider, bool migrate = true)
    {
        Provider = provider;
        if (provider == "sqlite")
        {
            _sqliteFile = Path.Combine(Path.GetTempPath(), $"platform-persistence-{Guid.NewGuid():N}.db");
            ConnectionString = $"Data Source={_sqliteFile};Pooling=False";
            Contexts = new Factory(() => new SqlitePlatformDbContext(
                new DbContextOptionsBuilder<SqlitePlatformDbContext>().UseSqlite(ConnectionString).Options));
        }
        else
        {
            string server = PostgresServer ?? throw new InvalidOperationException($"{PostgresVariable} is not set");
            _postgresDatabase = $"platform_test_{Guid.NewGuid():N}";
            ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = _postgresDatabase }
                .ConnectionString;
            Contexts = new Factory(() => new PostgresPlatformDbContext(
                new DbContextOptionsBuilder<PostgresPlatformDbContext>().UseNpgsql(ConnectionString).Options));
        }
        if (!migrate)
        {
            if (_postgresDatabase is not null)
            {
                using var admin = new NpgsqlConnection(PostgresServer);
                admin.Open();
                using var create = new NpgsqlCommand($"CREATE DATABASE {_postgresDatabase}", admin);
                create.ExecuteNonQuery();
            }
            return;
        }
        using var db = Contexts.CreateDbContext();
        db.Database.Migrate();
    }

    public EfJobRepository Jobs(Microsoft.Extensions.Logging.ILogger<EfJobRepository>? logger = null) =>
        new(Contexts, new TextResultCodec(), logger ?? NullLogger<EfJobRepository>.Instance);

    public EfCustomDeviceStore Devices() => new(Contexts, NullLogger<EfCustomDeviceStore>.Instance);

    public void Dispose()
    {
        if (_sqliteFile is not null)
        {
            SqliteConnection.ClearAllPools();
            PlatformFactory.DeleteDatabase(_sqliteFile);
        }
        else
        {
            using var db = Contexts.CreateDbContext();
            NpgsqlConnection.ClearAllPools();
            db.Database.EnsureDeleted();
        }
    }

    private sealed class Factory(Func<PlatformDbContext> create) : IDbContextFactory<PlatformDbContext>
    {
        public PlatformDbContext CreateDbContext() => create();
    }
}

/// <summary>A result codec for tests: results are strings, stored as UTF-8 under the tag "text".</summary>
public sealed class TextResultCodec : Platform.Jobs.IJobResultCodec
{
    public (string Type, byte[] Data) Encode(object result) => ("text", System.Text.Encoding.UTF8.GetBytes(
        (string)result));

    public object Decode(string type, byte[] data) => type == "text"
        ? System.Text.Encoding.UTF8.GetString(data)
        : throw new InvalidOperationException(type);
}
