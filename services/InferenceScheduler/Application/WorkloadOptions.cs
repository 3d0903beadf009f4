using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application;

/// <summary>
/// The request's workload as a <see cref="WorkloadSource"/>: a built-in or inline trace, an uploaded one, or a
/// synthetic spec. Its fields have been checked by <see cref="Validation.WorkloadValidator"/>; reading a trace checks
/// its rows.
/// </summary>
internal static class WorkloadOptions
{
    /// <summary>
    /// Rows uploaded through SimulateUploadedTrace, replayed at the workload's rate multiplier and request cap.
    /// </summary>
    public static WorkloadSource Uploaded(TraceRequest[] rows, Workload? w) =>
        new TraceSource(rows, Rate(w), w?.MaxRequests ?? 0, "workload", SimulationPlanner.UploadedRowsField);

    private static double Rate(Workload? w) => w is null || w.RateMultiplier == 0 ? 1 : w.RateMultiplier;

    public static WorkloadSource Build(Workload? w)
    {
        ArgumentNullException.ThrowIfNull(w);
        double rate = Rate(w);
        switch (w.SourceCase)
        {
            case Workload.SourceOneofCase.Trace:
                return new TraceSource(BuiltInTraces.Load(w.Trace, "workload.trace"), rate, w.MaxRequests, "workload",
                    "workload.trace");
            case Workload.SourceOneofCase.TraceCsv:
                return new TraceSource(
                    TraceReader.ReadCsv(new StringReader(w.TraceCsv), "workload.trace_csv").ToArray(),
                    rate, w.MaxRequests, "workload", "workload.trace_csv");
            case Workload.SourceOneofCase.TraceJsonl:
                return new TraceSource(
                    TraceReader.ReadJsonl(new StringReader(w.TraceJsonl), "workload.trace_jsonl").ToArray(),
                    rate, w.MaxRequests, "workload", "workload.trace_jsonl");
            case Workload.SourceOneofCase.Synthetic:
                var s = w.Synthetic;
                const string f = "workload.synthetic";
                var arrival = s.Arrival switch
                {
                    Arrival.Gamma => ArrivalProcess.Gamma,
                    Arrival.Constant => ArrivalProcess.Constant,
                    _ => ArrivalProcess.Poisson,
                };
                return new SyntheticSource(new SyntheticSpec(arrival, s.RatePerSecond * rate, s.Requests,
                    s.DurationSeconds, s.Seed,
                    Length(s.PromptTokens, $"{f}.prompt_tokens", input: true),
                    Length(s.OutputTokens, $"{f}.output_tokens", input: false),
                    s.Burstiness == 0 ? 1 : s.Burstiness, s.PrefixSharing?.Groups ?? 0,
                    s.PrefixSharing?.SharedFraction ?? 0), f);
            default:
                throw new ArgumentException("the workload names no source (WorkloadValidator refuses it)", nameof(w));
        }
    }

    private static LengthSpec Length(LengthDistribution d, string field, bool input)
    {
        switch (d.KindCase)
        {
            case LengthDistribution.KindOneofCase.Fixed:
                return new FixedLength(d.Fixed, d.Max);
            case LengthDistribution.KindOneofCase.Uniform:
                return new UniformLengthSpec(d.Uniform.Min, d.Uniform.Max, d.Max);
            case LengthDistribution.KindOneofCase.Lognormal:
                return new LognormalLengthSpec(d.Lognormal.Mean, d.Lognormal.Sigma, d.Max);
            case LengthDistribution.KindOneofCase.ExponentialMean:
                return new ExponentialLengthSpec(d.ExponentialMean, d.Max);
            case LengthDistribution.KindOneofCase.EmpiricalTrace:
                var rows = BuiltInTraces.Load(d.EmpiricalTrace, $"{field}.empirical_trace");
                var values = new int[rows.Length];
                for (int i = 0; i < rows.Length; i++) values[i] = input ? rows[i].InputTokens : rows[i].OutputTokens;
                return new EmpiricalLengthSpec(values, d.Max);
            default:
                throw new ArgumentException($"{field} names no distribution (LengthDistributionValidator refuses it)",
                    nameof(d));
        }
    }
}
