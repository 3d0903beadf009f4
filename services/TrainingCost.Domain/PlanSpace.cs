using Platform.Modeling;
using Platform.Modeling.Errors;
using Platform.Modeling.Flops;

namespace TrainingCost.Domain;

/// <summary>A plan that was not kept, and why.</summary>
public sealed record RejectedPlan
{
    private string? _reason;
    private readonly MemoryBreakdown? _memory;

    public RejectedPlan(ParallelPlan plan, string reason)
    {
        Plan = plan;
        _reason = reason;
    }

    /// <summary>A plan that does not fit in memory; the reason is worded when first read (a search rejects tens of
    /// thousands of plans and words only a few).</summary>
    internal RejectedPlan(ParallelPlan plan, MemoryBreakdown memory)
    {
        Plan = plan;
        _memory = memory;
    }

    public ParallelPlan Plan { get; init; }

    public string Reason
    {
        get => _reason ??= "out of memory: " + _memory!.Reason;
        init => _reason = value;
    }

    /// <summary>The reason's kind: its text before the first colon.</summary>
    public string Group => _reason is null ? "out of memory" : _reason.Split(':', 2)[0];

    public bool Equals(RejectedPlan? other) =>
        other is not null && Plan == other.Plan && (ReferenceEquals(this, other) || Reason == other.Reason);

    public override int GetHashCode() => HashCode.Combine(Plan, Reason);

    public void Deconstruct(out ParallelPlan plan, out string reason) => (plan, reason) = (Plan, Reason);
}

/// <summary>Checks plans against the model and cluster, and enumerates the search space.</summary>
public static class PlanSpace
{
    /// <summary>Throws InvalidArgument naming the field when a given plan cannot run this model on this
    /// cluster.</summary>
    public static ParallelPlan Validate(ModelArchitecture a, ParallelPlan plan, int accelerators,
        string field = "parallelism", long sequenceLength = 0)
    {
        if (plan.TensorParallel < 1)
            throw new InvalidFieldException($"{field}.tensor_parallel",
                $"must be at least 1 (got {plan.TensorParallel})");
        if (plan.PipelineParallel < 1)
            throw new InvalidFieldException($"{field}.pipeline_parallel",
                $"must be at least 1 (got {plan.PipelineParallel})");
        if (plan.ContextParallel < 1)
            throw new InvalidFieldException($"{field}.context_parallel",
                $"must be at least 1 (got {plan.ContextParallel})");
        // Load-balanced context parallelism cuts each sequence into 2 × CP chunks (Megatron-LM).
        if (plan.ContextParallel > 1 && sequenceLength > 0 && sequenceLength % (2L * plan.ContextParallel) != 0)
            throw new InvalidFieldException($"{field}.context_parallel",
                $"2 × {plan.ContextParallel} does not divide sequence_length ({sequenceLength})");
        if (plan.ExpertParallel < 1)
            throw new InvalidFieldException($"{field}.expert_parallel",
                $"must be at least 1 (got {plan.ExpertParallel})");
        if (plan.MicroBatch < 1)
            throw new InvalidFieldException($"{field}.micro_batch_size", $"must be at least 1 (got {plan.MicroBatch})");
        if (plan.ZeroStage is < 0 or > 3)
            throw new InvalidFieldException($"{field}.zero_stage", $"must be 0–3 (got {plan.ZeroStage})");
        if (plan.RecomputeLayers < 0)
            throw new InvalidFieldException($"{field}.recompute_num_layers",
                $"must not be negative (got {plan.RecomputeLayers})");
        if (plan.RecomputeLayers > 0 && plan.Recompute != RecomputeKind.Full)
            throw new InvalidFieldException($"{field}.recompute_num_layers", "applies to RECOMPUTE_MODE_FULL only");
        long stageLayers = ParallelPlan.StageLayers(a, plan.PipelineParallel);
        if (plan.RecomputeLayers > stageLayers)
            throw new InvalidFieldException($"{field}.recompute_num_layers",
                $"{plan.RecomputeLayers} exceeds the layers of a pipeline stage ({stageLayers})");
        if (a.NumAttentionHeads % plan.TensorParallel != 0)
            throw new InvalidFieldException($"{field}.tensor_parallel",
                $"{plan.TensorParallel} does not divide num_attention_heads ({a.NumAttentionHeads})");
        if (plan.PipelineParallel > a.NumLayers)
            throw new InvalidFieldException($"{field}.pipeline_parallel",
                $"{plan.PipelineParallel} exceeds num_hidden_layers ({a.NumLayers})");
        if (plan.ExpertParallel > 1 && !a.IsMoe)
            throw new InvalidFieldException($"{field}.expert_parallel",
                "is only meaningful for a mixture-of-experts model");
        if (a.IsMoe && a.Moe!.RoutedExperts % plan.ExpertParallel != 0)
            throw new InvalidFieldException($"{field}.expert_parallel",
                $"{plan.ExpertParallel} does not divide n_routed_experts ({a.Moe.RoutedExperts})");
        int tpPp = plan.TensorParallel * plan.ContextParallel * plan.PipelineParallel;
        if (accelerators % tpPp != 0)
            throw new InvalidFieldException($"{field}.pipeline_parallel", plan.ContextParallel > 1
                ? $"tensor_parallel × context_parallel × pipeline_parallel = {tpPp} does not divide cluster.count " +
                    $"({accelerators})"
                : $"tensor_parallel × pipeline_parallel = {tpPp} does not divide cluster.count ({accelerators})");
        int dp = accelerators / tpPp;
        if (plan.DataParallel > 0 && plan.DataParallel != dp)
            throw new InvalidFieldException($"{field}.data_parallel",
                $"{plan.DataParallel} × TP {plan.TensorParallel}" +
                (plan.ContextParallel > 1 ? $" × CP {plan.ContextParallel}" : "") +
                $" × PP {plan.PipelineParallel} ≠ cluster.count ({accelerators}); use {dp} or 0");
        if (dp * plan.TensorParallel * plan.ContextParallel % plan.ExpertParallel != 0)
            throw new InvalidFieldException($"{field}.expert_parallel",
                $"{plan.ExpertParallel} does not divide data_parallel × context_parallel × tensor_parallel " +
                $"({dp * plan.TensorParallel * plan.ContextParallel})");
        if (plan.Schedule == PipelineSchedule.DualPipe && plan.PipelineParallel % 2 != 0)
            throw new InvalidFieldException($"{field}.pipeline_schedule",
                $"DualPipe needs an even pipeline_parallel (got {plan.PipelineParallel})");
        if (plan.Schedule == PipelineSchedule.Interleaved && plan.VirtualStages < 1)
            throw new InvalidFieldException($"{field}.virtual_stages",
                "must be at least 1 for the interleaved schedule");
        return plan with { DataParallel = dp, VirtualStages = Math.Max(1, plan.VirtualStages) };
    }

    /// <summary>Every structurally valid plan for <paramref name="accelerators"/>; structural misfits go to
    /// <paramref name="rejected"/>.</summary>
    public static List<ParallelPlan> Enumerate(ModelArchitecture a, int accelerators, int nodeSize,
        List<RejectedPlan> rejected, IReadOnlyList<PipelineSchedule>? allowedSchedules = null, long sequenceLength = 0,
        CancellationToken ct = default)
    {
        var plans = new List<ParallelPlan>();
        int[] microBatches = [1, 2, 4, 8];
        var eps = a.IsMoe ? Divisors((int)Math.Min(a.Moe!.RoutedExperts, int.MaxValue)) : [1];
        // Context parallelism only for long sequences (≥ 16K tokens), in powers of two up to 16 (Llama 3: CP16 at
        // 128K).
        var cps = new List<int> { 1 };
        for (int c = 2; c <= 16 && sequenceLength >= 16384; c *= 2)
            if (sequenceLength % (2L * c) == 0) cps.Add(c);
        for (int tp = 1; tp <= Math.Min(nodeSize, 64); tp *= 2)
        {
            if (accelerators % tp != 0) break;
            if (a.NumAttentionHeads % tp != 0)
            {
                rejected.Add(new RejectedPlan(new ParallelPlan { TensorParallel = tp },
                    $"TP {tp} does not divide num_attention_heads ({a.NumAttentionHeads})"));
                continue;
            }
            foreach (int cp in cps)
            {
                if (accelerators % (tp * cp) != 0) continue;
                foreach (int pp in Divisors(accelerators / (tp * cp)))
                {
                    ct.ThrowIfCancellationRequested();
                    if (pp > a.NumLayers)
                    {
                        rejected.Add(new RejectedPlan(
                            new ParallelPlan { TensorParallel = tp, ContextParallel = cp, PipelineParallel = pp },
                            $"PP {pp} exceeds the {a.NumLayers} layers"));
                        continue;
                    }
                    if (pp > 64) continue;
                    int dp = accelerators / (tp * cp * pp);
                    foreach (int ep in eps)
                    {
                        if (dp * cp * tp % ep != 0) continue; // EP ranks come out of DP × CP × TP
                        int layersPerStage = (int)ParallelPlan.StageLayers(a, pp);
                        plans.AddRange(
                            from s in Schedules(pp, layersPerStage)
                            where allowedSchedules is null || allowedSchedules.Contains(s.Schedule)
                            from zero in pp == 1 ? new[] { 1, 2, 3 } : new[] { 0, 1 }
                            from r in Recomputes(layersPerStage)
                            from mb in microBatches
                            from method in cp > 1 ? CpMethods : [ContextParallelMethod.Ring]
                            select new ParallelPlan
                            {
                                TensorParallel = tp, ContextParallel = cp, ContextParallelMethod = method,
                                PipelineParallel = pp, DataParallel = dp,
                                ExpertParallel = ep, ZeroStage = zero, Recompute = r.Kind, RecomputeLayers = r.Layers,
                                MicroBatch = mb, Schedule = s.Schedule, VirtualStages = s.VirtualStages,
                            });
                    }
                }
            }
        }
        return plans;
    }

    /// <summary>How CP ranks may exchange K and V: Megatron-LM's ring overlapped with the attention, or Llama 3's
    /// exposed all-gather (paper §3.3.2), which it chose for GQA's small K/V and document masks.</summary>
    private static readonly ContextParallelMethod[] CpMethods =
        [ContextParallelMethod.Ring, ContextParallelMethod.AllGather];

    /// <summary>None, selective, full recompute of half of each stage's layers (when a stage has two or more),
    /// full.</summary>
    private static IEnumerable<(RecomputeKind Kind, int Layers)> Recomputes(long layersPerStage)
    {
        yield return (RecomputeKind.None, 0);
        yield return (RecomputeKind.Selective, 0);
        if (layersPerStage >= 2) yield return (RecomputeKind.Full, (int)(layersPerStage / 2));
        yield return (RecomputeKind.Full, 0);
    }

    /// <summary>1F1B; interleaved with 2, 4 or 8 model chunks per rank (at least one layer each); DualPipe for even PP
    /// ≥ 4.</summary>
    private static IEnumerable<(PipelineSchedule Schedule, int VirtualStages)> Schedules(int pp, int layersPerStage)
    {
        yield return (PipelineSchedule.OneFOneB, 1);
        if (pp > 1)
            foreach (int v in new[] { 2, 4, 8 })
                if (v <= layersPerStage) yield return (PipelineSchedule.Interleaved, v);
        if (pp >= 4 && pp % 2 == 0) yield return (PipelineSchedule.DualPipe, 1);
    }

    public static List<int> Divisors(int n)
    {
        var d = new List<int>();
        for (int i = 1; i <= n; i++) if (n % i == 0) d.Add(i);
        return d;
    }
}
