using Platform.Modeling;
using Platform.Modeling.Flops;
using Platform.Modeling.Ops;

namespace TrainingCost.Domain;

/// <summary>Where one optimizer step's time goes on the critical path, seconds.</summary>
public sealed record StepBreakdown
{
    public double ComputeSeconds { get; init; }
    public double TensorParallelSeconds { get; init; }
    public double ContextParallelExposedSeconds { get; init; }
    public double ContextParallelOverlappedSeconds { get; init; }
    public double ExpertParallelExposedSeconds { get; init; }
    public double ExpertParallelOverlappedSeconds { get; init; }
    public double PipelineP2pSeconds { get; init; }
    public double DataParallelExposedSeconds { get; init; }
    public double DataParallelOverlappedSeconds { get; init; }
    public double BubbleSeconds { get; init; }
    public double OptimizerSeconds { get; init; }
    public int MicroBatches { get; init; }
    public long GlobalBatchSequences { get; init; }

    public double StepSeconds =>
        ComputeSeconds + TensorParallelSeconds + ContextParallelExposedSeconds + ExpertParallelExposedSeconds
        + PipelineP2pSeconds + DataParallelExposedSeconds + BubbleSeconds + OptimizerSeconds;
    public double ExposedCommunicationSeconds =>
        TensorParallelSeconds + ContextParallelExposedSeconds + ExpertParallelExposedSeconds
        + PipelineP2pSeconds + DataParallelExposedSeconds;
    public double OverlappedCommunicationSeconds =>
        ContextParallelOverlappedSeconds + ExpertParallelOverlappedSeconds + DataParallelOverlappedSeconds;
}

/// <summary>Everything about a run that does not change from plan to plan.</summary>
public sealed record RunContext(ModelArchitecture Model, ParameterBreakdown Parameters, TrainingRunSpec Spec,
    AcceleratorSpec Device, Calibration Calibration)
{
    public DataType GemmFormat => Spec.Precision switch
    {
        TrainingPrecision.Fp8 => DataType.Fp8E4M3,
        TrainingPrecision.Fp16 => DataType.Fp16,
        _ => DataType.Bf16,
    };
    /// <summary>16-bit format of activations, gradients and non-GEMM ops.</summary>
    public DataType HalfFormat => Spec.Precision == TrainingPrecision.Fp16 ? DataType.Fp16 : DataType.Bf16;
    public TrainingFlops Flops { get; } = FlopCounter.Training(Model, Spec.SequenceLength);
}

/// <summary>
/// Step time of a plan from per-op device times: per-layer forward compute at the plan's micro-batch and TP/EP
/// shapes (backward = 2 × forward, plus recompute), TP all-reduces, EP all-to-alls, PP sends, DP gradient
/// reduction overlapped with the last backward, the pipeline bubble of the schedule and the optimizer step.
/// The timer is a function so the same code first records the op shapes a plan needs, then evaluates it.
/// </summary>
public static class StepModel
{
    /// <summary>
    /// A collective over ranks spanning several scale-up domains, posed hierarchically (as NCCL and the XLA
    /// runtime do): reduce-scatter inside the node, the 1/p shard across nodes, all-gather inside the node. So
    /// the scale-out fabric carries 1/p of the buffer per accelerator instead of all of it.
    /// </summary>
    public static double Collective(Func<OpShape, double> time, string name, DataType format, CollectiveOpKind kind,
        long bytes, int ranks, int ranksPerNode)
    {
        if (ranks <= 1 || bytes <= 0) return 0;
        int p = Math.Clamp(ranksPerNode, 1, ranks);
        if (p == ranks || p == 1 || kind is CollectiveOpKind.AllToAll or CollectiveOpKind.SendRecv)
            return time(new CollectiveShape(name, format, kind, bytes, ranks, p));
        int nodes = (ranks + p - 1) / p;
        long shard = Math.Max(1, bytes / p);
        double intraRs = time(
            new CollectiveShape(name + "_intra", format, CollectiveOpKind.ReduceScatter, bytes, p, p));
        double intraAg = time(new CollectiveShape(name + "_intra", format, CollectiveOpKind.AllGather, bytes, p, p));
        double inter = time(new CollectiveShape(name + "_inter", format, kind, shard, nodes, 1));
        return kind switch
        {
            CollectiveOpKind.AllReduce => intraRs + inter + intraAg,
            CollectiveOpKind.ReduceScatter => intraRs + inter,
            _ => inter + intraAg,
        };
    }

    public static StepBreakdown Evaluate(RunContext ctx, ParallelPlan plan, Func<OpShape, double> time) =>
        Evaluate(ctx, plan, time, null);

    /// <summary>
    /// <see cref="Evaluate(RunContext, ParallelPlan, Func{OpShape, double})"/> with the per-layer forward times
    /// taken from <paramref name="memo"/> when a plan with the same TP, EP, CP and micro-batch was evaluated before
    /// (same figures, bit for bit: the same code computes them once). A memo belongs to one run context and one
    /// <paramref name="time"/> function.
    /// </summary>
    public static StepBreakdown Evaluate(RunContext ctx, ParallelPlan plan, Func<OpShape, double> time,
        StepMemo? memo)
    {
        var a = ctx.Model;
        var cal = ctx.Calibration;
        int tp = plan.TensorParallel, pp = plan.PipelineParallel, dp = plan.DataParallel, ep = plan.ExpertParallel;
        int cp = Math.Max(1, plan.ContextParallel);
        int node = Math.Max(1, ctx.Device.ScaleUpDomain);
        long seq = ctx.Spec.SequenceLength;
        long tokens = plan.MicroBatch * (seq / cp);
        var f = ForwardOf(ctx, plan, time, memo);
        var c = Compute(ctx, plan, f);
        double attnCore = f.AttentionCore, fullShare = c.FullShare, stageScale = c.StageScale;
        double fwd = c.Forward, bwd = c.Backward, computeMicro = c.Micro;

        var half = ctx.HalfFormat;
        double layersPerStage = c.LayersPerStage;
        // TP (in Compute): the layer's all-reduces in every forward, backward and recompute.
        double tpMicro = c.TensorParallelMicro;

        // CP: the ring passes every rank's K and V chunks around (an all-gather of the sequence's K/V) in the forward,
        // again in the backward, plus a reduce-scatter of their gradients; the ring overlaps them with the attention.
        double cpExposedMicro = 0, cpHiddenMicro = 0;
        if (cp > 1)
        {
            long kvWidth = a.Mla is { } mla
                ? Math.Max(1, a.NumAttentionHeads / tp) * (mla.QkNopeHeadDim + mla.QkRopeHeadDim + mla.VHeadDim)
                : 2 * Math.Max(1, a.KvHeads / tp) * a.EffectiveHeadDim;
            long kvBytes = plan.MicroBatch * seq * kvWidth * 2;
            int cpNode = Math.Clamp(node / tp, 1, cp);
            double gather = Collective(time, "cp_kv_all_gather", half, CollectiveOpKind.AllGather, kvBytes, cp, cpNode);
            double scatter = Collective(time, "cp_kv_grad_reduce_scatter", half, CollectiveOpKind.ReduceScatter,
                kvBytes, cp, cpNode);
            double attnFwd = layersPerStage * attnCore / cal.KernelEfficiency;
            double fwdComm = layersPerStage * gather, bwdComm = layersPerStage * (gather + scatter);
            cpExposedMicro = Math.Max(0, fwdComm - attnFwd) + Math.Max(0, bwdComm - 2 * attnFwd);
            cpHiddenMicro = fwdComm + bwdComm - cpExposedMicro;
        }

        // EP (in Compute): dispatch and combine all-to-all, forward and backward, per MoE layer.
        double epMicro = c.ExpertParallelMicro;

        // PP: activations forward and their gradients backward between neighbouring stages.
        double ppMicro = 0;
        if (pp > 1)
        {
            bool crossNode = (long)tp * cp * dp >= node;
            ppMicro = 2
                * time(new CollectiveShape("pp_send_recv", half, CollectiveOpKind.SendRecv,
                    tokens / tp * a.HiddenSize * 2, 2, crossNode ? 1 : 2));
        }

        double epExposed = epMicro, epHidden = 0, ppExposed = ppMicro;
        if (plan.Schedule == PipelineSchedule.DualPipe)
        {
            // DualPipe overlaps a forward and a backward chunk with each other's EP/PP communication; compute runs on
            // fewer SMs meanwhile (charged in Compute). Communication longer than the compute it hides behind stays
            // exposed.
            double comm = epMicro + ppMicro;
            epHidden = Math.Min(comm, computeMicro);
            epExposed = comm - epHidden;
            ppExposed = 0;
        }
        double micro = computeMicro + tpMicro + cpExposedMicro + epExposed + ppExposed;

        long gbs = c.GlobalBatchSequences;
        int m = c.MicroBatches;

        double bubble = Bubble(plan, micro, fwd, bwd);

        // DP gradient reduction. ZeRO-0/1 (Megatron's distributed optimizer): gradients accumulate locally and are
        // reduced once per step (reduce-scatter + parameter all-gather = one all-reduce of BF16 gradients), overlapped
        // with the last micro-batch's backward. ZeRO-2/3 (DeepSpeed, FSDP) keep only a gradient shard, so every
        // micro-batch's backward reduce-scatters its gradients; ZeRO-3 also all-gathers the weights before every
        // forward and backward of every micro-batch (prefetch hides them behind that micro-batch's compute).
        // Experts reduce over their own, smaller DP group.
        int expertTp = ep > 1 ? 1 : tp;
        var p = ctx.Parameters;
        double expertParams = p.RoutedExpertsTotal;
        double denseParamsRank = (p.Total - expertParams) / ((double)tp * pp);
        double expertParamsRank = expertParams / ((double)pp * ep * expertTp);
        int expertDp = Math.Max(1, plan.Accelerators / (pp * ep * expertTp));
        // CP ranks hold the same weights, so gradients reduce (and ZeRO shards) over DP × CP.
        int gradDp = dp * cp;
        int dpNode = Math.Clamp(node / tp, 1, Math.Max(1, gradDp));
        int expertDpNode = Math.Clamp(node / (ep * expertTp), 1, expertDp);
        double dpTime = 0, dpWindow;
        if (plan.ZeroStage <= 1)
        {
            if (gradDp > 1)
                dpTime += Collective(time, "dp_grad_reduce", half, CollectiveOpKind.AllReduce,
                    (long)(denseParamsRank * 2), gradDp, dpNode);
            if (expertDp > 1 && expertParams > 0)
                dpTime += Collective(time, "expert_dp_grad_reduce", half, CollectiveOpKind.AllReduce,
                    (long)(expertParamsRank * 2), expertDp, expertDpNode);
            dpWindow = bwd;
        }
        else
        {
            if (gradDp > 1)
            {
                dpTime += m
                    * Collective(time, "dp_grad_reduce_scatter", half, CollectiveOpKind.ReduceScatter,
                        (long)(denseParamsRank * 2), gradDp, dpNode);
                double gather = Collective(time, "dp_param_gather", half, CollectiveOpKind.AllGather,
                    (long)(denseParamsRank * 2), gradDp, dpNode);
                dpTime += plan.ZeroStage >= 3 ? 2.0 * m * gather : gather;
            }
            if (expertDp > 1 && expertParams > 0)
                dpTime += m
                    * Collective(time, "expert_dp_grad_reduce_scatter", half, CollectiveOpKind.ReduceScatter,
                        (long)(expertParamsRank * 2), expertDp, expertDpNode)
                    + Collective(time, "expert_dp_param_gather", half, CollectiveOpKind.AllGather,
                        (long)(expertParamsRank * 2), expertDp, expertDpNode) * (plan.ZeroStage >= 3 ? 2.0 * m : 1);
            dpWindow = plan.ZeroStage >= 3 ? m * computeMicro : m * bwd;
        }
        // Overlapped communication is not free: its kernels hold SMs and memory bandwidth, so the compute it hides
        // behind runs slower by the same calibrated factor as DualPipe's (DualPipe already charged it above).
        double dpHidden = Math.Min(dpTime, dpWindow);
        double contention = plan.Schedule == PipelineSchedule.DualPipe ? 0
            : dpHidden * (1 - 1 / cal.OverlapComputePenalty);
        double dpExposed = Math.Max(0, dpTime - dpWindow) + contention;

        // Optimizer: Adam streams ≈ 32 bytes per locally updated parameter (FP32 master, moments, gradient); posed as
        // a 16-bit copy of 8 elements per parameter (2 × 2 bytes each) so devices without FP32 units can time it.
        double updated = plan.ZeroStage >= 1 ? denseParamsRank / Math.Max(1, gradDp) + expertParamsRank / expertDp
            : denseParamsRank + expertParamsRank;
        double optimizer = time(new ElementwiseShape("adam_step", half, ElementwiseOpKind.Copy, (long)(updated * 8)));

        return new StepBreakdown
        {
            ComputeSeconds = c.Seconds,
            TensorParallelSeconds = m * tpMicro,
            ContextParallelExposedSeconds = m * cpExposedMicro,
            ContextParallelOverlappedSeconds = m * cpHiddenMicro,
            ExpertParallelExposedSeconds = m * epExposed,
            ExpertParallelOverlappedSeconds = m * epHidden,
            PipelineP2pSeconds = m * ppExposed,
            DataParallelExposedSeconds = dpExposed,
            DataParallelOverlappedSeconds = dpHidden,
            BubbleSeconds = bubble,
            OptimizerSeconds = optimizer,
            MicroBatches = m,
            GlobalBatchSequences = gbs,
        };
    }

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
        double fwd = (layersForward + fHead) / pp / cal.KernelEfficiency;
        double bwd = (2 * (layersForward + fHead) + recompute * stageScale) / pp / cal.KernelEfficiency;
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
