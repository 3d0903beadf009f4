namespace InferenceScheduler.Domain.Simulation.Policies;

/// <summary>Router: picks the instance of a pool that a request (an arrival, or a prefilled request handed to decode)
/// joins.</summary>
internal interface IRouter
{
    Instance Route(in RequestState r, ReadOnlySpan<Instance> pool);
}

internal static class Router
{
    /// <summary>One router serves every pool of a run (round robin keeps a single turn across them).</summary>
    public static IRouter For(RouterKind kind) => kind switch
    {
        RouterKind.RoundRobin => new RoundRobinRouter(),
        RouterKind.KvCacheAware => new KvCacheAwareRouter(),
        _ => new LeastOutstandingRouter(),
    };
}

/// <summary>Each instance in turn.</summary>
internal sealed class RoundRobinRouter : IRouter
{
    private int _turn;

    public Instance Route(in RequestState r, ReadOnlySpan<Instance> pool) =>
        pool.Length == 1 ? pool[0] : pool[_turn++ % pool.Length];
}

/// <summary>The instance with the fewest requests routed to it and not finished there; the first among
/// equals.</summary>
internal sealed class LeastOutstandingRouter : IRouter
{
    public Instance Route(in RequestState r, ReadOnlySpan<Instance> pool) => LeastOutstanding(pool);

    internal static Instance LeastOutstanding(ReadOnlySpan<Instance> pool)
    {
        Instance best = pool[0];
        for (int i = 1; i < pool.Length; i++) if (pool[i].Outstanding < best.Outstanding) best = pool[i];
        return best;
    }
}

/// <summary>
/// For a prompt still to compute: the instance with the longest resident prefix of its hash units, then the fewest
/// outstanding requests. Requests without hashes, and prefilled requests handed to decode, go to the least outstanding.
/// </summary>
internal sealed class KvCacheAwareRouter : IRouter
{
    public Instance Route(in RequestState r, ReadOnlySpan<Instance> pool)
    {
        if (pool.Length == 1 || r.Hashes is not { Length: > 0 } hashes || r.Pool != 0)
            return LeastOutstandingRouter.LeastOutstanding(pool);
        Instance best = pool[0];
        int bestHit = -1;
        foreach (var c in pool)
        {
            int hit = c.S.PrefixCaching ? c.Kv.Lookup(hashes, hashes.Length, out _) : 0;
            if (hit > bestHit || (hit == bestHit && c.Outstanding < best.Outstanding)) { best = c; bestHit = hit; }
        }
        return best;
    }
}
