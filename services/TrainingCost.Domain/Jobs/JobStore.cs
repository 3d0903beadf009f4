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
/// Registry of the training role's jobs with change notification for streaming watchers. With an
/// <see cref="IJobRepository"/> every create and update is written through to it (progress-only changes in steps of
/// at least <see cref="PersistedProgressStep"/>), so a job outlives the process: a job this instance does not hold in
/// memory is read from the repository, and evictions delete its row. Watchers and notifications stay in memory.
/// A job is independent of any watcher: it runs to completion whether or not someone watches it. The store is
/// bounded: at most <see cref="JobStoreOptions.MaxActiveJobs"/> jobs queued or running (more submissions are
/// refused), finished jobs kept for <see cref="JobStoreOptions.JobRetention"/> and at most
/// <see cref="JobStoreOptions.MaxRetainedJobs"/> of them (oldest evicted first), and at most
/// <see cref="JobStoreOptions.MaxConcurrentWatches"/> watches open.
/// </summary>
public sealed class JobStore
{
    /// <summary>Progress-only changes are written to the repository when they advance at least this much.</summary>
    public const double PersistedProgressStep = 0.05;

    /// <summary>What a job left queued or running by a previous run of the host says once recovery failed it.</summary>
    public const string RestartedReason = "the host restarted before the job finished; submit it again";

    private sealed class Entry(TrainingJob job, DateTimeOffset createdAt, bool attached = true)
    {
        public TrainingJob Job = job;
        public TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly DateTimeOffset CreatedAt = createdAt;
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
    private int _watches;

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

    /// <summary>How often a watch of a job held only in the repository (run by another instance) polls it.</summary>
    public TimeSpan StoredJobPollInterval { get; init; } = TimeSpan.FromSeconds(1);

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

    /// <summary>Watches open (<see cref="Watch"/> not yet disposed).</summary>
    public int ActiveWatches => Volatile.Read(ref _watches);

    /// <summary>
    /// A new queued job, or <see cref="LimitExceededException"/> when <see cref="JobStoreOptions.MaxActiveJobs"/>
    /// jobs are queued or running already.
    /// </summary>
    public TrainingJob Create(string kind)
    {
        Evict();
        var job = new TrainingJob(Guid.NewGuid(), kind, JobStatus.Queued, 0, "queued");
        lock (_gate)
        {
            int max = _options.MaxActiveJobs;
            if (_active >= max)
                throw new LimitExceededException("job",
                    $"{_active:N0} jobs are queued or running on this host, its limit (Training:MaxActiveJobs = "
                    + $"{max:N0}); submit again when one has finished", _active + 1, max);
            _active++;
        }
        var now = _time.GetUtcNow();
        try
        {
            _repository?.Save(new StoredJob(job, now, now, null));
        }
        catch
        {
            lock (_gate) _active--;
            throw;
        }
        _jobs[job.Id] = new Entry(job, now);
        return job;
    }

    /// <summary>
    /// Registers a job another instance accepted (competing consumers: the queue may hand it to any instance),
    /// so it runs here instead of being dropped. Returns false when the job was already known. An adopted job counts
    /// as active but is never refused: the submitting instance accepted it already.
    /// </summary>
    public bool Adopt(Guid id, string kind)
    {
        Evict();
        // A redelivered job that finished before (its row says so) is not run again.
        if (!_jobs.ContainsKey(id) && _repository?.Find(id) is { Job.Finished: true }) return false;
        var now = _time.GetUtcNow();
        var job = new TrainingJob(id, kind, JobStatus.Queued, 0, "queued (accepted by another instance)");
        lock (_gate)
        {
            if (!_jobs.TryAdd(id, new Entry(job, now))) return false;
            _active++;
        }
        try
        {
            _repository?.Save(new StoredJob(job, now, now, null));
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
    public TrainingJob Get(Guid id, string field = "job_id") => Find(id, field).Job;

    /// <summary>The job held here, or else stored in the repository (and within retention).</summary>
    public bool TryGet(Guid id, out TrainingJob job)
    {
        job = null!;
        var e = _jobs.TryGetValue(id, out var held) ? held : Load(id);
        if (e is null) return false;
        job = e.Job;
        return true;
    }

    /// <summary>Applies an update unless the job already finished (consumers are idempotent on redelivery).</summary>
    public TrainingJob Update(Guid id, Func<TrainingJob, TrainingJob> change)
    {
        var e = Find(id, "job_id");
        TaskCompletionSource signal;
        bool finished;
        lock (e)
        {
            if (e.Job.Finished) return e.Job;
            var next = change(e.Job);
            Persist(e, e.Job, next);
            e.Job = next;
            finished = e.Job.Finished;
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

    /// <summary>Waits until the job changes after <paramref name="seen"/> (returns at once if it already
    /// has).</summary>
    public async Task<TrainingJob> WaitForChangeAsync(Guid id, TrainingJob seen, CancellationToken ct)
    {
        var e = Find(id, "job_id");
        if (!e.Attached)
        {
            // Held only in the repository (another instance runs it): poll it.
            var current = e.Job;
            while (current == seen)
            {
                await Task.Delay(StoredJobPollInterval, _time, ct);
                current = Find(id, "job_id").Job;
            }
            return current;
        }
        Task wait;
        lock (e)
        {
            if (!ReferenceEquals(e.Job, seen)) return e.Job;
            wait = e.Changed.Task;
        }
        await wait.WaitAsync(ct);
        return e.Job;
    }

    /// <summary>
    /// Opens a watch of the job: <see cref="NotFoundException"/> for an unknown or evicted job,
    /// <see cref="LimitExceededException"/> when <see cref="JobStoreOptions.MaxConcurrentWatches"/> are open. The
    /// watch holds a slot until it is disposed; it holds nothing of the job (the job runs on whether watched or not).
    /// </summary>
    public JobWatch Watch(Guid id, string field = "job_id")
    {
        var e = Find(id, field);
        int max = _options.MaxConcurrentWatches;
        if (Interlocked.Increment(ref _watches) > max)
        {
            int open = Interlocked.Decrement(ref _watches);
            throw new LimitExceededException(field,
                $"{open:N0} job watches are open on this host, its limit (Training:MaxConcurrentWatches = {max:N0}); "
                + "poll GetJob instead, or watch again later", open + 1, max);
        }
        return new JobWatch(this, id, e.Job);
    }

    private void Release() => Interlocked.Decrement(ref _watches);

    private Entry Find(Guid id, string field) =>
        _jobs.TryGetValue(id, out var e) ? e
            : Load(id) ?? throw new NotFoundException(field, "job", id.ToString(),
                $"finished jobs are kept for {Describe(_options.JobRetention)} (at most "
                + $"{_options.MaxRetainedJobs:N0}), and a job is known to the instance that accepted or ran it"
                + (_repository is null ? "" : " and to every instance sharing its database"));

    /// <summary>
    /// The job as the repository stores it, as a snapshot this instance does not hold, or null when it is not stored
    /// or finished longer ago than the retention.
    /// </summary>
    private Entry? Load(Guid id)
    {
        if (_repository?.Find(id) is not { } stored) return null;
        if (stored.FinishedAt is { } at && at < _time.GetUtcNow() - _options.JobRetention) return null;
        return new Entry(stored.Job, stored.CreatedAt, attached: false);
    }

    /// <summary>
    /// Writes <paramref name="next"/> through to the repository, unless only its progress moved, by less than
    /// <see cref="PersistedProgressStep"/>. Runs under the entry's lock, so a job's writes keep their order.
    /// </summary>
    private void Persist(Entry e, TrainingJob before, TrainingJob next)
    {
        if (_repository is null) return;
        bool onlyProgress = next with { Progress = before.Progress } == before;
        if (onlyProgress && next.Progress - e.PersistedProgress < PersistedProgressStep) return;
        var now = _time.GetUtcNow();
        _repository.Save(new StoredJob(next, e.CreatedAt, now, next.Finished ? now : null));
        e.PersistedProgress = next.Progress;
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

    /// <summary>
    /// One open watch of a job (a WatchJob stream): its latest snapshot and the next change. Dispose it when the
    /// stream ends, for whatever reason; that releases its slot.
    /// </summary>
    public sealed class JobWatch : IDisposable
    {
        private readonly JobStore _store;
        private readonly Guid _id;
        private int _disposed;

        internal JobWatch(JobStore store, Guid id, TrainingJob current)
        {
            _store = store;
            _id = id;
            Current = current;
        }

        /// <summary>The latest snapshot this watch has seen.</summary>
        public TrainingJob Current { get; private set; }

        /// <summary>The next snapshot after <see cref="Current"/> (or <paramref name="ct"/> cancelled).</summary>
        public async Task<TrainingJob> NextAsync(CancellationToken ct) =>
            Current = await _store.WaitForChangeAsync(_id, Current, ct);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _store.Release();
        }
    }
}
