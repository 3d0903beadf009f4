using System.Data.Common;
using System.Text.Json;
using HardwareEmulator.Domain.Devices;
using Microsoft.EntityFrameworkCore;
using Platform.Modeling.Devices;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Modeling.Errors;
using TrainingCost.Domain.Jobs;

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

/// <summary>The <see cref="IJobRepository"/> on the platform database (table "jobs").</summary>
public sealed class EfJobRepository(IDbContextFactory<PlatformDbContext> contexts, IJobResultCodec codec,
    ILogger<EfJobRepository> logger) : IJobRepository
{
    private const int DeleteBatch = 500;

    public void Save(StoredJob job) => Db.Run(logger, "save a job", () =>
    {
        using var db = contexts.CreateDbContext();
        var row = db.Jobs.Find(job.Job.Id);
        if (row is null)
        {
            row = new JobRow { Id = job.Job.Id };
            db.Jobs.Add(row);
        }
        var j = job.Job;
        row.Kind = j.Kind;
        row.State = j.Status.ToString();
        row.Progress = j.Progress;
        row.Message = j.Message;
        (row.ResultType, row.Result) = j.Result is null ? (null, null) : codec.Encode(j.Result);
        row.ErrorField = j.ErrorField;
        row.ErrorReason = j.ErrorReason;
        row.CreatedAt = Db.Utc(job.CreatedAt);
        row.UpdatedAt = Db.Utc(job.UpdatedAt);
        row.FinishedAt = job.FinishedAt is { } f ? Db.Utc(f) : null;
        db.SaveChanges();
    });

    public StoredJob? Find(Guid id) => Db.Run(logger, "read a job", () =>
    {
        using var db = contexts.CreateDbContext();
        var row = db.Jobs.AsNoTracking().FirstOrDefault(j => j.Id == id);
        return row is null ? null : ToDomain(row);
    });

    public void Delete(IReadOnlyCollection<Guid> ids) => Db.Run(logger, "delete jobs", () =>
    {
        using var db = contexts.CreateDbContext();
        foreach (var batch in ids.Chunk(DeleteBatch))
            db.Jobs.Where(j => batch.Contains(j.Id)).ExecuteDelete();
    });

    public IReadOnlyList<FinishedJob> ListFinished(CancellationToken ct) => Db.Run(logger, "list finished jobs", () =>
    {
        using var db = contexts.CreateDbContext();
        var list = new List<FinishedJob>();
        foreach (var r in db.Jobs.AsNoTracking().Where(j => j.FinishedAt != null).OrderBy(j => j.FinishedAt)
                     .Select(j => new { j.Id, j.FinishedAt }).AsEnumerable())
        {
            ct.ThrowIfCancellationRequested();
            list.Add(new FinishedJob(r.Id, Db.Utc(r.FinishedAt!.Value)));
        }
        return list;
    });

    public int FailUnfinished(string message, DateTimeOffset at, CancellationToken ct) =>
        Db.Run(logger, "fail unfinished jobs", () =>
        {
            using var db = contexts.CreateDbContext();
            string queued = nameof(JobStatus.Queued), running = nameof(JobStatus.Running);
            var when = Db.Utc(at);
            return db.Jobs.Where(j => j.State == queued || j.State == running).ExecuteUpdate(s => s
                .SetProperty(j => j.State, nameof(JobStatus.Failed))
                .SetProperty(j => j.Message, "failed: " + message)
                .SetProperty(j => j.ErrorReason, message)
                .SetProperty(j => j.UpdatedAt, when)
                .SetProperty(j => j.FinishedAt, when));
        });

    private StoredJob ToDomain(JobRow row)
    {
        var status = Enum.Parse<JobStatus>(row.State);
        object? result = row.ResultType is { } type && row.Result is { } data ? codec.Decode(type, data) : null;
        var job = new TrainingJob(row.Id, row.Kind, status, row.Progress, row.Message, result, row.ErrorField,
            row.ErrorReason);
        return new StoredJob(job, Db.Utc(row.CreatedAt), Db.Utc(row.UpdatedAt),
            row.FinishedAt is { } f ? Db.Utc(f) : null);
    }
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
