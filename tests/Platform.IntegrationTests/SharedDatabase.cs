using Npgsql;

namespace Platform.IntegrationTests;

/// <summary>
/// The database the processes of a multi-process test share: a database of the test's own on the PostgreSQL server
/// PLATFORM_TEST_POSTGRES names (dropped afterwards), else a SQLite file.
/// </summary>
internal sealed class SharedDatabase : IAsyncDisposable
{
    private string? _file;
    private string? _server;
    private string _name = "";
    public string Provider { get; private set; } = "sqlite";
    public string Connection { get; private set; } = "";

    public static async Task<SharedDatabase> CreateAsync()
    {
        var db = new SharedDatabase();
        string? server = Environment.GetEnvironmentVariable("PLATFORM_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            db._file = Path.Combine(Path.GetTempPath(), $"platform-kill-{Guid.NewGuid():N}.db");
            db.Connection = $"Data Source={db._file}";
            return db;
        }
        db._server = server;
        db._name = $"platform_kill_{Guid.NewGuid():N}";
        await db.ExecuteAsync($"CREATE DATABASE {db._name}");
        db.Provider = "postgres";
        db.Connection = new NpgsqlConnectionStringBuilder(server) { Database = db._name }.ConnectionString;
        return db;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await ExecuteAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        if (_file is not null)
            foreach (string f in new[] { _file, _file + "-wal", _file + "-shm" }) File.Delete(f);
    }
}
