using Platform.Modeling;
using Platform.Modeling.Flops;
using Platform.Modeling.Ops;

namespace TrainingCost.Domain;

/// <summary>
/// Step time of a plan from per-op device times: per-layer forward compute at the plan's micro-batch and TP/EP
/// shapes (backward = 2 × forward, 2.5× for a fused attention core, plus recompute), TP all-reduces, EP
/// all-to-alls, PP sends, DP gradient reduction overlapped with the last backward, the pipeline bubble of the
/// schedule and the optimizer step.
/// The timer is a function so the same code first records the op shapes a plan needs, then evaluates it.
/// </summary>
public static partial class StepModel
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
        // Llama 3's all-gather method moves the same bytes but gathers K and V before the attention starts (and
        // reduce-scatters their gradients after it), so all of it is exposed (paper §3.3.2).
        double cpExposedMicro = 0, cpHiddenMicro = 0;
        if (cp > 1)
        {
            long kvBytes = MemoryModel.ContextParallelKvBytes(a, plan, seq);
            int cpNode = Math.Clamp(node / tp, 1, cp);
            double gather = Collective(time, "cp_kv_all_gather", half, CollectiveOpKind.AllGather, kvBytes, cp, cpNode);
            double scatter = Collective(time, "cp_kv_grad_reduce_scatter", half, CollectiveOpKind.ReduceScatter,
                kvBytes, cp, cpNode);
            double attnFwd = layersPerStage * attnCore / cal.KernelEfficiency;
            double fwdComm = layersPerStage * gather, bwdComm = layersPerStage * (gather + scatter);
            cpExposedMicro = plan.ContextParallelMethod == ContextParallelMethod.AllGather
                ? fwdComm + bwdComm
                : Math.Max(0, fwdComm - attnFwd) + Math.Max(0, bwdComm - 2 * attnFwd);
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
}
