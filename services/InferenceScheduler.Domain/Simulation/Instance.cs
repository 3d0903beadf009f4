using InferenceScheduler.Domain.Simulation.Policies;
using InferenceScheduler.Domain.Timing;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// One engine core: running list, waiting queue, KV cache, and the vLLM V1 scheduling step (references.md §2): running
/// requests first, preempting when their KV cannot grow; waiting requests admitted only if nothing was preempted, up
/// to max_num_seqs, within the token budget. The policies decide the details: <see cref="IQueuePolicy"/> the waiting
/// order and the victim, <see cref="IBatchPolicy"/> the tokens per request and the KV reservation (continuous batching
/// with chunked prefill, or Orca), <see cref="IKvCacheManager"/> the blocks and prefix-cache hits.
/// </summary>
internal sealed class Instance
{
    public readonly int Id;
    public readonly int PoolIndex;
    public readonly SchedulerSettings S;
    public readonly IStepTimeModel Time;
    public readonly IKvCacheManager Cache;
    public readonly IntList Running = new();
    public readonly IntList Scheduled = new();
    /// <summary>The requests of the last ended step that sampled a token (<see cref="EndStep"/>).</summary>
    public readonly IntList Sampled = new();
    /// <summary>Called with a request's slot when the scheduler preempts it (the live engine reports it).</summary>
    public Action<int>? Preempted;
    private readonly IQueuePolicy _waiting;
    private readonly IBatchPolicy _batching;
    public int Outstanding;
    /// <summary>Lockstep group (the DP ranks of one EP group step together).</summary>
    public int Group;
    public bool Busy;
    public StepShape Shape;

    public Instance(int id, int poolIndex, SchedulerSettings s, IStepTimeModel time, int totalBlocks)
    {
        Id = id; PoolIndex = poolIndex; S = s; Time = time;
        var blocks = new KvBlockPool(totalBlocks, Workloads.WorkloadSource.HashBlockTokens / s.BlockSize);
        Cache = new KvCacheManager(blocks, s.BlockSize, s.PrefixCaching);
        _waiting = QueuePolicy.For(s.Policy);
        _batching = BatchPolicy.For(s);
    }

    public KvBlockPool Kv => Cache.Blocks;
    public long Preemptions => Cache.Preemptions;
    public long RecomputedTokens => Cache.RecomputedTokens;
    public int WaitingCount => _waiting.Count;

    public void Enqueue(RequestState[] reqs, int slot, bool front) => _waiting.Enqueue(reqs, slot, front);

    /// <summary>Frees everything a request holds here.</summary>
    public void ReleaseBlocks(ref RequestState r) => Cache.Release(ref r);

    /// <summary>Forms the next batch into <see cref="Scheduled"/> and <see cref="Shape"/>; returns false when nothing
    /// can run.</summary>
    public bool Schedule(RequestState[] reqs, double now)
    {
        Scheduled.Clear();
        Shape = default;
        int budget = S.MaxNumBatchedTokens;
        bool preempted = ScheduleRunning(reqs, ref budget);
        if (!preempted) AdmitWaiting(reqs, now, ref budget);
        if (Scheduled.Count == 0) return false;
        DescribeStep(reqs);
        return true;
    }

    /// <summary>Running requests in admission order; returns whether any was preempted.</summary>
    private bool ScheduleRunning(RequestState[] reqs, ref int budget)
    {
        bool preempted = false;
        for (int i = 0; i < Running.Count && budget > 0; i++)
        {
            int slot = Running[i];
            ref var r = ref reqs[slot];
            int n = _batching.RunningTokens(r, budget);
            if (n <= 0) continue;
            // A speculative decode writes KV for its k drafts too (the rejected ones are overwritten next step), but
            // never past the request's last output token, so it needs no more KV than the request as a whole.
            int drafts = IsDecode(r, n) ? Math.Min(Drafts, Math.Max(0, r.Output - r.Generated - 1)) : 0;
            if (_batching.AllocatesOnDemand)
            {
                int need = Cache.GrowthBlocks(r, r.Computed + n + drafts);
                bool selfPreempted = false;
                while (need > 0 && !Cache.CanAllocate(need))
                {
                    int victimIndex = _waiting.PickVictim(reqs, Running);
                    int victim = Running[victimIndex];
                    Preempt(reqs, victimIndex, ref budget);
                    preempted = true;
                    if (victimIndex < i) i--;
                    if (victim == slot) { selfPreempted = true; break; }
                }
                if (selfPreempted) break;
                if (need > 0) Cache.Grow(ref r, need);
            }
            r.Scheduled = n;
            Scheduled.Add(slot);
            budget -= n + drafts;
        }
        return preempted;
    }

    /// <summary>Waiting requests in queue order while sequences, budget and KV allow; the first that does not fit stops
    /// admission.</summary>
    private void AdmitWaiting(RequestState[] reqs, double now, ref int budget)
    {
        while (_waiting.Count > 0 && budget > 0 && Running.Count < S.MaxNumSeqs)
        {
            int slot = _waiting.Peek();
            ref var r = ref reqs[slot];
            int computed = r.Computed, hitUnits = 0, evictableHit = 0;
            if (computed == 0) computed = Cache.CachedPrefix(r, out hitUnits, out evictableHit);
            if (!_batching.TryAdmit(r, computed, budget, out int n, out int reserveTokens)) break;
            if (!Cache.TryAdmit(ref r, hitUnits, evictableHit, reserveTokens)) break;
            _waiting.Pop();
            if (!r.Admitted) { r.CachedTokens = computed; r.Admitted = true; r.FirstScheduled = now; }
            r.Computed = computed;
            r.Scheduled = n;
            Running.Add(slot);
            Scheduled.Add(slot);
            budget -= n;
        }
    }

    /// <summary>Draft tokens per decode sequence and step (0 without speculative decoding).</summary>
    private int Drafts => S.Speculative?.DraftTokens ?? 0;

    /// <summary>Whether <paramref name="tokens"/> scheduled for a request are one decode (one token after a full
    /// context).</summary>
    private static bool IsDecode(in RequestState r, int tokens) =>
        tokens == 1 && r.Generated > 0 && r.Computed == r.NumTokens - 1;

    /// <summary>The step's shape for the time model: decodes (one token after a full context) and prefill
    /// chunks.</summary>
    private void DescribeStep(RequestState[] reqs)
    {
        for (int k = 0; k < Scheduled.Count; k++)
        {
            ref var r = ref reqs[Scheduled[k]];
            if (IsDecode(r, r.Scheduled))
            {
                Shape.DraftTokens = Drafts;
                Shape.DecodeSequences++;
                Shape.DecodeContextTokens += r.Computed + 1;
            }
            else
            {
                Shape.PrefillTokens += r.Scheduled;
                Shape.PrefillAttentionPairs += StepShape.ChunkPairs(r.Scheduled, r.Computed);
                // Each chunk's attention at its own length (short prompts run far below long ones' rate).
                Shape.PrefillAttentionSeconds += Time.PrefillChunkAttentionSeconds(r.Scheduled, r.Computed);
                if (r.Computed + r.Scheduled == r.NumTokens) Shape.PrefillSequences++;
            }
        }
    }

    /// <summary>Preempts by recompute: the victim leaves the batch and the running list, frees its KV and waits at the
    /// front.</summary>
    private void Preempt(RequestState[] reqs, int runningIndex, ref int budget)
    {
        int slot = Running[runningIndex];
        ref var r = ref reqs[slot];
        int s = Scheduled.IndexOf(slot);
        if (s >= 0) { budget += r.Scheduled; Scheduled.RemoveAt(s); }
        Running.RemoveAt(runningIndex);
        Cache.Preempt(ref r);
        _waiting.Enqueue(reqs, slot, front: true);
        Preempted?.Invoke(slot);
    }

    /// <summary>
    /// After a step: advances every scheduled request; those whose computed tokens caught up sampled a new token
    /// (<see cref="RequestState.Generated"/> counts it) and are listed in <see cref="Sampled"/>. With speculative
    /// decoding a decode emits <see cref="SpeculativeDecoding.Emit"/> tokens (the verified one and the accepted
    /// drafts, at most what the request has left) and its KV grows by as many.
    /// </summary>
    public void EndStep(RequestState[] reqs)
    {
        Sampled.Clear();
        var spec = S.Speculative;
        for (int k = 0; k < Scheduled.Count; k++)
        {
            int slot = Scheduled[k];
            ref var r = ref reqs[slot];
            int emitted = 1;
            if (spec is not null && IsDecode(r, r.Scheduled))
            {
                emitted = Math.Min(spec.Emit(ref r.DraftCarry), Math.Max(1, r.Output - r.Generated));
                r.Scheduled = emitted;
            }
            Advance(ref r);
            if (r.Computed < r.NumTokens) continue;
            r.Generated += emitted;
            r.Emitted = emitted;
            Sampled.Add(slot);
        }
        Scheduled.Clear();
    }

    /// <summary>
    /// Takes a request out of this instance (a cancelled live request) between steps: out of the running list or the
    /// waiting queue, its KV blocks freed at once. False when it was in neither.
    /// </summary>
    public bool Remove(RequestState[] reqs, int slot)
    {
        int i = Running.IndexOf(slot);
        if (i >= 0) Running.RemoveAt(i);
        else if (!_waiting.Remove(reqs, slot)) return false;
        ref var r = ref reqs[slot];
        Cache.Release(ref r);
        r.Scheduled = 0;
        Outstanding--;
        return true;
    }

    /// <summary>After a step: advances computed tokens and registers newly complete prompt units in the prefix
    /// cache.</summary>
    public void Advance(ref RequestState r)
    {
        r.Computed += r.Scheduled;
        r.Scheduled = 0;
        Cache.RegisterComputed(ref r);
    }
}
