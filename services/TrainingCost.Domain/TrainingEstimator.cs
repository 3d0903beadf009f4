using Platform.Modeling.Devices;
using Platform.Modeling;
using Platform.Modeling.Errors;
using Platform.Modeling.Flops;
using Platform.Modeling.Ops;

namespace TrainingCost.Domain;

/// <summary>Result of a plan search: the best plans in order and a summary of the rejected ones.</summary>
public sealed record PlanSearchResult(IReadOnlyList<TrainingEstimate> Best, int Evaluated,
    IReadOnlyList<RejectedPlan> Rejected,
    IReadOnlyDictionary<string, int> RejectionCounts);

/// <summary>
/// Estimates training runs: resolves the accelerator, collects the distinct op shapes every candidate plan
/// needs, times them in one batch through the emulator (<see cref="IEmulator"/>), then evaluates each plan (step time,
/// memory, failures, cost, energy). Plan search and single-plan estimates share this path.
/// </summary>
public sealed class TrainingEstimator(IEmulator emulator, Calibration? calibration = null)
{
    private readonly Calibration _cal = calibration ?? Calibration.Default;

    public async Task<TrainingEstimate> EstimateAsync(TrainingRunSpec spec, CancellationToken ct,
        IProgress<double>? progress = null)
    {
        if (spec.Plan is null)
        {
            var search = await SearchAsync(spec, 1, ct, progress);
            if (search.Best.Count == 0 && search.Evaluated == 0 && spec.AllowedSchedules is { } allowed)
                throw new PreconditionFailedException("allowed_schedules",
                    $"no parallel layout of {spec.AcceleratorCount} × {spec.Accelerator} can use " +
                    $"{string.Join(" or ", allowed)} (DualPipe needs an even PP ≥ 4, interleaving PP ≥ 2)");
            if (search.Best.Count == 0)
                throw new PreconditionFailedException("cluster.count",
                    WhyNoPlan(search, spec));
            return search.Best[0];
        }
        Validate(spec);
        var device = AcceleratorSpec.From(await emulator.GetDeviceAsync(spec.Accelerator, "cluster.accelerator", ct));
        var ctx = Context(spec, device);
        var plan = PlanSpace.Validate(spec.Model, spec.Plan, spec.AcceleratorCount,
            sequenceLength: spec.SequenceLength);
        if (spec.GlobalBatchTokens > 0 && (long)plan.DataParallel * plan.MicroBatch > spec.RequestedBatchSequences)
            throw new InvalidFieldException("global_batch_tokens",
                $"{spec.RequestedBatchSequences} sequences of {spec.SequenceLength} tokens cannot feed data parallel " +
                $"{plan.DataParallel} × micro-batch {plan.MicroBatch}; give at least " +
                $"{(long)plan.DataParallel * plan.MicroBatch * spec.SequenceLength} tokens or a smaller " +
                $"data-parallel degree");
        var times = await TimeAsync(ctx, [plan], ct);
        progress?.Report(1);
        return Evaluate(ctx, plan, times);
    }

    /// <summary>Top <paramref name="topK"/> plans under memory for the spec's objective.</summary>
    public async Task<PlanSearchResult> SearchAsync(TrainingRunSpec spec, int topK, CancellationToken ct,
        IProgress<double>? progress = null)
    {
        Validate(spec);
        var device = AcceleratorSpec.From(await emulator.GetDeviceAsync(spec.Accelerator, "cluster.accelerator", ct));
        var ctx = Context(spec, device);
        var rejected = new List<RejectedPlan>();
        var fitting = new List<ParallelPlan>();
        var worlds = spec.Objective == PlanObjective.MinCost
            ? new[] { spec.AcceleratorCount, spec.AcceleratorCount / 2, spec.AcceleratorCount / 4 }
                .Where(w => w >= 1 && w * 4 >= spec.AcceleratorCount).Distinct()
            : [spec.AcceleratorCount];
        int total = 0;
        foreach (int world in worlds)
        {
            var all = PlanSpace.Enumerate(spec.Model, world, Math.Max(1, device.ScaleUpDomain), rejected,
                spec.AllowedSchedules, spec.SequenceLength);
            total += all.Count;
            foreach (var plan in all)
            {
                var mem = MemoryModel.Estimate(ctx.Model, ctx.Parameters, plan, spec.SequenceLength, device);
                if (!mem.Fits) rejected.Add(new RejectedPlan(plan, "out of memory: " + mem.Reason));
                else if ((long)plan.DataParallel * plan.MicroBatch > spec.RequestedBatchSequences)
                    rejected.Add(new RejectedPlan(plan,
                        $"batch too small: data parallel {plan.DataParallel} × micro-batch {plan.MicroBatch} " +
                        $"exceeds the global batch of {spec.RequestedBatchSequences} sequences"));
                else if (plan.PipelineParallel > 1
                    && spec.GlobalBatchSequences(plan.DataParallel, plan.MicroBatch)
                        / ((long)plan.DataParallel * plan.MicroBatch) < plan.PipelineParallel)
                    rejected.Add(new RejectedPlan(plan,
                        "fewer micro-batches per step than pipeline stages (the bubble would dominate)"));
                else fitting.Add(plan);
            }
        }
        progress?.Report(0.2);
        var times = await TimeAsync(ctx, fitting, ct);
        progress?.Report(0.6);
        var evaluated = new List<TrainingEstimate>(fitting.Count);
        for (int i = 0; i < fitting.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            evaluated.Add(Evaluate(ctx, fitting[i], times));
        }
        progress?.Report(0.95);
        Func<TrainingEstimate, double> key = spec.Objective == PlanObjective.MinCost
            ? e => e.CostUsd
            : e => e.WallClockHours;
        var best = evaluated.OrderBy(key).ThenBy(e => e.Memory.TotalGb).Take(Math.Max(1, topK)).ToList();
        var counts = rejected.GroupBy(r => ReasonKind(r.Reason)).ToDictionary(g => g.Key, g => g.Count());
        return new PlanSearchResult(best, total, rejected, counts);
    }

    /// <summary>Evaluates many plans against an already-timed op table (the plan-search inner loop;
    /// benchmarked).</summary>
    public TrainingEstimate Evaluate(RunContext ctx, ParallelPlan plan, IReadOnlyDictionary<OpShape, double> times)
    {
        var step = StepModel.Evaluate(ctx, plan, op => Lookup(ctx, times, op));
        var memory = MemoryModel.Estimate(ctx.Model, ctx.Parameters, plan, ctx.Spec.SequenceLength, ctx.Device);
        var spec = ctx.Spec;
        double tokensPerStep = (double)step.GlobalBatchSequences * spec.SequenceLength;
        double trainingHours = spec.TrainingTokens / tokensPerStep * step.StepSeconds / 3600;
        // A checkpoint holds each rank's weights and optimizer state.
        var reliability = ReliabilityModel.Estimate(spec.Reliability, plan.Accelerators,
            memory.WeightsGb + memory.OptimizerGb, trainingHours);
        return new TrainingEstimate
        {
            Plan = plan,
            Step = step,
            Memory = memory,
            Reliability = reliability,
            Flops = ctx.Flops,
            HardwareFlopsPerToken = HardwareFlopsPerToken(ctx, plan),
            Parameters = ctx.Parameters,
            Device = ctx.Device,
            Accelerators = plan.Accelerators,
            TrainingTokens = spec.TrainingTokens,
            SequenceLength = spec.SequenceLength,
            PricePerAcceleratorHour = spec.PricePerAcceleratorHour > 0 ? spec.PricePerAcceleratorHour
                : ctx.Device.Price(spec.PriceTier),
            Energy = spec.Energy,
        };
    }

    /// <summary>Model FLOPs plus the recomputed forward work (only the recomputed share of layers under partial full
    /// recompute).</summary>
    private static double HardwareFlopsPerToken(RunContext ctx, ParallelPlan plan)
    {
        double hw = FlopCounter.Training(ctx.Model, ctx.Spec.SequenceLength, true,
            plan.Recompute).HardwareFlopsPerToken;
        if (plan.Recompute != RecomputeKind.Full) return hw;
        double none = ctx.Flops.HardwareFlopsPerToken; // the run's FLOPs without recompute, counted once per run
        return none + plan.FullRecomputeFraction(ctx.Model) * (hw - none);
    }

    public RunContext Context(TrainingRunSpec spec, AcceleratorSpec device)
    {
        if (spec.Precision == TrainingPrecision.Fp8 && device.PeakFp8Tflops <= 0)
            throw new PreconditionFailedException("precision", $"{device.Id} has no FP8 units; use PRECISION_BF16");
        if (device.Peak16Tflops <= 0)
            throw new PreconditionFailedException("cluster.accelerator",
                $"{device.Id} has no 16-bit matrix units to train on");
        return new(spec.Model, ParameterCounter.Count(spec.Model), spec, device, _cal);
    }

    /// <summary>Times every distinct op shape the plans need, in one batch.</summary>
    public async Task<IReadOnlyDictionary<OpShape, double>> TimeAsync(RunContext ctx, IReadOnlyList<ParallelPlan> plans,
        CancellationToken ct)
    {
        var shapes = new HashSet<OpShape>();
        foreach (var plan in plans)
            StepModel.Evaluate(ctx, plan, op => { shapes.Add(op.Key()); return 1e-6; });
        if (shapes.Count == 0) return new Dictionary<OpShape, double>();
        var ops = shapes.ToList();
        var times = await emulator.TimeAsync(ctx.Device.Id, ops, "precision", ct);
        var result = new Dictionary<OpShape, double>(ops.Count);
        for (int i = 0; i < ops.Count; i++) result[ops[i]] = times[i].DeviceSeconds;
        return result;
    }

    private static double Lookup(RunContext ctx, IReadOnlyDictionary<OpShape, double> times, OpShape op)
    {
        if (!times.TryGetValue(op.Key(), out double t)) throw new InvalidOperationException($"op {op} was not timed");
        // A cluster with a different scale-out fabric than the catalog device: scale cross-node transfer time.
        if (op is CollectiveShape c && ctx.Spec.ScaleOutGBpsOverride > 0 && c.Ranks > c.RanksPerNode
            && ctx.Device.ScaleOutGBps > 0)
            t *= ctx.Device.ScaleOutGBps / ctx.Spec.ScaleOutGBpsOverride;
        return t;
    }

    /// <summary>Rejects bad run inputs, naming the request field.</summary>
    public static void Validate(TrainingRunSpec spec)
    {
        if (!(spec.TrainingTokens > 0))
            throw new InvalidFieldException("training_tokens", $"must be positive (got {spec.TrainingTokens})");
        if (spec.SequenceLength <= 0)
            throw new InvalidFieldException("sequence_length", $"must be positive (got {spec.SequenceLength})");
        if (spec.AcceleratorCount <= 0)
            throw new InvalidFieldException("cluster.count", $"must be positive (got {spec.AcceleratorCount})");
        if (string.IsNullOrWhiteSpace(spec.Accelerator))
            throw new InvalidFieldException("cluster.accelerator", "is required, e.g. 'h800'");
        if (spec.GlobalBatchTokens < 0) throw new InvalidFieldException("global_batch_tokens", "must not be negative");
        if (spec.GlobalBatchTokens > 0 && spec.GlobalBatchTokens < spec.SequenceLength)
            throw new InvalidFieldException("global_batch_tokens",
                $"must hold at least one sequence ({spec.SequenceLength} tokens)");
        if (spec.PricePerAcceleratorHour < 0)
            throw new InvalidFieldException("price_per_accelerator_hour_usd", "must not be negative");
        var r = spec.Reliability;
        if (r.MtbfHoursPerAccelerator <= 0)
            throw new InvalidFieldException("reliability.mtbf_hours_per_accelerator", "must be positive");
        if (r.RestartHours < 0) throw new InvalidFieldException("reliability.restart_hours", "must not be negative");
        if (r.CheckpointWriteGBpsPerAccelerator <= 0)
            throw new InvalidFieldException("reliability.checkpoint_write_gbps_per_accelerator", "must be positive");
        if (r.CheckpointIntervalHours < 0)
            throw new InvalidFieldException("reliability.checkpoint_interval_hours", "must not be negative");
        var e = spec.Energy;
        if (e.Pue < 1) throw new InvalidFieldException("energy.pue", $"must be at least 1 (got {e.Pue})");
        if (e.ServerOverhead < 1)
            throw new InvalidFieldException("energy.server_overhead", $"must be at least 1 (got {e.ServerOverhead})");
        if (e.GridKgCo2PerKwh < 0)
            throw new InvalidFieldException("energy.grid_kg_co2_per_kwh", "must not be negative");
        if (e.AcceleratorWatts < 0) throw new InvalidFieldException("energy.accelerator_watts", "must not be negative");
    }

    private static string ReasonKind(string reason) => reason.Split(':', 2)[0] switch
    {
        var s when s.StartsWith("out of memory") => "out of memory",
        var s when s.StartsWith("TP ") => "TP does not divide the heads",
        var s when s.StartsWith("PP ") => "PP exceeds the layers",
        var s when s.StartsWith("fewer micro-batches") => "fewer micro-batches than pipeline stages",
        var s when s.StartsWith("batch too small") => "data parallel × micro-batch exceeds the batch",
        var s => s,
    };

    /// <summary>
    /// Why no plan fits. When no layout of this many accelerators exists at all (every split into TP × CP × PP × DP
    /// broke a structural rule before memory was looked at), say so and which rules; otherwise the reason a real
    /// candidate failed (memory, batch), from the one with the most model parallelism.
    /// </summary>
    private static string WhyNoPlan(PlanSearchResult r, TrainingRunSpec spec)
    {
        string where = $"{spec.Model.Name} on {spec.AcceleratorCount:N0} × {spec.Accelerator}";
        var candidates = r.Rejected.Where(x => !Structural(x.Reason)).ToList();
        if (candidates.Count > 0)
        {
            var largest = candidates.OrderBy(x => x.Plan.PipelineParallel * x.Plan.TensorParallel).Last();
            return $"no parallel plan fits {where}: {largest.Reason}";
        }
        string rules = string.Join("; ", r.RejectionCounts.OrderByDescending(kv => kv.Value)
            .Select(kv => $"{kv.Key} ({kv.Value:N0})"));
        return $"no parallel layout of {where} exists: every split of {spec.AcceleratorCount:N0} accelerators into "
            + $"TP × CP × PP × DP breaks a rule of the model ({(rules.Length > 0 ? rules : "no candidates")}); "
            + "choose a count that factors into TP dividing the heads and PP within the layers";
    }

    private static bool Structural(string reason) => reason.StartsWith("TP ", StringComparison.Ordinal)
        || reason.StartsWith("PP ", StringComparison.Ordinal);
}
