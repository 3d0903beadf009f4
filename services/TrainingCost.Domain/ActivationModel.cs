using Platform.Modeling;
using Platform.Modeling.Flops;

namespace TrainingCost.Domain;

/// <summary>Parts of a layer whose outputs selective recompute re-runs in the backward pass instead of storing
/// (Megatron-Core's <c>--recompute-modules</c>).</summary>
[Flags]
public enum RecomputeModules
{
    None = 0,
    /// <summary>Softmax, dropout and attention over V: the 5·a·s²·b term (Korthikanti et al. 2022's selective
    /// recompute; nothing to drop under a fused attention kernel, which recomputes them anyway).</summary>
    CoreAttention = 1,
    /// <summary>Layer norms: their outputs, the inputs of the next linear layer (DeepSeek-V3 report
    /// §3.2.3).</summary>
    Norms = 2,
    /// <summary>MLA's up-projections: per-head Q, K and V rebuilt from the stored latents (DeepSeek-V3
    /// §3.2.3).</summary>
    MlaUpProjection = 4,
    /// <summary>The MLP activation function (GELU / SwiGLU) output, the second linear's input (DeepSeek-V3 §3.3.3
    /// caches the SwiGLU input and recomputes its output).</summary>
    MlpActivation = 8,
}

/// <summary>What the stored activations depend on besides the model and the plan.</summary>
public sealed record ActivationOptions
{
    public static readonly ActivationOptions Default = new();

    /// <summary>Dropout in attention and after both blocks (GPT-3-era models; Korthikanti et al.'s figures): a
    /// 1-byte mask each.</summary>
    public bool Dropout { get; init; }
    /// <summary>Attention without a fused kernel: the score matrix is stored for the backward pass.</summary>
    public bool MaterializedAttention { get; init; }
    /// <summary>FP8 training: the inputs of the FP8 weight GEMMs are cached in FP8 (DeepSeek-V3 §3.3.3).</summary>
    public bool Fp8 { get; init; }
    /// <summary>Micro-batches per step on one pipeline: caps those in flight; 0 = no cap.</summary>
    public int MicroBatches { get; init; }

    /// <summary>The options a run implies for one of its plans.</summary>
    public static ActivationOptions Of(TrainingRunSpec spec, ParallelPlan plan)
    {
        long perStep = (long)Math.Max(1, plan.DataParallel) * plan.MicroBatch;
        long m = spec.GlobalBatchSequences(Math.Max(1, plan.DataParallel), plan.MicroBatch) / perStep;
        return new ActivationOptions
        {
            Dropout = spec.Dropout,
            MaterializedAttention = spec.MaterializedAttention,
            Fp8 = spec.Precision == TrainingPrecision.Fp8,
            MicroBatches = (int)Math.Clamp(m, 1, int.MaxValue),
        };
    }
}

/// <summary>
/// Stored activations per layer and micro-batch, after Korthikanti et al. 2022 ("Reducing Activation
/// Recomputation in Large Transformer Models", §4 and Table 2). Per layer, 16-bit, with dropout and without a
/// fused attention kernel: attention 11·sbh + 5·a·s²·b (QKV input 2, Q and K 4, V 2, output-projection input 2,
/// dropout mask 1; softmax output 2·as²b, its dropout mask as²b and output 2·as²b), MLP 19·sbh (input 2, GELU
/// input 8, GELU output 8, dropout mask 1), two layer-norm inputs 4·sbh: sbh(34 + 5as/h). Generalised by
/// tensor: GQA/MQA K and V at the KV heads' width, MLA's latents and per-head Q/K/V, gated MLPs (two fc1
/// outputs), MoE (each token's k dispatched copies, k routed + shared expert widths, router probabilities in
/// FP32), FP8 caching of GEMM inputs; no dropout masks without dropout; no s² term with a fused kernel.
/// Tensor parallelism divides the tensors inside the blocks by t; sequence parallelism also the norm inputs,
/// the block inputs and the masks (Table 2: sbh(10 + 24/t + 5as/(ht)) without, sbh(34/t + 5as/(ht)) with).
/// Selective recompute drops what its modules recompute; full recompute keeps the layer input (2·sbh, ÷ t
/// under sequence parallelism).
/// </summary>
public static class ActivationModel
{
    /// <summary>Stored bytes of one layer for one micro-batch on one rank. <paramref name="seq"/> is the tokens
    /// of a sequence on this rank (÷ CP), <paramref name="keys"/> the whole sequence (the score matrix's width;
    /// 0 = <paramref name="seq"/>).</summary>
    public static double BytesPerLayer(ModelArchitecture a, ParallelPlan plan, long seq, ActivationOptions o,
        bool moeLayer, long keys = 0)
    {
        var (split, replicated) = PerToken(a, plan, o, moeLayer, keys > 0 ? keys : seq);
        double tokens = (double)seq * plan.MicroBatch;
        int t = Math.Max(1, plan.TensorParallel);
        double stored = tokens * (plan.SequenceParallel || t == 1 ? (split + replicated) / t : split / t + replicated);
        if (plan.Recompute != RecomputeKind.Full) return stored;
        // Full recompute keeps each recomputed layer's input.
        double input = tokens * 2.0 * a.HiddenSize / (plan.SequenceParallel ? t : 1);
        double share = plan.FullRecomputeFraction(a);
        return share * input + (1 - share) * stored;
    }

    /// <summary>The busiest layer kind's bytes (dense or MoE layer, whichever stores more).</summary>
    public static double MaxBytesPerLayer(ModelArchitecture a, ParallelPlan plan, long seq, ActivationOptions o,
        long keys = 0)
    {
        double dense = a.DenseLayerCount > 0 || !a.IsMoe ? BytesPerLayer(a, plan, seq, o, false, keys) : 0;
        double moe = a.IsMoe ? BytesPerLayer(a, plan, seq, o, true, keys) : 0;
        return Math.Max(dense, moe);
    }

    /// <summary>Bytes per token of one layer: (split over TP ranks, replicated on each TP rank without sequence
    /// parallelism).</summary>
    private static (double Split, double Replicated) PerToken(ModelArchitecture a, ParallelPlan plan,
        ActivationOptions o, bool moeLayer, long keys)
    {
        var modules = plan.Recompute == RecomputeKind.Selective ? plan.RecomputeModules : RecomputeModules.None;
        bool normsRecomputed = modules.HasFlag(RecomputeModules.Norms);
        double h = a.HiddenSize, heads = a.NumAttentionHeads;
        double linIn = o.Fp8 ? 1 : 2;     // a weight GEMM's cached input
        double mask = o.Dropout ? 1 : 0;  // one byte per element
        int norms = a.ParallelBlock ? 1 : 2;

        // Replicated without sequence parallelism: norm inputs, block inputs (= norm outputs) and the two masks.
        double replicated = norms * 2 * h + (normsRecomputed ? 0 : norms * linIn * h) + 2 * mask * h;

        // Attention.
        double attention;
        if (a.Mla is { } m)
        {
            double qLatent = m.QLoraRank, kvLatent = m.KvLoraRank + m.QkRopeHeadDim;
            // q_a / kv_a outputs (the latent norms' inputs), the normed latents (the up-projections' inputs).
            attention = 2 * (qLatent + kvLatent) + (normsRecomputed ? 0 : linIn * (qLatent + m.KvLoraRank));
            if (!modules.HasFlag(RecomputeModules.MlaUpProjection))
                attention += 2 * heads * (2 * (m.QkNopeHeadDim + m.QkRopeHeadDim) + m.VHeadDim);
        }
        else
        {
            double d = a.EffectiveHeadDim;
            attention = 2 * heads * d + 2 * 2 * a.KvHeads * d;
        }
        // The output projection's input: DeepSeek-V3 keeps it in E5M6 (1.5 B) under FP8 (§3.3.3).
        attention += heads * a.VHeadDim * (o.Fp8 ? 1.5 : 2);
        if (o.MaterializedAttention && !modules.HasFlag(RecomputeModules.CoreAttention))
            attention += heads * keys * (2 + 3 * mask); // softmax output, dropout mask and dropout output

        // MLP: fc1 outputs (the activation's input; FP8 under FP8 training, DeepSeek-V3 §3.3.3), the activation's
        // output (the second GEMM's input) unless recomputed.
        bool actRecomputed = modules.HasFlag(RecomputeModules.MlpActivation);
        double fc1Width = a.GatedMlp || a.IsMoe ? 2 : 1;
        double actIn = o.Fp8 ? 1 : 2;
        double Ffn(double width) => width * (fc1Width * actIn + (actRecomputed ? 0 : linIn));
        double mlp;
        if (moeLayer && a.Moe is { } moe)
        {
            double k = moe.ExpertsPerToken;
            mlp = k * h * linIn                       // dispatched copies, the experts' input
                + Ffn((k + moe.SharedExperts) * moe.ExpertIntermediateSize)
                + 4.0 * moe.RoutedExperts;            // router probabilities, FP32
        }
        else mlp = Ffn(a.IntermediateSize);
        return (attention + mlp, replicated);
    }

    /// <summary>
    /// Layer × micro-batch activations the first pipeline stage holds at its peak. 1F1B: p micro-batches of its
    /// L/p layers (Korthikanti §4.2.3), fewer when a step has fewer micro-batches; interleaved with v chunks:
    /// Megatron's warm-up of 2(p−1) + (v−1)p chunk passes plus the one running, p·v + p − 1 chunks of L/(pv)
    /// layers = L(1 + (p−1)/(pv)) (Korthikanti's factor), at most all m·v; DualPipe: p + 1 (DeepSeek-V3 report,
    /// Table 2).
    /// </summary>
    public static double LayerMicroBatchesInFlight(ModelArchitecture a, ParallelPlan plan, int microBatches)
    {
        int pp = Math.Max(1, plan.PipelineParallel);
        double layers = ParallelPlan.StageLayers(a, pp);
        long m = microBatches > 0 ? microBatches : long.MaxValue / 4;
        if (pp == 1) return layers;
        int v = Math.Max(1, plan.VirtualStages);
        return plan.Schedule switch
        {
            PipelineSchedule.DualPipe => layers * Math.Min(pp + 1, m),
            PipelineSchedule.Interleaved => layers / v * Math.Min(m * v, (long)pp * v + pp - 1),
            _ => layers * Math.Min(pp, m),
        };
    }

    /// <summary>
    /// Stored activations of the busiest rank, bytes: the first stage's in-flight layers, or the last stage's one
    /// micro-batch plus the output layer (Korthikanti: 4·sbh/t for the final norm and projection input + 4·sbv/t
    /// for the FP32 logits of the loss), whichever is larger; under full recompute one layer's complete
    /// activations while it is recomputed.
    /// </summary>
    public static double Bytes(ModelArchitecture a, ParallelPlan plan, long seq, ActivationOptions o)
    {
        int cp = Math.Max(1, plan.ContextParallel);
        long local = seq / cp;
        double perLayer = MaxBytesPerLayer(a, plan, local, o, seq);
        double first = perLayer * LayerMicroBatchesInFlight(a, plan, o.MicroBatches);
        if (plan.Recompute == RecomputeKind.Full)
            first += MaxBytesPerLayer(a, plan with { Recompute = RecomputeKind.None }, local, o, seq);
        double output = 4.0 * local * plan.MicroBatch * (a.HiddenSize + a.VocabSize) / plan.TensorParallel;
        if (plan.PipelineParallel == 1) return first + output;
        double last = perLayer * ParallelPlan.StageLayers(a, plan.PipelineParallel) + output;
        return Math.Max(first, last);
    }
}
