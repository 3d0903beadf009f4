using System.Data.Common;
using System.Text.Json;
using HardwareEmulator.Domain.Devices;
using Microsoft.EntityFrameworkCore;
using Platform.Modeling.Devices;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Modeling.Errors;

namespace Platform.Persistence;

/// <summary>Turns a database that cannot be reached into <see cref="DependencyUnavailableException"/>.</summary>
internal static class Db
{
    public const string Dependency = "database";

    public static T Run<T>(ILogger logger, string what, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (IsDatabaseFailure(e))
        {
            logger.LogError(e, "Platform database failed to {What}", what);
            if (IsConnectionFailure(e))
                // The pool's other idle connections to that server are likely broken too: do not try each in turn.
                NpgsqlConnection.ClearAllPools();
            throw new DependencyUnavailableException(Dependency,
                $"the platform database could not {what}; try again later");
        }
    }

    /// <summary>
    /// The connection to PostgreSQL failed or the server is shutting down (SQL states 08…, 57P…), rather than an
    /// error the server answered about the statement (a constraint, say).
    /// </summary>
    internal static bool IsConnectionFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is PostgresException p ? p.SqlState.StartsWith("08") || p.SqlState.StartsWith("57P")
                    : e is NpgsqlException)
                return true;
        return false;
    }

    /// <summary>
    /// A failure of the database or the connection to it. Npgsql's execution strategy wraps a transient one (a
    /// connection the server dropped) in an InvalidOperationException: its inner exception says what it was.
    /// </summary>
    internal static bool IsDatabaseFailure(Exception e) => e switch
    {
        DbException or DbUpdateException or TimeoutException => true,
        InvalidOperationException { InnerException: { } inner } => IsDatabaseFailure(inner),
        _ => false,
    };

    public static void Run(ILogger logger, string what, Action work) => Run(logger, what, () =>
    {
        work();
        return 0;
    });

    public static DateTime Utc(DateTimeOffset t) => t.UtcDateTime;

    // SQLite hands DateTime back unspecified; every stored time is UTC.
    public static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}

/// <summary>The <see cref="ICustomDeviceStore"/> on the platform database (table "custom_devices").</summary>
public sealed class EfCustomDeviceStore(IDbContextFactory<PlatformDbContext> contexts,
    ILogger<EfCustomDeviceStore> logger) : ICustomDeviceStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public IReadOnlyList<StoredDevice> LoadAll(CancellationToken ct) => Db.Run(logger, "load custom devices", () =>
    {
        using var db = contexts.CreateDbContext();
        var list = new List<StoredDevice>();
        foreach (var row in db.CustomDevices.AsNoTracking().OrderBy(d => d.Id).AsEnumerable())
        {
            ct.ThrowIfCancellationRequested();
            list.Add(ToDomain(row));
        }
        return list;
    });

    public StoredDevice? Find(string id) => Db.Run(logger, "read a custom device", () =>
    {
        using var db = contexts.CreateDbContext();
        var row = db.CustomDevices.AsNoTracking().FirstOrDefault(d => d.Id == id);
        return row is null ? null : ToDomain(row);
    });

    public (int Total, int ByOwner) Count(string owner) => Db.Run(logger, "count custom devices", () =>
    {
        using var db = contexts.CreateDbContext();
        return (db.CustomDevices.Count(), db.CustomDevices.Count(d => d.Owner == owner));
    });

    public void Save(StoredDevice device) => Db.Run(logger, "save a custom device", () =>
    {
        using var db = contexts.CreateDbContext();
        var row = db.CustomDevices.Find(device.Device.Id);
        if (row is null)
        {
            row = new CustomDeviceRow { Id = device.Device.Id, Owner = device.Owner };
            db.CustomDevices.Add(row);
        }
        row.Spec = JsonSerializer.Serialize(device.Device, Json);
        row.RegisteredAt = Db.Utc(device.RegisteredAt);
        db.SaveChanges();
    });

    private static StoredDevice ToDomain(CustomDeviceRow row) =>
        new(JsonSerializer.Deserialize<DeviceSpec>(row.Spec, Json)! with { Id = row.Id, BuiltIn = false }, row.Owner,
            Db.Utc(row.RegisteredAt));
}
