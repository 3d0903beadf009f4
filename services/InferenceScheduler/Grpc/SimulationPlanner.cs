using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;
using InferenceScheduler.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Platform.Modeling;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults;

namespace InferenceScheduler.Grpc;

/// <summary>A validated, ready-to-run simulation.</summary>
public sealed record SimulationPlan(SimulationSetup Setup, WorkloadSource Workload, IReadOnlyList<string> Notes);

/// <summary>
/// Translates a SimulateWorkloadRequest into domain terms: resolves the model and accelerator, checks the layout and
/// memory, builds the time model (emulator profile or constant) and the workload. All validation happens here, before
/// anything is simulated.
/// </summary>
public sealed class SimulationPlanner(EmulatorProfiles emulator)
{
    /// <summary>The field errors about rows of a trace uploaded through SimulateUploadedTrace name (the messages carrying the text).</summary>
    public const string UploadedRowsField = "chunk";

    /// <summary>Host-side cost per engine step (scheduling, sampling, detokenisation) when the request gives none.</summary>
    public const double DefaultStepOverheadSeconds = 0.002;

    public async Task<SimulationPlan> PlanAsync(SimulateWorkloadRequest req, TraceRequest[]? uploaded, CancellationToken ct)
    {
        var model = ModelSpecMapper.Resolve(req.Model, "model");
        var dep = req.Deployment ?? throw new InvalidFieldException("deployment", "is required");
        var notes = new List<string>();

        var acc = await emulator.GetAcceleratorAsync(dep.Accelerator, "deployment.accelerator", ct);
        var weights = Format(dep.WeightDtype, "deployment.weight_dtype", model.ModelType.StartsWith("deepseek_v3", StringComparison.OrdinalIgnoreCase) ? NumberFormat.Fp8 : NumberFormat.Bf16);
        var kv = Format(dep.KvCacheDtype, "deployment.kv_cache_dtype", NumberFormat.Bf16);
        double util = dep.GpuMemoryUtilization == 0 ? 0.9 : dep.GpuMemoryUtilization;
        if (!(util > 0 && util <= 1)) throw new InvalidFieldException("deployment.gpu_memory_utilization", "must be in (0, 1]");
        int blockSize = dep.BlockSize == 0 ? 16 : dep.BlockSize;
        if (blockSize <= 0 || WorkloadSource.HashBlockTokens % blockSize != 0)
            throw new InvalidFieldException("deployment.block_size", $"must be a positive divisor of {WorkloadSource.HashBlockTokens}");
        double imbalance = dep.ExpertImbalance == 0 ? 1.0 : dep.ExpertImbalance;
        if (!(imbalance >= 1)) throw new InvalidFieldException("deployment.expert_imbalance", "must be at least 1 (busiest rank over mean)");
        if (dep.LongPrefillTokenThreshold < 0) throw new InvalidFieldException("deployment.long_prefill_token_threshold", "must not be negative");
        if (dep.PriorityClasses < 0) throw new InvalidFieldException("deployment.priority_classes", "must not be negative");
        if (dep.CommunicationSms < 0) throw new InvalidFieldException("deployment.communication_sms", "must not be negative");
        if (acc.ComputeUnits > 0 && dep.CommunicationSms >= acc.ComputeUnits)
            throw new InvalidFieldException("deployment.communication_sms", $"must leave compute units for compute ({acc.Id} has {acc.ComputeUnits})");
        if (dep.AcceleratorHourUsd < 0) throw new InvalidFieldException("deployment.accelerator_hour_usd", "must not be negative");

        var baseLayout = new Parallelism(dep.Replicas == 0 ? 1 : dep.Replicas, Or1(dep.TensorParallel), Or1(dep.PipelineParallel), Or1(dep.ExpertParallel), Or1(dep.DataParallel));
        if (dep.Replicas < 0) throw new InvalidFieldException("deployment.replicas", "must be at least 1");

        var time = req.TimeModel;
        IStepTimeModel? constant = null;
        double overhead = DefaultStepOverheadSeconds;
        bool overlap = false;
        if (time?.KindCase == TimeModel.KindOneofCase.Constant)
        {
            var c = time.Constant;
            if (c.PrefillSecondsPerToken < 0 || double.IsNaN(c.PrefillSecondsPerToken)) throw new InvalidFieldException("time_model.constant.prefill_seconds_per_token", "must not be negative");
            if (c.DecodeSecondsPerStep < 0 || double.IsNaN(c.DecodeSecondsPerStep)) throw new InvalidFieldException("time_model.constant.decode_seconds_per_step", "must not be negative");
            if (c.StepOverheadSeconds < 0 || double.IsNaN(c.StepOverheadSeconds)) throw new InvalidFieldException("time_model.constant.step_overhead_seconds", "must not be negative");
            if (c.PrefillSecondsPerToken + c.DecodeSecondsPerStep + c.StepOverheadSeconds <= 0)
                throw new InvalidFieldException("time_model.constant", "needs a positive prefill, decode or overhead time");
            constant = new ConstantStepTimeModel(c.PrefillSecondsPerToken, c.DecodeSecondsPerStep, c.StepOverheadSeconds);
        }
        else if (time?.KindCase == TimeModel.KindOneofCase.Emulator)
        {
            if (time.Emulator.StepOverheadSeconds < 0) throw new InvalidFieldException("time_model.emulator.step_overhead_seconds", "must not be negative");
            if (time.Emulator.StepOverheadSeconds > 0) overhead = time.Emulator.StepOverheadSeconds;
            overlap = time.Emulator.OverlapCommunication;
        }

        async Task<PoolSetup> Pool(string name, PoolSpec? spec, string prefix)
        {
            var layout = spec is null ? baseLayout : new Parallelism(
                spec.Replicas == 0 ? baseLayout.Replicas : spec.Replicas,
                spec.TensorParallel == 0 ? baseLayout.TensorParallel : spec.TensorParallel,
                spec.PipelineParallel == 0 ? baseLayout.PipelineParallel : spec.PipelineParallel,
                spec.ExpertParallel == 0 ? (spec.DataParallel == 0 && spec.TensorParallel == 0 ? baseLayout.ExpertParallel : 1) : spec.ExpertParallel,
                spec.DataParallel == 0 ? (spec.TensorParallel == 0 ? baseLayout.DataParallel : 1) : spec.DataParallel);
            if (spec is not null && (spec.Replicas < 0 || spec.MaxNumSeqs < 0 || spec.MaxNumBatchedTokens < 0))
                throw new InvalidFieldException(prefix, "replicas, max_num_seqs and max_num_batched_tokens must not be negative");
            layout.Validate(model, prefix);
            int maxSeqs = spec is { MaxNumSeqs: > 0 } ? spec.MaxNumSeqs : dep.MaxNumSeqs;
            long maxTokens = spec is { MaxNumBatchedTokens: > 0 } ? spec.MaxNumBatchedTokens : dep.MaxNumBatchedTokens;
            if (maxSeqs < 0) throw new InvalidFieldException($"deployment.max_num_seqs", "must be positive");
            if (maxTokens < 0 || maxTokens > int.MaxValue / 2) throw new InvalidFieldException($"deployment.max_num_batched_tokens", "must be positive");
            // vLLM defaults on >= 70 GiB accelerators: 1024 sequences, 8192 batched tokens (server); 256 / 2048 on smaller ones.
            if (maxSeqs == 0) maxSeqs = acc.HbmGiB >= 70 ? 1024 : 256;
            if (maxTokens == 0) maxTokens = acc.HbmGiB >= 70 ? 8192 : 2048;
            var memory = MemoryPlan.Build(model, layout, acc, weights, kv, util, maxTokens, blockSize, prefix);
            var sched = new SchedulerSettings(maxSeqs, (int)maxTokens, (int)dep.LongPrefillTokenThreshold, blockSize,
                !dep.DisableChunkedPrefill, !dep.DisablePrefixCaching,
                dep.SchedulingPolicy == Platform.Contracts.Inference.V1.SchedulingPolicy.Priority ? SchedulingPolicyKind.Priority : SchedulingPolicyKind.Fcfs,
                dep.BatchingPolicy == Platform.Contracts.Inference.V1.BatchingPolicy.Orca ? BatchingPolicyKind.Orca : BatchingPolicyKind.VllmV1);
            IStepTimeModel stepTime = constant ?? await emulator.GetProfileAsync(
                new StepProfilePlan(model, layout, weights, kv, imbalance, acc.ScaleUpDomain), acc, overhead, overlap, prefix, ct, dep.CommunicationSms);
            notes.Add($"{name}: {layout.Instances} instance(s) of TP{layout.TensorParallel} PP{layout.PipelineParallel}" +
                      $"{(layout.ExpertParallel > 1 ? $" EP{layout.ExpertParallel}" : "")}{(layout.DataParallel > 1 ? $" DP{layout.DataParallel}" : "")} on {acc.Id}; " +
                      $"weights {memory.WeightBytesPerAccelerator / MemoryPlan.GiB:F1} GiB/accelerator, KV cache {memory.KvTokensPerInstance:N0} tokens/instance; {stepTime.Describe()}");
            return new PoolSetup(name, layout.Instances, layout.AcceleratorsPerInstance, memory.KvTokensPerInstance, sched, stepTime,
                memory.WeightBytesPerAccelerator, memory.KvBytesPerTokenPerAccelerator,
                layout.ExpertParallel > 1 ? layout.DataParallel : 1);
        }

        PoolSetup first;
        PoolSetup? second = null;
        double transferBps = acc.ScaleOutGBps * 1e9;
        if (dep.Disaggregation is { } dis)
        {
            if (dis.KvTransferGbps < 0) throw new InvalidFieldException("deployment.disaggregation.kv_transfer_gbps", "must not be negative");
            if (dis.KvTransferGbps > 0) transferBps = dis.KvTransferGbps * 1e9;
            first = await Pool("prefill", dis.Prefill ?? new PoolSpec(), "deployment.disaggregation.prefill");
            second = await Pool("decode", dis.Decode ?? new PoolSpec(), "deployment.disaggregation.decode");
        }
        else first = await Pool("colocated", null, "deployment");

        var router = dep.Router switch
        {
            RouterPolicy.RoundRobin => RouterKind.RoundRobin,
            RouterPolicy.KvCacheAware => RouterKind.KvCacheAware,
            _ => RouterKind.LeastOutstanding,
        };
        var slo = req.Slo ?? new Slo();
        if (slo.TtftMs < 0 || slo.TpotMs < 0 || slo.E2EMs < 0) throw new InvalidFieldException("slo", "targets must not be negative");
        double price = dep.AcceleratorHourUsd > 0 ? dep.AcceleratorHourUsd : acc.PriceUsdPerHour;
        if (req.TimelineIntervalSeconds < 0) throw new InvalidFieldException("timeline_interval_seconds", "must not be negative");
        var setup = new SimulationSetup(first, second, router, new SloTargets(slo.TtftMs / 1e3, slo.TpotMs / 1e3, slo.E2EMs / 1e3),
            transferBps, acc.ScaleOutLatencyUs * 1e-6, Math.Max(1, dep.PriorityClasses), price, req.TimelineIntervalSeconds);
        var workload = uploaded is null ? BuildWorkload(req.Workload) : new TraceSource(uploaded, Rate(req.Workload), req.Workload?.MaxRequests ?? 0, "workload", UploadedRowsField);
        if (!(slo.TtftMs > 0 || slo.TpotMs > 0 || slo.E2EMs > 0)) notes.Add("no SLO given: every request counts as meeting it (goodput = request throughput)");
        return new SimulationPlan(setup, workload, notes);
    }

    private static int Or1(int v) => v == 0 ? 1 : v;

    private static double Rate(Workload? w) => w is null || w.RateMultiplier == 0 ? 1 : w.RateMultiplier;

    private static NumberFormat Format(Dtype d, string field, NumberFormat fallback) => d switch
    {
        Dtype.Unspecified => fallback,
        Dtype.Bf16 => NumberFormat.Bf16,
        Dtype.Fp16 => NumberFormat.Fp16,
        Dtype.Fp8E4M3 or Dtype.Fp8E5M2 => NumberFormat.Fp8,
        Dtype.Fp32 => NumberFormat.Fp32,
        _ => throw new InvalidFieldException(field, $"{d} is not supported (BF16, FP16, FP8, FP32)"),
    };

    public static WorkloadSource BuildWorkload(Workload? w)
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
