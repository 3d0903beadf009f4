using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Platform.Jobs;

namespace Platform.Persistence;

/// <summary>The <see cref="IJobRepository"/> on the platform database (table "jobs").</summary>
public sealed class EfJobRepository(IDbContextFactory<PlatformDbContext> contexts, IJobResultCodec codec,
    ILogger<EfJobRepository> logger) : IJobRepository
{
    private const int DeleteBatch = 500;

    public JobSnapshot Save(JobSnapshot job) => Db.Run(logger, "save a job", () =>
    {
        using var db = contexts.CreateDbContext();
        var row = ToRow(job);
        // Only a row not yet final is changed: a job finishes (or is cancelled) once, whichever instance is first,
        // and a late progress write of another instance cannot reopen it.
        int updated = db.Jobs.Where(j => j.Id == job.Id && j.FinishedAt == null).ExecuteUpdate(s => s
            .SetProperty(j => j.Kind, row.Kind).SetProperty(j => j.State, row.State)
            .SetProperty(j => j.Progress, row.Progress).SetProperty(j => j.Message, row.Message)
            .SetProperty(j => j.ResultType, row.ResultType).SetProperty(j => j.Result, row.Result)
            .SetProperty(j => j.ErrorField, row.ErrorField).SetProperty(j => j.ErrorReason, row.ErrorReason)
            .SetProperty(j => j.ErrorCode, row.ErrorCode).SetProperty(j => j.UpdatedAt, row.UpdatedAt)
            .SetProperty(j => j.FinishedAt, row.FinishedAt));
        if (updated == 1) return job;
        if (db.Jobs.AsNoTracking().FirstOrDefault(j => j.Id == job.Id) is { } kept) return ToDomain(kept);
        db.Jobs.Add(row);
        try
        {
            db.SaveChanges();
            return job;
        }
        catch (DbUpdateException) when (db.Jobs.AsNoTracking().FirstOrDefault(j => j.Id == job.Id) is { } raced)
        {
            // Another instance inserted the same job id first (a unique key, not a memory set): keep its row.
            return ToDomain(raced);
        }
    });

    public JobSnapshot? Find(Guid id) => Db.Run(logger, "read a job", () =>
    {
        using var db = contexts.CreateDbContext();
        var row = db.Jobs.AsNoTracking().FirstOrDefault(j => j.Id == id);
        return row is null ? null : ToDomain(row);
    });

    public IReadOnlyList<JobSnapshot> List(JobQuery query, CancellationToken ct) => Db.Run(logger, "list jobs", () =>
    {
        using var db = contexts.CreateDbContext();
        var rows = db.Jobs.AsNoTracking();
        if (query.Kind is { } kind) rows = rows.Where(j => j.Kind == kind);
        if (query.Status is { } status)
        {
            string state = status.ToString();
            rows = rows.Where(j => j.State == state);
        }
        if (query.After is var (createdAt, id))
        {
            var at = Db.Utc(createdAt);
            rows = rows.Where(j => j.CreatedAt < at || (j.CreatedAt == at && j.Id.CompareTo(id) < 0));
        }
        var page = rows.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(query.PageSize).ToList();
        ct.ThrowIfCancellationRequested();
        return page.Select(ToDomain).ToList();
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
                .SetProperty(j => j.ErrorCode, "Unavailable")
                .SetProperty(j => j.UpdatedAt, when)
                .SetProperty(j => j.FinishedAt, when));
        });

    private JobRow ToRow(JobSnapshot job)
    {
        var (type, data) = job.Result is null ? (null, null) : codec.Encode(job.Result);
        return new JobRow
        {
            Id = job.Id, Kind = job.Kind, State = job.Status.ToString(), Progress = job.Progress,
            Message = job.Message, ResultType = type, Result = data, ErrorField = job.ErrorField,
            ErrorReason = job.ErrorReason, ErrorCode = job.ErrorCode, CreatedAt = Db.Utc(job.CreatedAt),
            UpdatedAt = Db.Utc(job.UpdatedAt), FinishedAt = job.FinishedAt is { } f ? Db.Utc(f) : null,
        };
    }

    private JobSnapshot ToDomain(JobRow row)
    {
        object? result = row.ResultType is { } type && row.Result is { } data ? codec.Decode(type, data) : null;
        return new JobSnapshot(row.Id, row.Kind, Enum.Parse<JobStatus>(row.State), row.Progress, row.Message, result,
            row.ErrorField, row.ErrorReason, row.ErrorCode)
        {
            CreatedAt = Db.Utc(row.CreatedAt),
            UpdatedAt = Db.Utc(row.UpdatedAt),
            FinishedAt = row.FinishedAt is { } f ? Db.Utc(f) : null,
        };
    }
}
