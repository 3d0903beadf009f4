using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Workloads;

/// <summary>Requests in arrival order, produced lazily so a million-request workload needs no array.</summary>
public abstract class WorkloadSource
{
    /// <summary>Tokens per prefix-hash block of <see cref="TraceRequest.HashIds"/> (Mooncake: 512).</summary>
    public const int HashBlockTokens = 512;

    /// <summary>
    /// Most requests one run may have. The simulator's state grows with the requests in flight (about 100 bytes each),
    /// and an overloaded run can hold all of them at once, so this bounds a run's memory (~1 GB) and its wall time (~30
    /// s).
    /// </summary>
    public const long MaxRequestsPerRun = 10_000_000;

    public abstract bool TryNext(out TraceRequest request);
    /// <summary>Requests expected (for sizing), or 0 when unknown.</summary>
    public abstract long ExpectedRequests { get; }
    /// <summary>Arrival span expected, seconds (for the timeline's bucket width).</summary>
    public abstract double ExpectedSpanSeconds { get; }
    /// <summary>Largest prompt + output, or 0 when unbounded.</summary>
    public abstract long MaxRequestTokens { get; }
    /// <summary>True when the number of requests is fixed in advance and within <see cref="MaxRequestsPerRun"/> (a
    /// request count or a trace), false when only generating them tells (a duration).</summary>
    public virtual bool CountKnown => false;

    /// <summary>
    /// A new source that yields the same requests from the start, independent of this one's position, or null when the
    /// source cannot be replayed. The simulator scans a replay to validate every request before simulating any.
    /// </summary>
    public virtual WorkloadSource? Replay() => null;

    /// <summary>The request field that errors about single requests name (e.g. <c>workload.trace_csv</c>).</summary>
    public virtual string RequestsField => "workload";

    /// <summary>Where request <paramref name="index"/> (0-based, as <c>RequestResult.index</c>) comes from, for
    /// messages: its trace line, or its index.</summary>
    public virtual string Locate(long index, in TraceRequest request) =>
        request.Line > 0 ? $"line {request.Line}" : $"request {index}";
}

/// <summary>Replay of parsed trace rows; arrival times divided by the rate multiplier.</summary>
public sealed class TraceSource : WorkloadSource
{
    private readonly TraceRequest[] _rows;
    private readonly int _count;
    private readonly double _multiplier;
    private readonly string _rowsField;
    private int _next;

    /// <param name="rowsField">The field holding the rows (<c>workload.trace</c>, <c>workload.trace_csv</c>, ...),
    /// named by errors about a row.</param>
    public TraceSource(TraceRequest[] rows, double rateMultiplier = 1, long maxRequests = 0, string field = "workload",
        string? rowsField = null)
    {
        if (rows.Length == 0) throw new InvalidFieldException(field, "the trace has no requests");
        if (!(rateMultiplier > 0) || double.IsInfinity(rateMultiplier))
            throw new InvalidFieldException($"{field}.rate_multiplier", "must be positive");
        if (maxRequests < 0) throw new InvalidFieldException($"{field}.max_requests", "must not be negative");
        _rows = rows;
        _count = maxRequests > 0 ? (int)Math.Min(rows.Length, maxRequests) : rows.Length;
        _rowsField = rowsField ?? field;
        if (_count > MaxRequestsPerRun)
            throw new LimitExceededException(_rowsField,
                $"the trace has {_count} requests; one run takes at most {MaxRequestsPerRun} (set " +
                $"{field}.max_requests or split the trace)",
                _count, MaxRequestsPerRun);
        _multiplier = rateMultiplier;
        long max = 0;
        for (int i = 0; i < _count; i++) max = Math.Max(max, (long)rows[i].InputTokens + rows[i].OutputTokens);
        MaxRequestTokens = max;
    }

    private TraceSource(TraceSource other)
    {
        _rows = other._rows; _count = other._count; _multiplier = other._multiplier; _rowsField = other._rowsField;
        MaxRequestTokens = other.MaxRequestTokens;
    }

    public override long ExpectedRequests => _count;
    public override double ExpectedSpanSeconds => _rows[_count - 1].ArrivalSeconds / _multiplier;
    public override long MaxRequestTokens { get; }
    public override string RequestsField => _rowsField;
    public override bool CountKnown => true;
    public override WorkloadSource Replay() => new TraceSource(this);
    public override string Locate(long index, in TraceRequest request) =>
        request.Line > 0 ? $"line {request.Line}" : $"row {index + 1}";

    public override bool TryNext(out TraceRequest request)
    {
        if (_next >= _count) { request = default; return false; }
        var r = _rows[_next++];
        request = _multiplier == 1 ? r : r with { ArrivalSeconds = r.ArrivalSeconds / _multiplier };
        return true;
    }
}
