using InferenceScheduler.Domain.Timing;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// One engine core: waiting queue, running list, KV blocks, and the vLLM V1 scheduling step (references.md §2):
/// running requests first (decode 1 token, unfinished prefill continues as a chunk capped by
/// long_prefill_token_threshold), preempting by recompute when blocks run out; waiting requests admitted only if
/// nothing was preempted, up to max_num_seqs, within the token budget. Orca mode: whole prompts, KV for prompt +
/// output reserved at admission, never preempts.
/// </summary>
internal sealed class Instance
{
    public readonly int Id;
    public readonly int PoolIndex;
    public readonly SchedulerSettings S;
    public readonly IStepTimeModel Time;
    public readonly KvBlockPool Kv;
    public readonly IntList Running = new();
    public readonly IntList Scheduled = new();
    private readonly IntDeque _fcfs = new();
    private readonly PriorityQueue<int, (int Priority, double Arrival, long Index)> _prio = new();
    public int Outstanding;
    public bool Busy;
    public double StepStart;
    public double LinkFreeAt;
    public StepShape Shape;
    public long Preemptions;
    public long RecomputedTokens;

    public Instance(int id, int poolIndex, SchedulerSettings s, IStepTimeModel time, int totalBlocks)
    {
        Id = id; PoolIndex = poolIndex; S = s; Time = time;
        Kv = new KvBlockPool(totalBlocks, Workloads.WorkloadSource.HashBlockTokens / s.BlockSize);
    }

    public int WaitingCount => S.Policy == SchedulingPolicyKind.Priority ? _prio.Count : _fcfs.Count;

    public void Enqueue(RequestState[] reqs, int slot, bool front)
    {
        if (S.Policy == SchedulingPolicyKind.Priority)
        {
            ref var r = ref reqs[slot];
            _prio.Enqueue(slot, (r.Priority, r.Arrival, r.Index));
        }
        else if (front) _fcfs.PushFront(slot);
        else _fcfs.PushBack(slot);
    }

    private int PeekWaiting() => S.Policy == SchedulingPolicyKind.Priority ? _prio.Peek() : _fcfs.PeekFront();
    private void PopWaiting() { if (S.Policy == SchedulingPolicyKind.Priority) _prio.Dequeue(); else _fcfs.PopFront(); }

    private int BlocksFor(int tokens) => (tokens + S.BlockSize - 1) / S.BlockSize;
    private int Held(in RequestState r) => r.HashRefs * Kv.UnitBlocks + r.PrivateBlocks;

    /// <summary>Frees everything a request holds here.</summary>
    public void ReleaseBlocks(ref RequestState r)
    {
        if (r.HashRefs > 0) Kv.ReleaseUnits(r.Hashes!, r.HashRefs);
        Kv.Release(r.PrivateBlocks);
        r.HashRefs = 0;
        r.PrivateBlocks = 0;
    }

    /// <summary>Forms the next batch into <see cref="Scheduled"/> and <see cref="Shape"/>; returns false when nothing can run.</summary>
    public bool Schedule(RequestState[] reqs, double now)
    {
        Scheduled.Clear();
        Shape = default;
        int budget = S.MaxNumBatchedTokens;
        bool preempted = false;
        bool orca = S.Batching == BatchingPolicyKind.Orca;

        for (int i = 0; i < Running.Count && budget > 0; i++)
        {
            int slot = Running[i];
            ref var r = ref reqs[slot];
            int n = r.NumTokens - r.Computed;
            if (S.LongPrefillTokenThreshold > 0 && n > S.LongPrefillTokenThreshold) n = S.LongPrefillTokenThreshold;
            if (n > budget) n = budget;
            if (n <= 0) continue;
            if (!orca)
            {
                int need = BlocksFor(r.Computed + n) - Held(r);
                bool selfPreempted = false;
                while (need > 0 && !Kv.CanAllocate(need))
                {
                    int victimIndex = PickVictim(reqs);
                    int victim = Running[victimIndex];
                    Preempt(reqs, victimIndex, ref budget);
                    preempted = true;
                    if (victimIndex < i) i--;
                    if (victim == slot) { selfPreempted = true; break; }
                }
                if (selfPreempted) break;
                if (need > 0) { Kv.Allocate(need); r.PrivateBlocks += need; }
            }
            r.Scheduled = n;
            Scheduled.Add(slot);
            budget -= n;
        }

        if (!preempted)
        {
            while (WaitingCount > 0 && budget > 0 && Running.Count < S.MaxNumSeqs)
            {
                int slot = PeekWaiting();
                ref var r = ref reqs[slot];
                int computed = r.Computed, hitUnits = 0, evictableHit = 0;
                if (computed == 0 && S.PrefixCaching && r.Hashes is { } hashes)
                {
                    // Whole cached units only, and at least one token left to compute (vLLM recomputes the last one).
                    int limit = Math.Min(hashes.Length, (r.NumTokens - 1) / Workloads.WorkloadSource.HashBlockTokens);
                    hitUnits = Kv.Lookup(hashes, limit, out evictableHit);
                    computed = hitUnits * Workloads.WorkloadSource.HashBlockTokens;
                }
                int n = r.NumTokens - computed;
                if ((orca || !S.ChunkedPrefill) && n > budget) break;
                if (!orca && S.LongPrefillTokenThreshold > 0 && n > S.LongPrefillTokenThreshold) n = S.LongPrefillTokenThreshold;
                if (n > budget) n = budget;
                int reserveTokens = orca ? r.Input + r.Output : computed + n;
                int need = BlocksFor(reserveTokens) - hitUnits * Kv.UnitBlocks;
                if (need < 0) need = 0;
                if (need + evictableHit > Kv.FreeBlocks + Kv.EvictableBlocks) break;
                PopWaiting();
                if (hitUnits > 0) Kv.Acquire(r.Hashes!, hitUnits);
                r.HashRefs = hitUnits;
                Kv.Allocate(need);
                r.PrivateBlocks = need;
                if (!r.Admitted) { r.CachedTokens = computed; r.Admitted = true; r.FirstScheduled = now; }
                r.Computed = computed;
                r.Scheduled = n;
                Running.Add(slot);
                Scheduled.Add(slot);
                budget -= n;
            }
        }

        if (Scheduled.Count == 0) return false;
        for (int k = 0; k < Scheduled.Count; k++)
        {
            ref var r = ref reqs[Scheduled[k]];
            if (r.Scheduled == 1 && r.Generated > 0 && r.Computed == r.NumTokens - 1)
            {
                Shape.DecodeSequences++;
                Shape.DecodeContextTokens += r.Computed + 1;
            }
            else
            {
                Shape.PrefillTokens += r.Scheduled;
                Shape.PrefillAttentionPairs += StepShape.ChunkPairs(r.Scheduled, r.Computed);
                if (r.Computed + r.Scheduled == r.NumTokens) Shape.PrefillSequences++;
            }
        }
        return true;
    }

    /// <summary>FCFS: the last running request; priority: the lowest priority (largest value), latest arrival among equals.</summary>
    private int PickVictim(RequestState[] reqs)
    {
        if (S.Policy != SchedulingPolicyKind.Priority) return Running.Count - 1;
        int best = 0;
        for (int i = 1; i < Running.Count; i++)
        {
            ref var a = ref reqs[Running[i]];
            ref var b = ref reqs[Running[best]];
            if (a.Priority > b.Priority || (a.Priority == b.Priority && a.Arrival >= b.Arrival)) best = i;
        }
        return best;
    }

    private void Preempt(RequestState[] reqs, int runningIndex, ref int budget)
    {
        int slot = Running[runningIndex];
        ref var r = ref reqs[slot];
        int s = Scheduled.IndexOf(slot);
        if (s >= 0) { budget += r.Scheduled; Scheduled.RemoveAt(s); }
        Running.RemoveAt(runningIndex);
        ReleaseBlocks(ref r);
        RecomputedTokens += r.Computed;
        r.Computed = 0;
        r.Scheduled = 0;
        r.Preemptions++;
        Preemptions++;
        Enqueue(reqs, slot, front: true);
    }

    /// <summary>After a step: advances computed tokens and registers newly complete prompt units in the prefix cache.</summary>
    public void Advance(ref RequestState r)
    {
        r.Computed += r.Scheduled;
        r.Scheduled = 0;
        if (S.PrefixCaching && r.Hashes is { } hashes)
        {
            int full = Math.Min(hashes.Length, Math.Min(r.Computed, r.Input) / Workloads.WorkloadSource.HashBlockTokens);
            while (r.HashRefs < full)
            {
                bool fresh = Kv.Register(hashes[r.HashRefs]);
                // The unit's blocks move from the request's private blocks into the cache entry, or (a duplicate of a unit
                // another request cached meanwhile) are freed.
                r.PrivateBlocks -= Kv.UnitBlocks;
                if (!fresh) Kv.Release(Kv.UnitBlocks);
                r.HashRefs++;
            }
        }
    }
}
