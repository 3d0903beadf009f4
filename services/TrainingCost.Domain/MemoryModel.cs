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
/// ranks (experts over their own expert-data-parallel group). Activations: <see cref="ActivationModel"/>.
/// Capacity: the nominal HBM size is binary (an "80 GB" H100 or H800 has 80 GiB; nvidia-smi shows 81,559 MiB),
/// of which <see cref="UsableFraction"/> can be allocated.
/// </summary>
public static class MemoryModel
{
    /// <summary>Framework workspace, CUDA context and communication buffers, GB.</summary>
    public const double OverheadGb = 3.0;
    /// <summary>Fraction of HBM the allocator can actually hand out (fragmentation).</summary>
    public const double UsableFraction = 0.95;
    /// <summary>Bytes of a nominal HBM gigabyte (GiB), in GB.</summary>
    public const double GbPerNominalGb = 1.073741824;

    /// <summary>Memory with default activation options (no dropout, fused attention, 16-bit, no cap on the
    /// micro-batches in flight).</summary>
    public static MemoryBreakdown Estimate(ModelArchitecture a, ParameterBreakdown p, ParallelPlan plan, long seq,
        AcceleratorSpec device) => Estimate(a, p, plan, seq, device, ActivationOptions.Default);

    public static MemoryBreakdown Estimate(ModelArchitecture a, ParameterBreakdown p, ParallelPlan plan, long seq,
        AcceleratorSpec device, ActivationOptions options)
    {
        int tp = plan.TensorParallel, pp = plan.PipelineParallel, ep = plan.ExpertParallel;
        // CP ranks hold the same weights: ZeRO shards over DP × CP
        int dp = Math.Max(1, plan.DataParallel) * Math.Max(1, plan.ContextParallel);
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

        double activations = ActivationModel.Bytes(a, plan, seq, options) + GatheredKvBytes(a, plan, seq);
        return new MemoryBreakdown(weights / 1e9, grads / 1e9, optimizer / 1e9, activations / 1e9, OverheadGb,
            device.HbmGb * GbPerNominalGb * UsableFraction);
    }

    /// <summary>
    /// K and V of one micro-batch's whole sequence on one TP rank, bytes (16-bit): what context parallelism moves per
    /// layer (MLA: per-head K and V rebuilt from the latent).
    /// </summary>
    public static long ContextParallelKvBytes(ModelArchitecture a, ParallelPlan plan, long seq)
    {
        int tp = plan.TensorParallel;
        long kvWidth = a.Mla is { } mla
            ? Math.Max(1, a.NumAttentionHeads / tp) * (mla.QkNopeHeadDim + mla.QkRopeHeadDim + mla.VHeadDim)
            : 2 * Math.Max(1, a.KvHeads / tp) * a.EffectiveHeadDim;
        return plan.MicroBatch * seq * kvWidth * 2;
    }

    /// <summary>
    /// Context parallelism by all-gather (Llama 3 paper §3.3.2) holds the gathered K and V of the whole sequence
    /// while a layer's attention runs, and their gradients before the reduce-scatter: 2 ×
    /// <see cref="ContextParallelKvBytes"/> for the layer in flight (405B at 131,072 tokens, TP8: one KV head of 128
    /// per rank, 2 × 64 MiB). The ring holds two chunks at a time, which the activations already bound.
    /// </summary>
    public static double GatheredKvBytes(ModelArchitecture a, ParallelPlan plan, long seq) =>
        plan.ContextParallel > 1 && plan.ContextParallelMethod == ContextParallelMethod.AllGather
            ? 2.0 * ContextParallelKvBytes(a, plan, seq)
            : 0;
}
