namespace InferenceScheduler.Messaging.Fleet;

/// <summary>
/// A worker's prepared capacity plans by job, so a plan's layouts are expanded once per instance for all of its
/// probes. At most <see cref="Capacity"/> plans are kept, the least recently used dropped first; a preparation that
/// failed or was cancelled is not reused (the next probe of its job prepares again); a job's plan is dropped when the
/// job ends (<see cref="Remove"/>). Thread-safe.
/// </summary>
internal sealed class PreparedPlanCache<T>
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(Guid Job, Task<T> Plan)> _plans = new();

    public PreparedPlanCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Most plans kept.</summary>
    public int Capacity { get; }

    /// <summary>Plans kept now.</summary>
    public int Count { get { lock (_gate) return _plans.Count; } }

    /// <summary>
    /// The job's plan: the one kept (now the most recently used) unless it failed or was cancelled, else a new one
    /// from <paramref name="prepare"/>.
    /// </summary>
    public Task<T> GetOrAdd(Guid job, Func<Task<T>> prepare)
    {
        lock (_gate)
        {
            for (var n = _plans.First; n is not null; n = n.Next)
            {
                if (n.Value.Job != job) continue;
                _plans.Remove(n);
                if (n.Value.Plan.IsFaulted || n.Value.Plan.IsCanceled) break;
                _plans.AddFirst(n);
                return n.Value.Plan;
            }
            var plan = prepare();
            _plans.AddFirst((job, plan));
            while (_plans.Count > Capacity) _plans.RemoveLast();
            return plan;
        }
    }

    /// <summary>Drops the job's plan; false when none was kept.</summary>
    public bool Remove(Guid job)
    {
        lock (_gate)
        {
            for (var n = _plans.First; n is not null; n = n.Next)
                if (n.Value.Job == job)
                {
                    _plans.Remove(n);
                    return true;
                }
            return false;
        }
    }
}
