using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// KV-cache manager of one engine core, over its <see cref="KvBlockPool"/>: what a request holds (prefix-cache units it
/// references plus private blocks), prefix-cache hits at admission, block growth as tokens are computed, preemption by
/// recompute and the registration of newly computed prompt units in the prefix cache.
/// </summary>
internal interface IKvCacheManager
{
    KvBlockPool Blocks { get; }
    /// <summary>Requests preempted so far, and the computed tokens they dropped (to be computed again).</summary>
    long Preemptions { get; }
    long RecomputedTokens { get; }

    /// <summary>Prompt tokens a newly admitted request finds cached: whole resident units, at least one token left to
    /// compute.</summary>
    int CachedPrefix(in RequestState r, out int hitUnits, out int evictableHitBlocks);
    /// <summary>Blocks a request must add to hold <paramref name="tokens"/> tokens.</summary>
    int GrowthBlocks(in RequestState r, int tokens);
    bool CanAllocate(int blocks);
    void Grow(ref RequestState r, int blocks);
    /// <summary>Takes the cached units and reserves the rest of <paramref name="reserveTokens"/>; false (nothing taken)
    /// when that does not fit.</summary>
    bool TryAdmit(ref RequestState r, int hitUnits, int evictableHitBlocks, int reserveTokens);
    /// <summary>Frees everything a request holds.</summary>
    void Release(ref RequestState r);
    /// <summary>Preemption by recompute: frees the request's blocks and resets it to no computed tokens.</summary>
    void Preempt(ref RequestState r);
    /// <summary>After a step: moves the request's newly complete prompt units into the prefix cache.</summary>
    void RegisterComputed(ref RequestState r);
}

/// <summary>vLLM's paged KV cache with automatic prefix caching (when <paramref name="prefixCaching"/>).</summary>
internal sealed class KvCacheManager(KvBlockPool blocks, int blockSize, bool prefixCaching) : IKvCacheManager
{
    public KvBlockPool Blocks { get; } = blocks;
    public long Preemptions { get; private set; }
    public long RecomputedTokens { get; private set; }

    private int BlocksFor(int tokens) => (tokens + blockSize - 1) / blockSize;
    private int Held(in RequestState r) => r.HashRefs * Blocks.UnitBlocks + r.PrivateBlocks;

    public int CachedPrefix(in RequestState r, out int hitUnits, out int evictableHitBlocks)
    {
        hitUnits = evictableHitBlocks = 0;
        if (!prefixCaching || r.Hashes is not { } hashes) return 0;
        // Whole cached units only, and at least one token left to compute (vLLM recomputes the last one).
        int limit = Math.Min(hashes.Length, (r.NumTokens - 1) / WorkloadSource.HashBlockTokens);
        hitUnits = Blocks.Lookup(hashes, limit, out evictableHitBlocks);
        return hitUnits * WorkloadSource.HashBlockTokens;
    }

    public int GrowthBlocks(in RequestState r, int tokens) => BlocksFor(tokens) - Held(r);

    public bool CanAllocate(int blocks) => Blocks.CanAllocate(blocks);

    public void Grow(ref RequestState r, int blocks)
    {
        Blocks.Allocate(blocks);
        r.PrivateBlocks += blocks;
    }

    public bool TryAdmit(ref RequestState r, int hitUnits, int evictableHitBlocks, int reserveTokens)
    {
        int need = BlocksFor(reserveTokens) - hitUnits * Blocks.UnitBlocks;
        if (need < 0) need = 0;
        // Cached units nobody references count as evictable; taking them removes them from what can be evicted.
        if (need + evictableHitBlocks > Blocks.FreeBlocks + Blocks.EvictableBlocks) return false;
        if (hitUnits > 0) Blocks.Acquire(r.Hashes!, hitUnits);
        r.HashRefs = hitUnits;
        Blocks.Allocate(need);
        r.PrivateBlocks = need;
        return true;
    }

    public void Release(ref RequestState r)
    {
        if (r.HashRefs > 0) Blocks.ReleaseUnits(r.Hashes!, r.HashRefs);
        Blocks.Release(r.PrivateBlocks);
        r.HashRefs = 0;
        r.PrivateBlocks = 0;
    }

    public void Preempt(ref RequestState r)
    {
        Release(ref r);
        RecomputedTokens += r.Computed;
        r.Computed = 0;
        r.Scheduled = 0;
        r.Preemptions++;
        Preemptions++;
    }

    public void RegisterComputed(ref RequestState r)
    {
        if (!prefixCaching || r.Hashes is not { } hashes) return;
        int full = Math.Min(hashes.Length, Math.Min(r.Computed, r.Input) / WorkloadSource.HashBlockTokens);
        while (r.HashRefs < full)
        {
            bool fresh = Blocks.Register(hashes[r.HashRefs]);
            // The unit's blocks move from the request's private blocks into the cache entry, or (a duplicate of a unit
            // another request cached meanwhile) are freed.
            r.PrivateBlocks -= Blocks.UnitBlocks;
            if (!fresh) Blocks.Release(Blocks.UnitBlocks);
            r.HashRefs++;
        }
    }
}
