using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application;

/// <summary>The request's workload as a <see cref="WorkloadSource"/>: a built-in or inline trace, an uploaded one, or a synthetic spec.</summary>
internal static class WorkloadOptions
{
    /// <summary>Rows uploaded through SimulateUploadedTrace, replayed at the workload's rate multiplier and request cap.</summary>
    public static WorkloadSource Uploaded(TraceRequest[] rows, Workload? w) =>
        new TraceSource(rows, Rate(w), w?.MaxRequests ?? 0, "workload", SimulationPlanner.UploadedRowsField);

    private static double Rate(Workload? w) => w is null || w.RateMultiplier == 0 ? 1 : w.RateMultiplier;

    public static WorkloadSource Build(Workload? w)
    {
        if (w is null) throw new InvalidFieldException("workload", "is required: give trace, synthetic, trace_csv or trace_jsonl");
        double rate = Rate(w);
        if (w.RateMultiplier < 0 || double.IsNaN(w.RateMultiplier)) throw new InvalidFieldException("workload.rate_multiplier", "must be positive");
        switch (w.SourceCase)
        {
            case Workload.SourceOneofCase.Trace:
                return new TraceSource(BuiltInTraces.Load(w.Trace, "workload.trace"), rate, w.MaxRequests, "workload", "workload.trace");
            case Workload.SourceOneofCase.TraceCsv:
                return new TraceSource(TraceReader.ReadCsv(new StringReader(w.TraceCsv), "workload.trace_csv").ToArray(), rate, w.MaxRequests, "workload", "workload.trace_csv");
            case Workload.SourceOneofCase.TraceJsonl:
                return new TraceSource(TraceReader.ReadJsonl(new StringReader(w.TraceJsonl), "workload.trace_jsonl").ToArray(), rate, w.MaxRequests, "workload", "workload.trace_jsonl");
            case Workload.SourceOneofCase.Synthetic:
                var s = w.Synthetic;
                const string f = "workload.synthetic";
                if (s.Arrival == Arrival.Unspecified) throw new InvalidFieldException($"{f}.arrival", "is required (ARRIVAL_POISSON, ARRIVAL_GAMMA, ARRIVAL_CONSTANT)");
                var arrival = s.Arrival switch { Arrival.Gamma => ArrivalProcess.Gamma, Arrival.Constant => ArrivalProcess.Constant, _ => ArrivalProcess.Poisson };
                if (s.RatePerSecond <= 0 || double.IsNaN(s.RatePerSecond)) throw new InvalidFieldException($"{f}.rate_per_second", "must be positive");
                if (s.Requests < 0) throw new InvalidFieldException($"{f}.requests", "must be positive");
                return new SyntheticSource(new SyntheticSpec(arrival, s.RatePerSecond * rate, s.Requests, s.DurationSeconds, s.Seed,
                    Length(s.PromptTokens, $"{f}.prompt_tokens", input: true), Length(s.OutputTokens, $"{f}.output_tokens", input: false),
                    s.Burstiness == 0 ? 1 : s.Burstiness, s.PrefixSharing?.Groups ?? 0, s.PrefixSharing?.SharedFraction ?? 0), f);
            default:
                throw new InvalidFieldException("workload", "is empty: give trace, synthetic, trace_csv or trace_jsonl");
        }
    }

    private static LengthSpec Length(LengthDistribution? d, string field, bool input)
    {
        if (d is null) throw new InvalidFieldException(field, "is required (fixed, uniform, lognormal, exponential_mean or empirical_trace)");
        if (d.Max < 0) throw new InvalidFieldException($"{field}.max", "must not be negative");
        switch (d.KindCase)
        {
            case LengthDistribution.KindOneofCase.Fixed:
                if (d.Fixed <= 0) throw new InvalidFieldException($"{field}.fixed", "must be positive");
                return new FixedLength(d.Fixed, d.Max);
            case LengthDistribution.KindOneofCase.Uniform:
                if (d.Uniform.Min <= 0 || d.Uniform.Max < d.Uniform.Min) throw new InvalidFieldException($"{field}.uniform", "needs 0 < min <= max");
                return new UniformLengthSpec(d.Uniform.Min, d.Uniform.Max, d.Max);
            case LengthDistribution.KindOneofCase.Lognormal:
                if (!(d.Lognormal.Mean >= 1)) throw new InvalidFieldException($"{field}.lognormal.mean", "must be at least 1");
                if (!(d.Lognormal.Sigma >= 0)) throw new InvalidFieldException($"{field}.lognormal.sigma", "must not be negative");
                return new LognormalLengthSpec(d.Lognormal.Mean, d.Lognormal.Sigma, d.Max);
            case LengthDistribution.KindOneofCase.ExponentialMean:
                if (!(d.ExponentialMean >= 1)) throw new InvalidFieldException($"{field}.exponential_mean", "must be at least 1");
                return new ExponentialLengthSpec(d.ExponentialMean, d.Max);
            case LengthDistribution.KindOneofCase.EmpiricalTrace:
                var rows = BuiltInTraces.Load(d.EmpiricalTrace, $"{field}.empirical_trace");
                var values = new int[rows.Length];
                for (int i = 0; i < rows.Length; i++) values[i] = input ? rows[i].InputTokens : rows[i].OutputTokens;
                return new EmpiricalLengthSpec(values, d.Max);
            default:
                throw new InvalidFieldException(field, "is empty: give fixed, uniform, lognormal, exponential_mean or empirical_trace");
        }
    }
}
