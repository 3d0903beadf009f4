using Npgsql;

namespace Platform.Persistence.Tests;

/// <summary>How the platform bounds its waits on PostgreSQL and tells a lost connection from a refused statement.
/// </summary>
public sealed class DatabaseTimeoutTests
{
    [Fact]
    public void The_connect_and_command_timeouts_come_from_the_options_unless_the_connection_string_sets_them()
    {
        var options = new PlatformDatabaseOptions { ConnectTimeoutSeconds = 4, CommandTimeoutSeconds = 9 };
        var set = new NpgsqlConnectionStringBuilder(
            PlatformDatabaseExtensions.WithTimeouts("Host=db;Database=platform;Username=platform", options));
        Assert.Equal((4, 9, "db"), (set.Timeout, set.CommandTimeout, set.Host));
        var kept = new NpgsqlConnectionStringBuilder(PlatformDatabaseExtensions.WithTimeouts(
            "Host=db;Username=platform;Timeout=20;Command Timeout=60", options));
        Assert.Equal((20, 60), (kept.Timeout, kept.CommandTimeout));
        var defaults = new PlatformDatabaseOptions();
        Assert.Equal((2, 5), (defaults.ConnectTimeoutSeconds, defaults.CommandTimeoutSeconds));
    }

    [Fact]
    public void A_lost_connection_or_a_server_shutting_down_is_a_connection_failure_a_refused_statement_is_not()
    {
        Assert.True(Db.IsConnectionFailure(new NpgsqlException("Exception while reading from stream",
            new TimeoutException())));
        Assert.True(Db.IsConnectionFailure(new InvalidOperationException("transient",
            new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"))));
        Assert.False(Db.IsConnectionFailure(
            new PostgresException("duplicate key value", "ERROR", "ERROR", "23505")));
        Assert.False(Db.IsConnectionFailure(new TimeoutException("sqlite busy")));
    }
}
