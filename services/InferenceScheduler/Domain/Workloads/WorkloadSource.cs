using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Workloads;

/// <summary>Requests in arrival order, produced lazily so a million-request workload needs no array.</summary>
public abstract class WorkloadSource
{
    /// <summary>Tokens per prefix-hash block of <see cref="TraceRequest.HashIds"/> (Mooncake: 512).</summary>
    public const int HashBlockTokens = 512;

    public abstract bool TryNext(out TraceRequest request);
    /// <summary>Requests expected (for sizing), or 0 when unknown.</summary>
    public abstract long ExpectedRequests { get; }
    /// <summary>Arrival span expected, seconds (for the timeline's bucket width).</summary>
    public abstract double ExpectedSpanSeconds { get; }
    /// <summary>Largest prompt + output, or 0 when unbounded (checked at arrival then).</summary>
    public abstract long MaxRequestTokens { get; }
}

/// <summary>Replay of parsed trace rows; arrival times divided by the rate multiplier.</summary>
public sealed class TraceSource : WorkloadSource
{
    private readonly TraceRequest[] _rows;
    private readonly int _count;
    private readonly double _multiplier;
    private int _next;

    public TraceSource(TraceRequest[] rows, double rateMultiplier = 1, long maxRequests = 0, string field = "workload")
    {
        if (rows.Length == 0) throw new InvalidFieldException(field, "the trace has no requests");
        if (!(rateMultiplier > 0) || double.IsInfinity(rateMultiplier)) throw new InvalidFieldException($"{field}.rate_multiplier", "must be positive");
        if (maxRequests < 0) throw new InvalidFieldException($"{field}.max_requests", "must not be negative");
        _rows = rows;
        _count = maxRequests > 0 ? (int)Math.Min(rows.Length, maxRequests) : rows.Length;
        _multiplier = rateMultiplier;
        long max = 0;
        for (int i = 0; i < _count; i++) max = Math.Max(max, (long)rows[i].InputTokens + rows[i].OutputTokens);
        MaxRequestTokens = max;
    }

    public override long ExpectedRequests => _count;
    public override double ExpectedSpanSeconds => _rows[_count - 1].ArrivalSeconds / _multiplier;
    public override long MaxRequestTokens { get; }

    public override bool TryNext(out TraceRequest request)
    {
        if (_next >= _count) { request = default; return false; }
        var r = _rows[_next++];
        request = _multiplier == 1 ? r : r with { ArrivalSeconds = r.ArrivalSeconds / _multiplier };
        return true;
    }
}
