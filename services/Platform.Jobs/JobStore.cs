using System.Collections.Concurrent;
using Platform.Modeling.Errors;

namespace Platform.Jobs;

/// <summary>
/// Registry of a host's jobs of every kind, with change notification for streaming watchers. With an
/// <see cref="IJobRepository"/> every create and update is written through to it (progress-only changes in steps of
/// at least <see cref="PersistedProgressStep"/>), so a job outlives the process and every instance on the same
/// database answers for it: a job this instance does not hold in memory is read from the repository, and evictions
/// delete its row; the finished jobs this instance ran stay in memory too (within the same bounds), so they are
/// answered while the database is unreachable. A stored job that reached a final state is never overwritten, so a job
/// finishes once whichever instance finishes (or cancels) it first. Watchers and notifications stay in memory.
/// A job is independent of any watcher: it runs to completion whether or not someone watches it. The store is
/// bounded: at most <see cref="JobStoreOptions.MaxActiveJobs"/> jobs queued or running (more submissions are
/// refused), finished jobs kept for <see cref="JobStoreOptions.JobRetention"/> and at most
/// <see cref="JobStoreOptions.MaxRetainedJobs"/> of them (oldest evicted first), and at most
/// <see cref="JobStoreOptions.MaxConcurrentWatches"/> watches open.
/// </summary>
public sealed partial class JobStore
{
    /// <summary>Progress-only changes are written to the repository when they advance at least this much.</summary>
    public const double PersistedProgressStep = 0.05;

    /// <summary>What a job left queued or running by a previous run of the host says once recovery failed it.</summary>
    public const string RestartedReason = "the host restarted before the job finished; submit it again";

    private sealed class Entry(JobSnapshot job, bool attached = true)
    {
        public JobSnapshot Job = job;
        public TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public double PersistedProgress = job.Progress;
        // False for a snapshot read from the repository that this instance does not hold (it is not cached).
        public readonly bool Attached = attached;
    }

    private readonly ConcurrentDictionary<Guid, Entry> _jobs = new();
    // Finished jobs in the order they finished, with when: eviction takes from the front.
    private readonly ConcurrentQueue<(Guid Id, DateTimeOffset At)> _finished = new();
    private readonly Lock _gate = new();
    private readonly Lock _evictLock = new();
    private readonly JobStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly IJobRepository? _repository;
    private int _active;

    /// <summary>A store with the default bounds.</summary>
    public JobStore() : this(new JobStoreOptions()) { }

    /// <summary>
    /// A store with these bounds; with <paramref name="repository"/> jobs are written through to it and read back
    /// from it (call <see cref="Recover"/> once at start), without it they live in this process only.
    /// </summary>
    public JobStore(JobStoreOptions options, TimeProvider? time = null, IJobRepository? repository = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _repository = repository;
    }

    /// <summary>Whether jobs are kept in a repository (shared by every instance on it) or in this process only.
    /// </summary>
    public bool Durable => _repository is not null;

    /// <summary>
    /// Brings the repository in line at start: when <paramref name="failUnfinished"/> (nothing will deliver their
    /// work again, e.g. the in-memory transport), jobs left queued or running fail saying
    /// <see cref="RestartedReason"/>; finished jobs are scheduled for eviction and those already past the retention
    /// or count are deleted. Returns how many jobs were failed and how many finished ones are retained.
    /// </summary>
    public (int Failed, int Retained) Recover(bool failUnfinished, CancellationToken ct)
    {
        if (_repository is null) return (0, 0);
        int failed = failUnfinished ? _repository.FailUnfinished(RestartedReason, _time.GetUtcNow(), ct) : 0;
        var known = _finished.Select(f => f.Id).ToHashSet();
        foreach (var f in _repository.ListFinished(ct))
        {
            ct.ThrowIfCancellationRequested();
            if (known.Add(f.Id)) _finished.Enqueue((f.Id, f.FinishedAt));
        }
        Evict();
        return (failed, _finished.Count);
    }

    /// <summary>Jobs queued or running.</summary>
    public int ActiveJobs => Volatile.Read(ref _active);

    /// <summary>Jobs held, finished ones included.</summary>
    public int Count => _jobs.Count;

    /// <summary>
    /// A new queued job, or <see cref="LimitExceededException"/> when <see cref="JobStoreOptions.MaxActiveJobs"/>
    /// jobs are queued or running already.
    /// </summary>
    public JobSnapshot Create(string kind)
    {
        Evict();
        lock (_gate)
        {
            int max = _options.MaxActiveJobs;
            if (_active >= max)
                throw new LimitExceededException("job",
                    $"{_active:N0} jobs are queued or running on this host, its limit (Jobs:MaxActiveJobs = "
                    + $"{max:N0}); submit again when one has finished", _active + 1, max);
            _active++;
        }
        var job = New(Guid.NewGuid(), kind, "queued");
        try
        {
            _repository?.Save(job);
        }
        catch
        {
            lock (_gate) _active--;
            throw;
        }
        _jobs[job.Id] = new Entry(job);
        CountTransition(kind, JobStatus.Queued);
        return job;
    }

    /// <summary>
    /// Registers a job another instance accepted (competing consumers: the queue may hand it to any instance),
    /// so it runs here instead of being dropped. Returns false when the job was already known here or is already
    /// final in the repository (a redelivered job that finished is not run again). An adopted job counts as active
    /// but is never refused: the submitting instance accepted it already.
    /// </summary>
    public bool Adopt(Guid id, string kind)
    {
        Evict();
        if (_jobs.ContainsKey(id)) return false;
        var stored = _repository?.Find(id);
        if (stored is { Finished: true }) return false;
        var job = stored ?? New(id, kind, "queued (accepted by another instance)");
        lock (_gate)
        {
            if (!_jobs.TryAdd(id, new Entry(job))) return false;
            _active++;
        }
        try
        {
            if (stored is null) _repository?.Save(job);
        }
        catch
        {
            lock (_gate) _active--;
            _jobs.TryRemove(id, out _);
            throw;
        }
        return true;
    }

    /// <summary>
    /// Forgets a job whose submission failed before any worker could get it (its message was not published), so no
    /// record is left of a job the caller was told was not accepted.
    /// </summary>
    public void Discard(Guid id)
    {
        if (!_jobs.TryRemove(id, out var e)) return;
        if (!e.Job.Finished) lock (_gate) _active--;
        _repository?.Delete([id]);
    }

    /// <summary>The job, or <see cref="NotFoundException"/> saying how long finished jobs are kept.</summary>
    public JobSnapshot Get(Guid id, string field = "job_id") => Current(id, field).Job;

    /// <summary>The job held here, or else stored in the repository (and within retention).</summary>
    public bool TryGet(Guid id, out JobSnapshot job)
    {
        job = null!;
        var e = _jobs.TryGetValue(id, out var held) ? held : Load(id);
        if (e is null) return false;
        job = e.Job;
        return true;
    }

    /// <summary>
    /// Applies an update unless the job already finished (consumers are idempotent on redelivery). With a
    /// repository, a job that another instance finished or cancelled meanwhile takes that final state instead.
    /// </summary>
    public JobSnapshot Update(Guid id, Func<JobSnapshot, JobSnapshot> change)
    {
        var e = Find(id, "job_id");
        TaskCompletionSource signal;
        bool finished;
        lock (e)
        {
            if (e.Job.Finished) return e.Job;
            var now = _time.GetUtcNow();
            var next = change(e.Job) with { CreatedAt = e.Job.CreatedAt, UpdatedAt = now };
            next = next with { FinishedAt = next.Finished ? now : null };
            var before = e.Job.Status;
            e.Job = Persist(e, e.Job, next);
            finished = e.Job.Finished;
            if (e.Job.Status != before) CountTransition(e.Job.Kind, e.Job.Status);
            signal = e.Changed;
            e.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        // A snapshot read from the repository is not held here: nothing of this instance's counts changes.
        if (!e.Attached) return e.Job;
        if (finished)
        {
            lock (_gate) _active--;
            _finished.Enqueue((id, _time.GetUtcNow()));
        }
        signal.TrySetResult();
        if (finished) Evict();
        return e.Job;
    }

    private JobSnapshot New(Guid id, string kind, string message)
    {
        var now = _time.GetUtcNow();
        return new JobSnapshot(id, kind, JobStatus.Queued, 0, message) { CreatedAt = now, UpdatedAt = now };
    }

    /// <summary>
    /// The job as readers see it. A job this instance accepted stays queued here while another instance runs it,
    /// until that one reports the outcome: meanwhile the repository's newer snapshot is it.
    /// </summary>
    private Entry Current(Guid id, string field)
    {
        var e = Find(id, field);
        if (!e.Attached || e.Job.Status != JobStatus.Queued || _repository is null) return e;
        return Load(id) is { Job.Status: not JobStatus.Queued } stored ? stored : e;
    }

    private Entry Find(Guid id, string field) =>
        _jobs.TryGetValue(id, out var e) ? e
            : Load(id) ?? throw new NotFoundException(field, "job", id.ToString(),
                $"finished jobs are kept for {Describe(_options.JobRetention)} (at most "
                + $"{_options.MaxRetainedJobs:N0}), and a job is known to the instance that accepted or ran it"
                + (_repository is null ? "" : " and to every instance sharing its database")
                + "; job ids cannot be guessed from a name: ListJobs (GET /api/v1/jobs) lists the recent ones");

    /// <summary>
    /// The job as the repository stores it, as a snapshot this instance does not hold, or null when it is not stored
    /// or finished longer ago than the retention.
    /// </summary>
    private Entry? Load(Guid id)
    {
        if (_repository?.Find(id) is not { } stored || Expired(stored)) return null;
        return new Entry(stored, attached: false);
    }

    private bool Expired(JobSnapshot job) => job.FinishedAt is { } at && at < _time.GetUtcNow() - _options.JobRetention;

    /// <summary>
    /// Writes <paramref name="next"/> through to the repository, unless only its progress moved, by less than
    /// <see cref="PersistedProgressStep"/>. Runs under the entry's lock, so a job's writes keep their order. Returns
    /// what the job now is: <paramref name="next"/>, or the final state the repository kept.
    /// </summary>
    private JobSnapshot Persist(Entry e, JobSnapshot before, JobSnapshot next)
    {
        if (_repository is null) return next;
        bool onlyProgress = next with { Progress = before.Progress, UpdatedAt = before.UpdatedAt } == before;
        if (onlyProgress && next.Progress - e.PersistedProgress < PersistedProgressStep) return next;
        var stored = _repository.Save(next);
        e.PersistedProgress = stored.Progress;
        return stored;
    }

    /// <summary>
    /// Drops finished jobs past the retention time or beyond the retained count, oldest first, from memory and from
    /// the repository.
    /// </summary>
    private void Evict()
    {
        var cutoff = _time.GetUtcNow() - _options.JobRetention;
        List<Guid>? evicted = null;
        lock (_evictLock)
        {
            while (_finished.TryPeek(out var head)
                   && (head.At < cutoff || _finished.Count > _options.MaxRetainedJobs)
                   && _finished.TryDequeue(out var gone))
            {
                _jobs.TryRemove(gone.Id, out _);
                (evicted ??= []).Add(gone.Id);
            }
        }
        if (evicted is not null) _repository?.Delete(evicted);
    }

    private static string Describe(TimeSpan t) =>
        t.TotalHours >= 1 && t.TotalHours == Math.Floor(t.TotalHours) ? $"{t.TotalHours:0} h"
        : t.TotalMinutes >= 1 && t.TotalMinutes == Math.Floor(t.TotalMinutes) ? $"{t.TotalMinutes:0} min"
        : $"{t.TotalSeconds:0.###} s";
}
