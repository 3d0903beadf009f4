using Platform.Modeling.Errors;

namespace Platform.Jobs;

public sealed partial class JobStore
{
    private int _watches;

    /// <summary>How often a watch of a job held only in the repository (run by another instance) polls it.</summary>
    public TimeSpan StoredJobPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Watches open (<see cref="Watch"/> not yet disposed).</summary>
    public int ActiveWatches => Volatile.Read(ref _watches);

    /// <summary>
    /// One page of jobs, newest first: from the repository when there is one (every instance's jobs, with this
    /// instance's fresher progress for those it holds), else the jobs held here. Finished jobs past the retention are
    /// left out.
    /// </summary>
    public IReadOnlyList<JobSnapshot> List(JobQuery query, CancellationToken ct)
    {
        if (_repository is not null)
            return [.. _repository.List(query, ct).Where(j => !Expired(j))
                .Select(j => _jobs.TryGetValue(j.Id, out var held) ? held.Job : j)];
        var after = query.After;
        return [.. _jobs.Values.Select(e => e.Job)
            .Where(j => (query.Kind is null || j.Kind == query.Kind)
                && (query.Status is null || j.Status == query.Status))
            .Where(j => after is not { } a || j.CreatedAt < a.CreatedAt
                || (j.CreatedAt == a.CreatedAt && j.Id.CompareTo(a.Id) < 0))
            .OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id)
            .Take(query.PageSize)];
    }

    /// <summary>Waits until the job changes after <paramref name="seen"/> (at once if it already has).</summary>
    public async Task<JobSnapshot> WaitForChangeAsync(Guid id, JobSnapshot seen, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var e = Current(id, "job_id");
            if (!e.Attached)
            {
                // Held only in the repository (another instance runs it): poll it.
                if (e.Job != seen) return e.Job;
                await Task.Delay(StoredJobPollInterval, _time, ct);
                continue;
            }
            Task wait;
            lock (e)
            {
                if (!ReferenceEquals(e.Job, seen)) return e.Job;
                wait = e.Changed.Task;
            }
            // Queued here may mean running on another instance: look at the repository again now and then.
            if (_repository is not null && e.Job.Status == JobStatus.Queued)
                await Task.WhenAny(wait, Task.Delay(StoredJobPollInterval, _time, ct));
            else
                await wait.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Opens a watch of the job: <see cref="NotFoundException"/> for an unknown or evicted job,
    /// <see cref="LimitExceededException"/> when <see cref="JobStoreOptions.MaxConcurrentWatches"/> are open. The
    /// watch holds a slot until it is disposed; it holds nothing of the job (the job runs on whether watched or not).
    /// </summary>
    public JobWatch Watch(Guid id, string field = "job_id")
    {
        var e = Current(id, field);
        int max = _options.MaxConcurrentWatches;
        if (Interlocked.Increment(ref _watches) > max)
        {
            int open = Interlocked.Decrement(ref _watches);
            throw new LimitExceededException(field,
                $"{open:N0} job watches are open on this host, its limit (Jobs:MaxConcurrentWatches = {max:N0}); "
                + "poll GetJob instead, or watch again later", open + 1, max);
        }
        return new JobWatch(this, id, e.Job);
    }

    private void Release() => Interlocked.Decrement(ref _watches);

    /// <summary>
    /// One open watch of a job (a WatchJob stream): its latest snapshot and the next change. Dispose it when the
    /// stream ends, for whatever reason; that releases its slot.
    /// </summary>
    public sealed class JobWatch : IDisposable
    {
        private readonly JobStore _store;
        private readonly Guid _id;
        private int _disposed;

        internal JobWatch(JobStore store, Guid id, JobSnapshot current)
        {
            _store = store;
            _id = id;
            Current = current;
        }

        /// <summary>The latest snapshot this watch has seen.</summary>
        public JobSnapshot Current { get; private set; }

        /// <summary>The next snapshot after <see cref="Current"/> (or <paramref name="ct"/> cancelled).</summary>
        public async Task<JobSnapshot> NextAsync(CancellationToken ct) =>
            Current = await _store.WaitForChangeAsync(_id, Current, ct);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _store.Release();
        }
    }
}
