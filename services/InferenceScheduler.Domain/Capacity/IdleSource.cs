using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Domain.Capacity;

/// <summary>
/// The first <c>count</c> requests of a workload, lengths unchanged, arriving <see cref="GapSeconds"/> apart: far
/// longer than any request takes, so each finds its replica idle. The simulator skips idle time, so the gap costs
/// nothing to simulate. What a layout achieves here is the best it can achieve at any load.
/// </summary>
public sealed class IdleSource : WorkloadSource
{
    /// <summary>Seconds between arrivals (about 28 hours).</summary>
    public const double GapSeconds = 1e5;

    private readonly WorkloadSource _inner;
    private readonly int _count;
    private int _emitted;

    public IdleSource(WorkloadSource inner, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _inner = inner;
        _count = inner.ExpectedRequests > 0 ? (int)Math.Min(count, inner.ExpectedRequests) : count;
    }

    public override long ExpectedRequests => _count;
    public override double ExpectedSpanSeconds => _count * GapSeconds;
    public override long MaxRequestTokens => _inner.MaxRequestTokens;
    public override string RequestsField => _inner.RequestsField;

    public override WorkloadSource? Replay() => _inner.Replay() is { } r ? new IdleSource(r, _count) : null;

    public override bool TryNext(out TraceRequest request)
    {
        if (_emitted >= _count || !_inner.TryNext(out var r)) { request = default; return false; }
        request = r with { ArrivalSeconds = _emitted++ * GapSeconds };
        return true;
    }
}
