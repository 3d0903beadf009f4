using Npgsql;

namespace Platform.IntegrationTests;

/// <summary>
/// A new, empty database for one test on the PostgreSQL server PLATFORM_TEST_POSTGRES names (scripts/postgres.sh
/// starts one and sets it), dropped afterwards; the hosts under test migrate it. Without the variable the test fails
/// saying so — it never skips silently.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string ServerVariable = "PLATFORM_TEST_POSTGRES";

    private readonly string _server;
    private readonly string _name;

    /// <summary>The connection string of the test's database.</summary>
    public string ConnectionString { get; }

    private PostgresTestDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        string server = Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s
            : throw new InvalidOperationException(
                $"{ServerVariable} is not set: the shared-database tests need a PostgreSQL server (source "
                + "scripts/postgres.sh and call ensure_postgres, or set it to a connection string)");
        var db = new PostgresTestDatabase(server, $"platform_it_{Guid.NewGuid():N}");
        await db.ExecuteAsync($"CREATE DATABASE \"{db._name}\"");
        return db;
    }

    public async ValueTask DisposeAsync() => await ExecuteAsync($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)");

    private async Task ExecuteAsync(string sql)
    {
        // Not pooled: the server's maintenance database is not held open between tests.
        var b = new NpgsqlConnectionStringBuilder(_server) { Pooling = false };
        await using var connection = new NpgsqlConnection(b.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
