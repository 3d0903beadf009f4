using Platform.Modeling;
using Platform.Modeling.Flops;
using Platform.Modeling.Ops;

namespace TrainingCost.Domain;

/// <summary>The compute part of <see cref="StepModel"/>: forward times per piece, the step's compute with
/// backward and recompute, the pipeline bubble, and the lower bound the plan search prunes with.</summary>
public static partial class StepModel
{
    /// <summary>Forward times of one micro-batch's pieces (per layer of each kind, head and embedding, MTP) and the
    /// per-layer TP all-reduces and EP all-to-alls: what depends on TP, EP, CP and the micro-batch only.</summary>
    internal readonly record struct ForwardTimes(double Dense, double Moe, double Head, double Mtp,
        double AttentionCore, double Total, double TensorParallelPerLayer, double DispatchCombine);

    /// <summary>One micro-batch's compute on the slowest stage and the step's compute (<see cref="Seconds"/> =
    /// <see cref="StepBreakdown.ComputeSeconds"/>).</summary>
    internal readonly record struct ComputeTimes(double FullShare, double StageScale, double Forward,
        double Backward, double Micro, long GlobalBatchSequences, int MicroBatches, double Seconds,
        double LayersPerStage, double TensorParallelMicro, double ExpertParallelMicro);

    internal static ForwardTimes ForwardOf(RunContext ctx, ParallelPlan plan, Func<OpShape, double> time,
        StepMemo? memo)
    {
        int cp = Math.Max(1, plan.ContextParallel);
        var key = (plan.TensorParallel, plan.ExpertParallel, cp, plan.MicroBatch);
        if (memo is not null && memo.Forward.TryGetValue(key, out var known)) return known;
        var f = ComputeForward(ctx, plan, time);
        memo?.Forward.Add(key, f);
        return f;
    }

    private static ForwardTimes ComputeForward(RunContext ctx, ParallelPlan plan, Func<OpShape, double> time)
    {
        var a = ctx.Model;
        var cal = ctx.Calibration;
        int tp = plan.TensorParallel, pp = plan.PipelineParallel, ep = plan.ExpertParallel;
        int cp = Math.Max(1, plan.ContextParallel);
        int node = Math.Max(1, ctx.Device.ScaleUpDomain);
        long seq = ctx.Spec.SequenceLength;
        // Under context parallelism a rank runs 1/CP of each sequence's tokens through every token-wise op, and 1/CP
        // of the causal attention (load-balanced chunks), timed as the whole sequence's attention ÷ CP. The groups
        // read here do not depend on PP (only the pipeline-hop group does), so the memo key leaves PP out.
        var layout = new OpLayout(tp, ep, pp, ctx.GemmFormat, MaterializedAttention: ctx.Spec.MaterializedAttention,
            ScaleUpDomain: node);
        var shard = ModelOps.Decompose(a, layout, PassShape.Training(plan.MicroBatch, seq / cp));
        var wholeSequence = cp == 1 ? shard : ModelOps.Decompose(a, layout, PassShape.Training(plan.MicroBatch, seq));

        // FP8 GEMMs: the emulator's FP8 time, but no faster than the BF16 time over the calibrated end-to-end speed-up.
        double OpTime(OpShape op)
        {
            double t = time(op);
            if (op.Format == DataType.Fp8E4M3 && op is GemmShape or GroupedGemmShape)
                t = Math.Max(t, time(op with { Format = DataType.Bf16 }) / cal.Fp8GemmSpeedup);
            return t;
        }
        // Compute of one group's ops (communication is scheduled by the caller, per parallelism kind).
        double Sum(OpGroupKind kind)
        {
            double s = 0;
            foreach (var op in shard.OpsOf(kind))
                if (op is not CollectiveShape && (cp == 1 || !op.IsAttentionCore)) s += OpTime(op);
            if (cp > 1) foreach (var op in wholeSequence.OpsOf(kind)) if (op.IsAttentionCore) s += OpTime(op) / cp;
            return s;
        }

        var layerKind = a.DenseLayerCount > 0 ? OpGroupKind.DenseLayer : OpGroupKind.MoeLayer;
        double fDense = a.DenseLayerCount > 0 ? Sum(OpGroupKind.DenseLayer) : 0;
        double fMoe = a.MoeLayerCount > 0 ? Sum(OpGroupKind.MoeLayer) : 0;
        double fHead = Sum(OpGroupKind.Head) + Sum(OpGroupKind.Embedding);
        double fMtp = a.NumNextnPredictLayers * Sum(OpGroupKind.Mtp);
        double attnCore = 0;
        foreach (var op in wholeSequence.OpsOf(layerKind))
            if (op.IsAttentionCore) attnCore += OpTime(op) / cp;
        double totalForward = a.DenseLayerCount * fDense + a.MoeLayerCount * fMoe + fHead + fMtp;

        // TP: the layer's all-reduces (one for a parallel block, else two).
        double perLayer = 0;
        if (tp > 1)
            foreach (var op in shard.OpsOf(layerKind))
                if (op is CollectiveShape { Kind: CollectiveOpKind.AllReduce } c)
                    perLayer += Collective(time, c.Name, ctx.HalfFormat, c.Kind, c.Bytes, c.Ranks, c.RanksPerNode);
        // EP: the MoE layer's dispatch and combine.
        double dispatchCombine = 0;
        if (ep > 1 && a.IsMoe)
            dispatchCombine = shard.OpsOf(OpGroupKind.MoeLayer).OfType<CollectiveShape>()
                .Where(c => c.Kind == CollectiveOpKind.AllToAll).Sum(time);
        return new ForwardTimes(fDense, fMoe, fHead, fMtp, attnCore, totalForward, perLayer, dispatchCombine);
    }

    /// <summary>The compute of a plan's step (forward, backward with recompute, DualPipe's overlap penalty), from
    /// its forward times: a lower bound of the step time that plan search can compute before timing
    /// communication.</summary>
    internal static ComputeTimes Compute(RunContext ctx, ParallelPlan plan, ForwardTimes f)
    {
        var a = ctx.Model;
        var cal = ctx.Calibration;
        int pp = plan.PipelineParallel, dp = plan.DataParallel;
        double fHead = f.Head, totalForward = f.Total;
        double fullShare = plan.FullRecomputeFraction(a);
        double recompute = plan.Recompute switch
        {
            RecomputeKind.Full => fullShare * (totalForward - fHead),
            RecomputeKind.Selective => a.NumLayers * f.AttentionCore,
            _ => 0,
        };
        // Per micro-batch on the slowest stage, calibrated to framework speed. Stages hold whole layers, so with L
        // layers over PP stages the busiest holds ⌈L/PP⌉ and sets the pipeline's pace (61 + 1 MTP layers over 16
        // stages: 4, not 3.875). The head's share is spread (frameworks balance embedding and head against layers).
        double layerUnits = a.NumLayers + a.NumNextnPredictLayers;
        double stageScale = ParallelPlan.StageLayers(a, pp) / (layerUnits / pp);
        double layersForward = (totalForward - fHead) * stageScale;
        // A fused attention kernel (FlashAttention) stores no score matrix, so its backward recomputes QKᵀ and the
        // softmax: 5 matmuls against the forward's 2, i.e. 2.5× the forward instead of 2× (Dao et al. 2022 §3.1;
        // FlashAttention-2 counts its backward as 2.5× the forward FLOPs). A materialized score matrix (Megatron's
        // unfused softmax) needs no such recompute.
        double fusedAttentionRecompute = ctx.Spec.MaterializedAttention ? 0 : 0.5 * a.NumLayers * f.AttentionCore;
        double fwd = (layersForward + fHead) / pp / cal.KernelEfficiency;
        double bwd = (2 * (layersForward + fHead) + (recompute + fusedAttentionRecompute) * stageScale) / pp
            / cal.KernelEfficiency;
        double computeMicro = fwd + bwd;
        // DualPipe overlaps a forward and a backward chunk with communication; compute runs on fewer SMs meanwhile.
        if (plan.Schedule == PipelineSchedule.DualPipe) computeMicro *= cal.OverlapComputePenalty;
        long gbs = ctx.Spec.GlobalBatchSequences(dp, plan.MicroBatch);
        int m = (int)(gbs / ((long)dp * plan.MicroBatch));

        double layersPerStage = layerUnits / pp * stageScale;
        double moeLayersPerStage = (double)(a.MoeLayerCount + (a.IsMoe ? a.NumNextnPredictLayers : 0)) / pp
            * stageScale;
        // TP: two all-reduces (or reduce-scatter + all-gather with sequence parallelism) forward, two backward, per
        // layer (one each for a parallel block), in every forward, backward and recompute.
        double tpMicro = 0;
        if (plan.TensorParallel > 1) tpMicro = layersPerStage * f.TensorParallelPerLayer * (2 + fullShare);
        // EP: the MoE layer's dispatch and combine, forward and backward.
        double epMicro = 0;
        if (plan.ExpertParallel > 1 && a.IsMoe) epMicro = moeLayersPerStage * 2 * f.DispatchCombine;
        return new ComputeTimes(fullShare, stageScale, fwd, bwd, computeMicro, gbs, m, m * computeMicro,
            layersPerStage, tpMicro, epMicro);
    }

    /// <summary>The pipeline bubble of a step whose micro-batch takes <paramref name="micro"/> on the critical
    /// path.</summary>
    private static double Bubble(ParallelPlan plan, double micro, double fwd, double bwd)
    {
        int pp = plan.PipelineParallel;
        return plan.Schedule switch
        {
            _ when pp == 1 => 0,
            PipelineSchedule.Interleaved => (pp - 1.0) / Math.Max(1, plan.VirtualStages) * micro,
            // (PP/2 − 1)(F&B + B − 3W) with F&B ≈ F + B and W (weight gradients) ≈ F.
            PipelineSchedule.DualPipe => Math.Max(0, pp / 2.0 - 1) * Math.Max(0, fwd + 2 * bwd - 3 * fwd),
            _ => (pp - 1.0) * micro,
        };
    }

    /// <summary>
    /// A lower bound of <see cref="StepBreakdown.StepSeconds"/> from <paramref name="c"/> alone (no op time beyond
    /// the forward memo's): compute, TP, the EP all-to-alls (less what DualPipe can hide) and the bubble they imply,
    /// with CP, PP, DP and the optimizer taken as 0. Each term is computed by the same expression as in
    /// <see cref="Evaluate(RunContext, ParallelPlan, Func{OpShape, double}, StepMemo?)"/> from operands no larger, and
    /// summed in the same order, so with non-negative op times and an overlap penalty of at least 1 the bound holds
    /// exactly in floating point.
    /// </summary>
    internal static double StepSecondsLowerBound(ParallelPlan plan, ComputeTimes c)
    {
        int m = c.MicroBatches;
        double epExposed = c.ExpertParallelMicro;
        // DualPipe hides EP and PP behind compute: exposed = comm − min(comm, compute), non-decreasing in comm.
        if (plan.Schedule == PipelineSchedule.DualPipe) epExposed -= Math.Min(c.ExpertParallelMicro, c.Micro);
        double micro = c.Micro + c.TensorParallelMicro + epExposed;
        return c.Seconds + m * c.TensorParallelMicro + m * epExposed + Bubble(plan, micro, c.Forward, c.Backward);
    }
}

/// <summary>
/// Memo of <see cref="StepModel"/> for many plans of one run context under one op-time function: the forward
/// times per (TP, EP, CP, micro-batch). Not thread-safe; one per search pass.
/// </summary>
public sealed class StepMemo
{
    internal Dictionary<(int Tp, int Ep, int Cp, int MicroBatch), StepModel.ForwardTimes> Forward { get; } = new();
    /// <summary>Hardware FLOPs per token by recompute kind (used by the estimator).</summary>
    internal Dictionary<RecomputeKind, double> HardwareFlops { get; } = new();
}
