using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application.Capacity;

/// <summary>
/// The plan's workload and the rates it is scaled to. The workload's own mean rate is its synthetic
/// <c>rate_per_second</c> × <c>rate_multiplier</c>, or for a trace its requests ÷ the span of their arrivals; a rate
/// λ is served by the same workload with <c>rate_multiplier</c> × λ ÷ own rate (arrivals scaled, lengths
/// unchanged), exactly what SimulateWorkload simulates for that multiplier. An inline trace is parsed once for the
/// whole plan.
/// </summary>
internal sealed class CapacityWorkload
{
    private CapacityWorkload(Workload spec, double ownRate, double target, long requests, TraceRequest[]? rows)
    {
        Spec = spec; OwnRate = ownRate; Target = target; Requests = requests; Rows = rows;
    }

    /// <summary>The workload as the request gave it.</summary>
    public Workload Spec { get; }
    public double OwnRate { get; }
    /// <summary>The rate searched for, requests/s.</summary>
    public double Target { get; }
    /// <summary>Requests in one run at the target rate.</summary>
    public long Requests { get; }
    /// <summary>An inline trace's rows, parsed once (null for built-in traces and synthetic workloads).</summary>
    public TraceRequest[]? Rows { get; }

    private double BaseMultiplier => Spec.RateMultiplier == 0 ? 1 : Spec.RateMultiplier;

    public static CapacityWorkload Read(Workload w, double target)
    {
        var source = WorkloadOptions.Build(w);
        double own = w.SourceCase == Workload.SourceOneofCase.Synthetic
            ? w.Synthetic.RatePerSecond * (w.RateMultiplier == 0 ? 1 : w.RateMultiplier)
            : source.ExpectedRequests / source.ExpectedSpanSeconds;
        if (!(own > 0) || !double.IsFinite(own))
            throw new InvalidFieldException("workload",
                "its requests all arrive at one instant, so it has no mean rate to scale to a target");
        double t = target == 0 ? own : target;
        double multiplier = (w.RateMultiplier == 0 ? 1 : w.RateMultiplier) * t / own;
        if (multiplier > 1e6)
            throw new InvalidFieldException("target_requests_per_second",
                $"{t} requests/s is {t / own:G4} times the workload's own {own:G4} requests/s, more than the " +
                "1e6 times a rate_multiplier may scale it");
        TraceRequest[]? rows = w.SourceCase switch
        {
            Workload.SourceOneofCase.TraceCsv =>
                TraceReader.ReadCsv(new StringReader(w.TraceCsv), "workload.trace_csv").ToArray(),
            Workload.SourceOneofCase.TraceJsonl =>
                TraceReader.ReadJsonl(new StringReader(w.TraceJsonl), "workload.trace_jsonl").ToArray(),
            _ => null,
        };
        long requests = w.SourceCase == Workload.SourceOneofCase.Synthetic && w.Synthetic.Requests == 0
            ? (long)Math.Ceiling(w.Synthetic.DurationSeconds * t)
            : source.ExpectedRequests;
        return new CapacityWorkload(w, own, t, requests, rows);
    }

    /// <summary><c>rate_multiplier</c> that gives a mean rate of <paramref name="rate"/>; the request's own when the
    /// rate is its own.</summary>
    public double MultiplierAt(double rate) => rate == OwnRate ? BaseMultiplier : BaseMultiplier * rate / OwnRate;

    /// <summary>The workload at a mean rate of <paramref name="rate"/>: the request's own when the rate is its own.
    /// </summary>
    public Workload At(double rate)
    {
        if (rate == OwnRate) return Spec;
        var w = Spec.Clone();
        w.RateMultiplier = MultiplierAt(rate);
        return w;
    }
}
