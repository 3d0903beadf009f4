using System.Diagnostics;
using InferenceScheduler.Domain.Metrics;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Simulation.Policies;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Live;

/// <summary>
/// A deployment serving live requests on a wall clock with the simulator's scheduler core: the same
/// <see cref="ServingPools"/> of <see cref="Instance"/>s (queue policy, continuous batching with chunked prefill, KV
/// cache manager with prefix cache, preemption), the same <see cref="IRouter"/> and the same step-time model. One loop
/// per replica (lockstep group) forms a step, waits for the step's modelled time × <see cref="TimeScale"/>, then ends
/// it: every request that sampled a token hears of it at once. Steps run back to back against their scheduled times, so
/// a late wake-up is caught up rather than accumulated. All engine state is guarded by one lock, held only while a step
/// is formed or ended and while requests are admitted or cancelled.
/// </summary>
public sealed partial class LiveEngine : IDisposable
{
    /// <summary>Behind schedule by more than this (wall seconds), a replica re-anchors on the clock instead of
    /// catching up.</summary>
    private const double MaxCatchUpSeconds = 0.2;

    private readonly object _gate = new();
    private readonly ServingPools _pools;
    private readonly IRouter _router;
    private readonly WorkloadCheck _check;
    private readonly RequestTable _reqs = new();
    private LiveRequest?[] _handles = new LiveRequest?[256];
    private readonly List<LiveRequest> _pendingCancels = [];
    private readonly Replica[] _replicas;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ILiveObserver? _observer;
    private readonly LogHistogram _lateWake = new();
    private readonly long[] _tokensBySecond = new long[11];
    private readonly long[] _secondOfBucket = new long[11];
    private long _index, _promptTokens, _generationTokens, _prefixQueries, _prefixHits, _completed, _cancelled, _steps,
        _requestSteps;
    private double _schedulerSeconds;
    private int _outstanding;
    private volatile bool _stopping;

    /// <param name="replicaPriority">The replica threads' priority (<see cref="ReplicaThreadPriority"/>); each thread
    /// takes what it is allowed, see <see cref="ReplicaThreadNice"/>.</param>
    public LiveEngine(SimulationSetup setup, double timeScale, int maxOutstanding, ILiveObserver? observer = null,
        ReplicaThreadPriority replicaPriority = ReplicaThreadPriority.Normal)
    {
        if (setup.Decode is not null)
            throw new PreconditionFailedException("deployment.disaggregation",
                "live serving runs colocated deployments only");
        if (!(timeScale > 0) || !double.IsFinite(timeScale))
            throw new InvalidFieldException("time_scale", "must be a finite number above zero");
        TimeScale = timeScale;
        MaxOutstanding = maxOutstanding;
        _observer = observer;
        _pools = new ServingPools(setup);
        _router = Router.For(setup.Router);
        _check = new WorkloadCheck(setup);
        foreach (var inst in _pools.Instances) inst.Preempted = OnPreempted;
        _replicas = new Replica[_pools.Groups.Length];
        for (int g = 0; g < _replicas.Length; g++) _replicas[g] = new Replica(this, g, replicaPriority);
        foreach (var r in _replicas) r.Start();
    }

    public double TimeScale { get; }
    public int MaxOutstanding { get; }
    public int Replicas => _pools.Instances.Length;
    /// <summary>The nice value the replica threads run at (Linux; null elsewhere): what
    /// <see cref="ReplicaThreadPriority"/> obtained.</summary>
    public int? ReplicaThreadNice => _replicas[0].Nice;

    public long KvTokensPerReplica => (long)_pools.Instances[0].Kv.TotalBlocks * _pools.Instances[0].S.BlockSize;

    private double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>
    /// Admits a request of <paramref name="promptTokens"/> prompt tokens (<paramref name="hashes"/>: its
    /// <see cref="PromptHashes"/>, null for a prompt that shares nothing) that generates exactly
    /// <paramref name="maxTokens"/> tokens, or <paramref name="stopAt"/> when given (its end of sequence, at most
    /// max_tokens: see <see cref="EndOfSequence"/>). Refused with <see cref="LimitExceededException"/> when the
    /// deployment already holds <see cref="MaxOutstanding"/> requests, and with
    /// <see cref="PreconditionFailedException"/> when a request of this size can never fit a replica.
    /// </summary>
    public LiveRequest Submit(int promptTokens, int[]? hashes, int maxTokens, int? stopAt = null)
    {
        if (promptTokens < 1) throw new InvalidFieldException("prompt", "must have at least one token");
        if (maxTokens < 1) throw new InvalidFieldException("max_tokens", "must be at least 1");
        int output = Math.Clamp(stopAt ?? maxTokens, 1, maxTokens);
        if (_check.WhyUnservable(promptTokens, maxTokens) is { } why)
            throw new PreconditionFailedException("max_tokens", why);
        var handle = new LiveRequest(promptTokens, maxTokens);
        Replica replica;
        lock (_gate)
        {
            if (_stopping) throw new PreconditionFailedException("deployment", "the deployment is being deleted");
            if (_outstanding >= MaxOutstanding)
                throw new LimitExceededException("deployment",
                    $"the deployment's queue is full ({MaxOutstanding} requests in flight); retry later",
                    _outstanding + 1, MaxOutstanding);
            int slot = _reqs.Add();
            if (_handles.Length < _reqs.Slots.Length) Array.Resize(ref _handles, _reqs.Slots.Length);
            ref var r = ref _reqs[slot];
            double now = Now;
            r.Index = _index++;
            r.Arrival = now;
            r.Input = promptTokens;
            r.Output = output;
            r.Hashes = hashes;
            _handles[slot] = handle;
            handle.Slot = slot;
            handle.ArrivalWall = now;
            _outstanding++;
            var inst = _router.Route(r, _pools.Prefill);
            r.Instance = inst.Id;
            inst.Outstanding++;
            replica = _replicas[inst.Group];
            replica.Inbox.Add(slot);
            handle.Post(new LiveEvent(LiveEventKind.Queued, 0, Replica: inst.Id));
        }
        replica.Wake();
        return handle;
    }

    /// <summary>
    /// Cancels a request (the client went away or its deadline passed): a waiting or running request not in the step
    /// in flight leaves at once and its KV blocks are freed; one in the step in flight leaves when that step ends.
    /// </summary>
    public void Cancel(LiveRequest handle)
    {
        lock (_gate)
        {
            if (handle.Done || handle.CancelRequested) return;
            handle.CancelRequested = true;
            var inst = _pools.Instances[_reqs[handle.Slot].Instance];
            if (inst.Scheduled.IndexOf(handle.Slot) >= 0) _pendingCancels.Add(handle);
            else if (_replicas[inst.Group].Inbox.Remove(handle.Slot))
            {
                inst.Outstanding--;
                _cancelled++;
                Finish(handle, ref _reqs[handle.Slot], Now, cancelled: true);
            }
            else RemoveCancelled(handle, Now);
        }
    }

    public LiveStats Stats()
    {
        lock (_gate)
        {
            int waiting = 0, running = 0;
            long preemptions = 0, used = 0, total = 0;
            foreach (var r in _replicas) waiting += r.Inbox.Count;
            foreach (var inst in _pools.Instances)
            {
                waiting += inst.WaitingCount;
                running += inst.Running.Count;
                preemptions += inst.Preemptions;
                used += inst.Kv.UsedBlocks;
                total += inst.Kv.TotalBlocks;
            }
            long now = (long)Now, recent = 0;
            for (int i = 0; i < _tokensBySecond.Length; i++)
                if (_secondOfBucket[i] < now && _secondOfBucket[i] >= now - 10) recent += _tokensBySecond[i];
            double window = Math.Min(10, Math.Max(1, now));
            return new LiveStats(waiting, running, preemptions, total > 0 ? (double)used / total : 0, _prefixQueries,
                _prefixHits, _promptTokens, _generationTokens, _completed, _cancelled, recent / window, _steps,
                _schedulerSeconds, _lateWake.Count > 0 ? _lateWake.Quantile(0.99) : 0, _requestSteps);
        }
    }

    /// <summary>Stops the replicas; requests still in flight end with a <see cref="PreconditionFailedException"/>
    /// (the deployment was deleted).</summary>
    public void Dispose()
    {
        _stopping = true;
        foreach (var r in _replicas) r.Stop();
        lock (_gate)
        {
            foreach (var h in _handles)
                if (h is { Done: false })
                {
                    h.Done = true;
                    h.Complete(new PreconditionFailedException("deployment", "the deployment was deleted"));
                }
        }
    }

    private void OnPreempted(int slot)
    {
        if (_handles[slot] is not { } h) return;
        h.Preempted = true;
        h.Post(new LiveEvent(LiveEventKind.Preempted, Now - h.ArrivalWall, Replica: _reqs[slot].Instance));
    }

    private void RemoveCancelled(LiveRequest h, double now)
    {
        ref var r = ref _reqs[h.Slot];
        _pools.Instances[r.Instance].Remove(_reqs.Slots, h.Slot);
        _cancelled++;
        Finish(h, ref r, now, cancelled: true);
    }

    /// <summary>Reports the outcome and frees the slot (the request has left its instance).</summary>
    private void Finish(LiveRequest h, ref RequestState r, double now, bool cancelled)
    {
        double ttft = r.Generated > 0 ? r.FirstToken - r.Arrival : 0, e2e = now - r.Arrival;
        double tpot = r.Generated > 1 ? (r.LastToken - r.FirstToken) / (r.Generated - 1) : 0;
        double queue = r.Admitted ? r.FirstScheduled - r.Arrival : e2e;
        var outcome = new LiveOutcome(r.Input, r.Generated, r.CachedTokens, r.Preemptions, queue, ttft, tpot, e2e,
            r.Instance, cancelled)
        { StoppedAtEos = !cancelled && r.Generated < h.MaxTokens };
        if (!cancelled) { _completed++; _observer?.Finished(outcome); }
        h.Done = true;
        h.Post(new LiveEvent(cancelled ? LiveEventKind.Cancelled : LiveEventKind.Finished, e2e, Replica: r.Instance,
            Outcome: outcome));
        h.Complete();
        _handles[h.Slot] = null;
        _reqs.Free(h.Slot);
        _outstanding--;
    }
}
