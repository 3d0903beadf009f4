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
public sealed partial class TrainingEstimator(IEmulator emulator, Calibration? calibration = null)
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

    /// <summary>
    /// Top <paramref name="topK"/> plans under memory for the spec's objective. Plans are ranked as if every fitting
    /// plan were evaluated, but only those that can still make the top are: a plan's compute (forward, backward,
    /// recompute) with its TP and EP communication and the bubble they imply bounds its time and cost from below,
    /// so once <paramref name="topK"/> plans are known, a plan whose bound is already worse is never evaluated.
    /// </summary>
    public async Task<PlanSearchResult> SearchAsync(TrainingRunSpec spec, int topK, CancellationToken ct,
        IProgress<double>? progress = null) => await SearchAsync(spec, topK, prune: true, ct, progress);

    /// <summary><see cref="SearchAsync(TrainingRunSpec, int, CancellationToken, IProgress{double})"/>, optionally
    /// evaluating every fitting plan (<paramref name="prune"/> false: the reference the tests compare with).</summary>
    internal async Task<PlanSearchResult> SearchAsync(TrainingRunSpec spec, int topK, bool prune,
        CancellationToken ct, IProgress<double>? progress = null)
    {
        Validate(spec);
        var device = AcceleratorSpec.From(await emulator.GetDeviceAsync(spec.Accelerator, "cluster.accelerator", ct));
        var ctx = Context(spec, device);
        var rejected = new List<RejectedPlan>();
        var fitting = new List<(ParallelPlan Plan, MemoryBreakdown Memory)>();
        var worlds = spec.Objective == PlanObjective.MinCost
            ? new[] { spec.AcceleratorCount, spec.AcceleratorCount / 2, spec.AcceleratorCount / 4 }
                .Where(w => w >= 1 && w * 4 >= spec.AcceleratorCount).Distinct()
            : [spec.AcceleratorCount];
        int total = 0;
        foreach (int world in worlds)
        {
            var all = PlanSpace.Enumerate(spec.Model, world, Math.Max(1, device.ScaleUpDomain), rejected,
                spec.AllowedSchedules, spec.SequenceLength, ct);
            total += all.Count;
            for (int i = 0; i < all.Count; i++)
            {
                if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
                var plan = all[i];
                if (plan.TensorParallel < spec.MinTensorParallel
                    || spec.RequiredRecompute is { } recompute && plan.Recompute != recompute) continue;
                var mem = MemoryModel.Estimate(ctx.Model, ctx.Parameters, plan, spec.SequenceLength, device,
                    ActivationOptions.Of(spec, plan));
                if (!mem.Fits) rejected.Add(new RejectedPlan(plan, mem));
                else if ((long)plan.DataParallel * plan.MicroBatch > spec.RequestedBatchSequences)
                    rejected.Add(new RejectedPlan(plan,
                        $"batch too small: data parallel {plan.DataParallel} × micro-batch {plan.MicroBatch} " +
                        $"exceeds the global batch of {spec.RequestedBatchSequences} sequences"));
                else if (plan.PipelineParallel > 1
                    && spec.GlobalBatchSequences(plan.DataParallel, plan.MicroBatch)
                        / ((long)plan.DataParallel * plan.MicroBatch) < plan.PipelineParallel)
                    rejected.Add(new RejectedPlan(plan,
                        "fewer micro-batches per step than pipeline stages (the bubble would dominate)"));
                else fitting.Add((plan, mem));
            }
        }
        progress?.Report(0.2);
        Func<TrainingEstimate, double> key = spec.Objective == PlanObjective.MinCost
            ? e => e.CostUsd
            : e => e.WallClockHours;
        int k = Math.Max(1, topK);
        var evaluated = await EvaluateCandidatesAsync(ctx, fitting, k, key, prune, ct, progress);
        progress?.Report(0.95);
        // Ties keep the enumeration order (as a stable sort of every fitting plan would).
        var best = evaluated.OrderBy(e => key(e.Estimate)).ThenBy(e => e.Estimate.Memory.TotalGb)
            .ThenBy(e => e.Index).Take(k).Select(e => e.Estimate).ToList();
        var counts = rejected.GroupBy(r => ReasonKind(r.Group)).ToDictionary(g => g.Key, g => g.Count());
        return new PlanSearchResult(best, total, rejected, counts);
    }

    /// <summary>Plans evaluated first, before the bound of the best <c>topK</c> prunes the rest.</summary>
    private const int FirstRound = 64;

    /// <summary>
    /// Evaluates the fitting plans that can reach the top <paramref name="topK"/> (all of them without
    /// <paramref name="prune"/>), with their indices. First the forward times of every distinct (TP, EP, CP,
    /// micro-batch) are timed in one batch, giving each plan's bound; the plans with the lowest bound are
    /// evaluated, and then every plan whose bound does not exceed the k-th best objective found.
    /// </summary>
    private async Task<List<(int Index, TrainingEstimate Estimate)>> EvaluateCandidatesAsync(RunContext ctx,
        List<(ParallelPlan Plan, MemoryBreakdown Memory)> fitting, int topK, Func<TrainingEstimate, double> key,
        bool prune, CancellationToken ct, IProgress<double>? progress)
    {
        var times = new Dictionary<OpShape, double>();
        var shapes = new HashSet<OpShape>();
        var collectMemo = new StepMemo();
        double Collect(OpShape op) { shapes.Add(op.Key()); return 1e-6; }
        var evalMemo = new StepMemo();
        double Time(OpShape op) => Lookup(ctx, times, op);
        var result = new List<(int, TrainingEstimate)>();
        var done = new bool[fitting.Count];

        async Task EvaluateAsync(IEnumerable<int> indices)
        {
            var todo = indices.Where(i => !done[i]).ToList();
            shapes.Clear();
            for (int j = 0; j < todo.Count; j++)
            {
                if ((j & 1023) == 0) ct.ThrowIfCancellationRequested();
                StepModel.Evaluate(ctx, fitting[todo[j]].Plan, Collect, collectMemo);
            }
            await TimeIntoAsync(ctx, shapes, times, ct);
            for (int j = 0; j < todo.Count; j++)
            {
                if ((j & 1023) == 0) ct.ThrowIfCancellationRequested();
                int i = todo[j];
                done[i] = true;
                result.Add((i, Evaluate(ctx, fitting[i].Plan, Time, evalMemo, fitting[i].Memory)));
            }
        }

        if (!prune || fitting.Count <= Math.Max(FirstRound, 2 * topK))
        {
            await EvaluateAsync(Enumerable.Range(0, fitting.Count));
            progress?.Report(0.6);
            return result;
        }
        // Forward times of every distinct (TP, EP, CP, micro-batch), then each plan's bound from its compute, TP and
        // EP times.
        shapes.Clear();
        for (int i = 0; i < fitting.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            StepModel.ForwardOf(ctx, fitting[i].Plan, Collect, collectMemo);
        }
        await TimeIntoAsync(ctx, shapes, times, ct);
        var bounds = new double[fitting.Count];
        for (int i = 0; i < fitting.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var plan = fitting[i].Plan;
            bounds[i] = LowerBound(ctx, plan, StepModel.Compute(ctx, plan, StepModel.ForwardOf(ctx, plan, Time,
                evalMemo)));
        }
        progress?.Report(0.4);
        var order = Enumerable.Range(0, fitting.Count).OrderBy(i => bounds[i]).ToArray();
        int first = Math.Max(FirstRound, 2 * topK);
        await EvaluateAsync(order.Take(first));
        if (!BoundHolds(ctx, times))
        {
            // A negative op time or a calibration that speeds compute up under overlap: no bound; evaluate all.
            await EvaluateAsync(Enumerable.Range(0, fitting.Count));
            return result;
        }
        double kth = result.Select(e => key(e.Item2)).Order().ElementAt(topK - 1);
        await EvaluateAsync(order.Skip(first).TakeWhile(i => !(bounds[i] > kth)));
        if (!BoundHolds(ctx, times)) await EvaluateAsync(Enumerable.Range(0, fitting.Count));
        progress?.Report(0.6);
        return result;
    }

    /// <summary>
    /// A lower bound of the search objective (wall-clock hours, or cost) of a plan from its compute, TP and EP
    /// times (<see cref="StepModel.StepSecondsLowerBound"/>): the other parts of the step time are non-negative and
    /// goodput is at most 1, and the figures are computed by the same operations in the same order as
    /// <see cref="TrainingEstimate"/> does, so the bound holds exactly in floating point.
    /// </summary>
    private static double LowerBound(RunContext ctx, ParallelPlan plan, StepModel.ComputeTimes compute)
    {
        var spec = ctx.Spec;
        double tokensPerStep = (double)compute.GlobalBatchSequences * spec.SequenceLength;
        double hours = spec.TrainingTokens / tokensPerStep * StepModel.StepSecondsLowerBound(plan, compute) / 3600;
        if (spec.Objective != PlanObjective.MinCost) return hours;
        return hours * plan.Accelerators * Price(ctx);
    }

    /// <summary>Whether the compute-only bound holds: non-negative op times, overlap that slows compute down, and
    /// a positive kernel efficiency.</summary>
    private static bool BoundHolds(RunContext ctx, Dictionary<OpShape, double> times)
    {
        var cal = ctx.Calibration;
        if (!(cal.KernelEfficiency > 0) || !(cal.OverlapComputePenalty >= 1)) return false;
        if (ctx.Spec.ScaleOutGBpsOverride > 0 && !(ctx.Device.ScaleOutGBps >= 0)) return false;
        foreach (double t in times.Values) if (!(t >= 0)) return false;
        return true;
    }

    private static double Price(RunContext ctx) => ctx.Spec.PricePerAcceleratorHour > 0
        ? ctx.Spec.PricePerAcceleratorHour
        : ctx.Device.Price(ctx.Spec.PriceTier);

    /// <summary>Evaluates many plans against an already-timed op table (the plan-search inner loop;
    /// benchmarked).</summary>
    public TrainingEstimate Evaluate(RunContext ctx, ParallelPlan plan, IReadOnlyDictionary<OpShape, double> times) =>
        Evaluate(ctx, plan, op => Lookup(ctx, times, op), null,
            MemoryModel.Estimate(ctx.Model, ctx.Parameters, plan, ctx.Spec.SequenceLength, ctx.Device,
                ActivationOptions.Of(ctx.Spec, plan)));

    private TrainingEstimate Evaluate(RunContext ctx, ParallelPlan plan, Func<OpShape, double> time, StepMemo? memo,
        MemoryBreakdown memory)
    {
        var step = StepModel.Evaluate(ctx, plan, time, memo);
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
            HardwareFlopsPerToken = HardwareFlopsPerToken(ctx, plan, memo),
            Parameters = ctx.Parameters,
            Device = ctx.Device,
            Accelerators = plan.Accelerators,
            TrainingTokens = spec.TrainingTokens,
            SequenceLength = spec.SequenceLength,
            PricePerAcceleratorHour = Price(ctx),
            Energy = spec.Energy,
        };
    }

    /// <summary>Model FLOPs plus the recomputed forward work (only the recomputed share of layers under partial full
    /// recompute).</summary>
    private static double HardwareFlopsPerToken(RunContext ctx, ParallelPlan plan, StepMemo? memo)
    {
        double hw;
        if (memo is null || !memo.HardwareFlops.TryGetValue(plan.Recompute, out hw))
        {
            hw = FlopCounter.Training(ctx.Model, ctx.Spec.SequenceLength, true, plan.Recompute).HardwareFlopsPerToken;
            memo?.HardwareFlops.Add(plan.Recompute, hw);
        }
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
        var memo = new StepMemo();
        for (int i = 0; i < plans.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            StepModel.Evaluate(ctx, plans[i], op => { shapes.Add(op.Key()); return 1e-6; }, memo);
        }
        var result = new Dictionary<OpShape, double>(shapes.Count);
        await TimeIntoAsync(ctx, shapes, result, ct);
        return result;
    }

    /// <summary>Adds the times of <paramref name="shapes"/> not in <paramref name="times"/> yet, in one
    /// batch.</summary>
    private async Task TimeIntoAsync(RunContext ctx, HashSet<OpShape> shapes, Dictionary<OpShape, double> times,
        CancellationToken ct)
    {
        var ops = shapes.Where(s => !times.ContainsKey(s)).ToList();
        if (ops.Count == 0) return;
        var timed = await emulator.TimeAsync(ctx.Device.Id, ops, "precision", ct);
        for (int i = 0; i < ops.Count; i++) times[ops[i]] = timed[i].DeviceSeconds;
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
}
