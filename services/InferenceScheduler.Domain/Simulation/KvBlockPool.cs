namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// KV-cache blocks of one instance with a prefix cache, after vLLM's block pool: blocks are free, held privately by a
/// request, or belong to a cached prefix unit (one 512-token hash block = <see cref="UnitBlocks"/> KV blocks) keyed by
/// its hash id. Cached units nobody references stay resident and are evicted least-recently-used only when blocks run
/// out.
/// </summary>
public sealed class KvBlockPool
{
    private readonly Dictionary<int, int> _map = new();
    private int[] _hash = new int[64], _refs = new int[64], _prev = new int[64], _next = new int[64];
    private int _entryCount, _freeEntry = -1;
    private int _lruHead = -1, _lruTail = -1; // unreferenced entries, oldest at head

    public int TotalBlocks { get; }
    public int UnitBlocks { get; }
    public int FreeBlocks { get; private set; }
    public int EvictableBlocks { get; private set; }
    public int UsedBlocks => TotalBlocks - FreeBlocks - EvictableBlocks;
    public long Evictions { get; private set; }

    public KvBlockPool(int totalBlocks, int unitBlocks)
    {
        TotalBlocks = totalBlocks;
        FreeBlocks = totalBlocks;
        UnitBlocks = Math.Max(1, unitBlocks);
    }

    public bool CanAllocate(int blocks) => blocks <= FreeBlocks + EvictableBlocks;

    public void Allocate(int blocks)
    {
        while (FreeBlocks < blocks) EvictOldest();
        FreeBlocks -= blocks;
    }

    public void Release(int blocks) => FreeBlocks += blocks;

    /// <summary>Number of leading hash units of <paramref name="hashes"/> resident (at most <paramref name="limit"/>),
    /// and how many of their blocks are currently evictable.</summary>
    public int Lookup(int[] hashes, int limit, out int evictableHitBlocks)
    {
        evictableHitBlocks = 0;
        int n = Math.Min(limit, hashes.Length), k = 0;
        for (; k < n; k++)
        {
            if (!_map.TryGetValue(hashes[k], out int e)) break;
            if (_refs[e] == 0) evictableHitBlocks += UnitBlocks;
        }
        return k;
    }

    /// <summary>Takes a reference on the first <paramref name="units"/> (resident) hash units.</summary>
    public void Acquire(int[] hashes, int units)
    {
        for (int k = 0; k < units; k++)
        {
            int e = _map[hashes[k]];
            if (_refs[e]++ == 0) { Unlink(e); EvictableBlocks -= UnitBlocks; }
        }
    }

    /// <summary>
    /// Registers a unit the request has just computed into its private blocks. Returns true when the unit was new (its
    /// blocks now belong to the cache entry); false when another request had cached it (the caller frees its copy).
    /// Either way the request now holds one reference.
    /// </summary>
    public bool Register(int hash)
    {
        if (_map.TryGetValue(hash, out int e))
        {
            if (_refs[e]++ == 0) { Unlink(e); EvictableBlocks -= UnitBlocks; }
            return false;
        }
        e = NewEntry(hash);
        _refs[e] = 1;
        _map[hash] = e;
        return true;
    }

    /// <summary>Drops the references a request held on its first <paramref name="units"/> hash units.</summary>
    public void ReleaseUnits(int[] hashes, int units)
    {
        for (int k = 0; k < units; k++)
        {
            int e = _map[hashes[k]];
            if (--_refs[e] == 0) { Append(e); EvictableBlocks += UnitBlocks; }
        }
    }

    public bool IsCached(int hash) => _map.ContainsKey(hash);

    private void EvictOldest()
    {
        int e = _lruHead;
        if (e < 0) throw new InvalidOperationException("KV blocks exhausted (caller must check CanAllocate)");
        Unlink(e);
        _map.Remove(_hash[e]);
        EvictableBlocks -= UnitBlocks;
        FreeBlocks += UnitBlocks;
        Evictions++;
        _next[e] = _freeEntry;
        _freeEntry = e;
    }

    private int NewEntry(int hash)
    {
        int e;
        if (_freeEntry >= 0) { e = _freeEntry; _freeEntry = _next[e]; }
        else
        {
            if (_entryCount == _hash.Length)
            {
                int n = _hash.Length * 2;
                Array.Resize(ref _hash, n); Array.Resize(ref _refs, n); Array.Resize(ref _prev, n);
                Array.Resize(ref _next, n);
            }
            e = _entryCount++;
        }
        _hash[e] = hash;
        _prev[e] = _next[e] = -1;
        return e;
    }

    private void Append(int e)
    {
        _prev[e] = _lruTail; _next[e] = -1;
        if (_lruTail >= 0) _next[_lruTail] = e; else _lruHead = e;
        _lruTail = e;
    }

    private void Unlink(int e)
    {
        int p = _prev[e], n = _next[e];
        if (p >= 0) _next[p] = n; else _lruHead = n;
        if (n >= 0) _prev[n] = p; else _lruTail = p;
        _prev[e] = _next[e] = -1;
    }
}
