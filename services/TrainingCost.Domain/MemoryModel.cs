using Platform.Modeling;
using Platform.Modeling.Flops;

namespace TrainingCost.Domain;

/// <summary>Memory of the busiest accelerator of a plan, GB (1e9 bytes).</summary>
public sealed record MemoryBreakdown(double WeightsGb, double GradientsGb, double OptimizerGb, double ActivationsGb,
    double OtherGb, double CapacityGb)
{
    public double TotalGb => WeightsGb + GradientsGb + OptimizerGb + ActivationsGb + OtherGb;
    public bool Fits => TotalGb <= CapacityGb;
    public string? Reason => Fits ? null
        : $"needs {TotalGb:F1} GB per accelerator (weights {WeightsGb:F1}, gradients {GradientsGb:F1}, optimizer " +
            $"{OptimizerGb:F1}, activations {ActivationsGb:F1}) but has {CapacityGb:F0} GB";
}

/// <summary>
/// Per-accelerator memory of a plan. Parameters: BF16 weights (2 B), FP32 gradient accumulation (4 B), Adam
/// with FP32 master weights and moments (12 B) or BF16 moments (8 B) — the 18 B/parameter of Megatron's
/// distributed optimizer; ZeRO stage k shards the first k of (optimizer, gradients, weights) over data-parallel
/// ranks. Activations per layer follow Korthikanti et al. 2022 (s·b·h·34 bytes at 16-bit for a 4h GELU MLP,
/// generalised to the FFN width; flash attention keeps no s² term), divided by TP (sequence parallel), with
/// the first pipeline stage holding PP micro-batches in flight (1F1B), PP+1 under DualPipe.
/// </summary>
public static class MemoryModel
{
    /// <summary>Framework workspace, CUDA context and allocator fragmentation, GB.</summary>
    public const double OverheadGb = 3.0;
    /// <summary>Fraction of HBM the allocator can actually hand out.</summary>
    public const double UsableFraction = 0.95;

    public static MemoryBreakdown Estimate(ModelArchitecture a, ParameterBreakdown p, ParallelPlan plan, long seq,
        AcceleratorSpec device)
    {
        int tp = plan.TensorParallel, pp = plan.PipelineParallel, ep = plan.ExpertParallel;
        // CP ranks hold the same weights: ZeRO shards over DP × CP
        int dp = plan.DataParallel * Math.Max(1, plan.ContextParallel);
        long seqPerRank = seq / Math.Max(1, plan.ContextParallel);
        int world = plan.Accelerators;
        int expertTp = ep > 1 ? 1 : tp;
        double expertParams = p.RoutedExpertsTotal
            + (a.NumNextnPredictLayers > 0 && a.IsMoe ? a.NumNextnPredictLayers * a.Moe!.RoutedExperts * p.ExpertParams
                : 0);
        double denseParams = p.Total + p.Mtp - expertParams - p.Embedding;
        // Busiest stage: its share of the layers plus one embedding-sized matrix (input on the first stage, head on the
        // last).
        double densePerRank = denseParams / pp / tp + (double)a.VocabSize * a.HiddenSize / tp;
        if (pp == 1) densePerRank = (denseParams + p.Embedding) / tp;
        double expertPerRank = expertParams / pp / (ep * expertTp);
        int expertDp = Math.Max(1, world / (pp * ep * expertTp));
        // DualPipe keeps two copies of the parameters
        double copies = plan.Schedule == PipelineSchedule.DualPipe ? 2 : 1;

        double Sharded(double bytesPerParam, int stage) =>
            plan.ZeroStage >= stage ? densePerRank * bytesPerParam / dp + expertPerRank * bytesPerParam / expertDp
                                    : (densePerRank + expertPerRank) * bytesPerParam;

        double weights = Sharded(2, 3) * copies;
        double grads = Sharded(4, 2) * copies;
        double optimizer = Sharded(plan.Bf16OptimizerMoments ? 8 : 12, 1);

        double activations = ActivationBytesPerLayer(a, plan, seqPerRank) * LayersInFlight(a, plan)
            + LogitsBytes(a, plan, seqPerRank);
        return new MemoryBreakdown(weights / 1e9, grads / 1e9, optimizer / 1e9, activations / 1e9, OverheadGb,
            device.HbmGb * UsableFraction);
    }

    /// <summary>Stored activation bytes of one layer for one micro-batch on one TP rank.</summary>
    public static double ActivationBytesPerLayer(ModelArchitecture a, ParallelPlan plan, long seq)
    {
        double sb = (double)seq * plan.MicroBatch, h = a.HiddenSize;
        double ffnWidth = a.IsMoe ? (a.Moe!.ExpertsPerToken + a.Moe.SharedExperts) * a.Moe.ExpertIntermediateSize
            : a.IntermediateSize;
        // Korthikanti et al. without dropout masks (no dropout in today's pre-training): QKV input, Q, K, V, the
        // attention output (flash: no s² scores) and the output projection's input; K and V shrink by the query
        // groups under GQA/MQA (MLA keeps per-head K and V for the attention backward).
        double groups = a.Mla is null ? (double)a.NumAttentionHeads / Math.Max(1, a.KvHeads) : 1;
        double attention = (6 + 4 / groups) * sb * h;
        double norms = 4 * sb * h;
        double mlp = 2 * sb * h + (a.GatedMlp || a.IsMoe ? 6 : 4) * sb * ffnWidth;
        double stored = attention + norms + mlp;
        double recomputed = plan.FullRecomputeFraction(a);
        double full = plan.Recompute switch
        {
            // Full: only the layer input is kept for the recomputed share of layers (block method: the rest keep all).
            RecomputeKind.Full => recomputed * 2 * sb * h + (1 - recomputed) * stored,
            // Selective: norms and the activation function are recomputed (their outputs are not kept).
            RecomputeKind.Selective => attention + mlp - 2 * sb * ffnWidth,
            _ => stored,
        };
        return full / plan.TensorParallel;
    }

    /// <summary>Layer-activations the busiest (first) stage holds: L/PP layers × micro-batches in flight.</summary>
    public static double LayersInFlight(ModelArchitecture a, ParallelPlan plan)
    {
        int pp = plan.PipelineParallel;
        double layersPerStage = ParallelPlan.StageLayers(a, pp);
        double inFlight = plan.Schedule switch
        {
            PipelineSchedule.DualPipe => pp + 1,
            PipelineSchedule.Interleaved => pp * (1 + (pp - 1.0) / (pp * Math.Max(1, plan.VirtualStages))),
            _ => pp,
        };
        double full = layersPerStage * inFlight;
        // Full recompute also needs one layer's complete activations while it is being recomputed.
        if (plan.Recompute == RecomputeKind.Full)
            // in units of the stored input (2·s·b·h); small
            full += (11 + 4 + 3) / 2.0 + (a.GatedMlp || a.IsMoe ? 3 : 2) * 1.0;
        return full;
    }

    /// <summary>FP32 logits and their gradient on the last stage.</summary>
    private static double LogitsBytes(ModelArchitecture a, ParallelPlan plan, long seq) =>
        2 * 4.0 * seq * plan.MicroBatch * a.VocabSize / plan.TensorParallel;
}
