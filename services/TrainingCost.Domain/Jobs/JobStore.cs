using System.Collections.Concurrent;
using Platform.Modeling.Errors;

namespace TrainingCost.Domain.Jobs;

public enum JobStatus { Queued, Running, Succeeded, Failed }

/// <summary>A snapshot of a job. Results are kept as the caller's wire format (opaque here).</summary>
public sealed record TrainingJob(Guid Id, string Kind, JobStatus Status, double Progress, string Message,
    object? Result = null, string? ErrorField = null, string? ErrorReason = null)
{
    public bool Finished => Status is JobStatus.Succeeded or JobStatus.Failed;
}

/// <summary>
/// In-memory registry of the training role's jobs with change notification for streaming watchers. Jobs are
/// kept for <see cref="Retention"/> after they finish.
/// </summary>
public sealed class JobStore
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(6);

    private sealed class Entry(TrainingJob job)
    {
        public TrainingJob Job = job;
        public TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public DateTimeOffset Touched = DateTimeOffset.UtcNow;
    }

    private readonly ConcurrentDictionary<Guid, Entry> _jobs = new();

    public TrainingJob Create(string kind)
    {
        Sweep();
        var job = new TrainingJob(Guid.NewGuid(), kind, JobStatus.Queued, 0, "queued");
        _jobs[job.Id] = new Entry(job);
        return job;
    }

    /// <summary>
    /// Registers a job another instance accepted (competing consumers: the queue may hand it to any instance),
    /// so it runs here instead of being dropped. Returns false when the job was already known.
    /// </summary>
    public bool Adopt(Guid id, string kind)
    {
        Sweep();
        return _jobs.TryAdd(id,
            new Entry(new TrainingJob(id, kind, JobStatus.Queued, 0, "queued (accepted by another instance)")));
    }

    public TrainingJob Get(Guid id, string field = "job_id") =>
        _jobs.TryGetValue(id, out var e) ? e.Job : throw new NotFoundException(field, "job", id.ToString());

    public bool TryGet(Guid id, out TrainingJob job)
    {
        job = null!;
        if (!_jobs.TryGetValue(id, out var e)) return false;
        job = e.Job;
        return true;
    }

    /// <summary>Applies an update unless the job already finished (consumers are idempotent on redelivery).</summary>
    public TrainingJob Update(Guid id, Func<TrainingJob, TrainingJob> change)
    {
        if (!_jobs.TryGetValue(id, out var e)) throw new NotFoundException("job_id", "job", id.ToString());
        TaskCompletionSource signal;
        lock (e)
        {
            if (e.Job.Finished) return e.Job;
            e.Job = change(e.Job);
            e.Touched = DateTimeOffset.UtcNow;
            signal = e.Changed;
            e.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
        return e.Job;
    }

    /// <summary>Waits until the job changes after <paramref name="seen"/> (returns at once if it already
    /// has).</summary>
    public async Task<TrainingJob> WaitForChangeAsync(Guid id, TrainingJob seen, CancellationToken ct)
    {
        if (!_jobs.TryGetValue(id, out var e)) throw new NotFoundException("job_id", "job", id.ToString());
        Task wait;
        lock (e)
        {
            if (!ReferenceEquals(e.Job, seen)) return e.Job;
            wait = e.Changed.Task;
        }
        await wait.WaitAsync(ct);
        return e.Job;
    }

    private void Sweep()
    {
        var cutoff = DateTimeOffset.UtcNow - Retention;
        foreach (var (id, e) in _jobs)
            if (e.Job.Finished && e.Touched < cutoff) _jobs.TryRemove(id, out _);
    }
}
