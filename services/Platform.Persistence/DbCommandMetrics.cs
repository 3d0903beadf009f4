using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Platform.Modeling.Telemetry;

namespace Platform.Persistence;

/// <summary>
/// Records platform.db.command.duration for every command EF Core runs (labels db_system: sqlite or postgresql;
/// operation: select, insert, update, delete or other; outcome: ok or error), from the duration EF Core measures.
/// </summary>
public sealed class DbCommandMetrics(string system) : DbCommandInterceptor
{
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData,
        DbDataReader result)
    {
        Record(command, eventData.Duration, "ok");
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command,
        CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Record(command, eventData.Duration, "ok");
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Record(command, eventData.Duration, "ok");
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData,
        int result, CancellationToken cancellationToken = default)
    {
        Record(command, eventData.Duration, "ok");
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Record(command, eventData.Duration, "ok");
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData,
        object? result, CancellationToken cancellationToken = default)
    {
        Record(command, eventData.Duration, "ok");
        return ValueTask.FromResult(result);
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) =>
        Record(command, eventData.Duration, "error");

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Record(command, eventData.Duration, "error");
        return Task.CompletedTask;
    }

    private void Record(DbCommand command, TimeSpan duration, string outcome)
    {
        if (!PlatformMetrics.DbDuration.Enabled) return;
        PlatformMetrics.DbDuration.Record(duration.TotalSeconds,
            new KeyValuePair<string, object?>("db.system", system),
            new KeyValuePair<string, object?>("operation", Operation(command.CommandText)),
            new KeyValuePair<string, object?>("outcome", outcome));
    }

    /// <summary>The statement's verb, from a fixed set (the command text is never a label).</summary>
    internal static string Operation(string? sql)
    {
        var s = sql.AsSpan().TrimStart();
        foreach (var (verb, label) in Verbs)
            if (s.StartsWith(verb, StringComparison.OrdinalIgnoreCase)) return label;
        return "other";
    }

    private static readonly (string Verb, string Label)[] Verbs =
        [("SELECT", "select"), ("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")];
}
