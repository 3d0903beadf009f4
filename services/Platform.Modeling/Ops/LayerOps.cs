namespace Platform.Modeling.Ops;

/// <summary>How one layer is sharded on one accelerator, and the micro-batch it processes.</summary>
/// <param name="MicroBatch">Sequences per micro-batch.</param>
/// <param name="SequenceLength">Tokens per sequence.</param>
/// <param name="TensorParallel">Heads and FFN columns are split this many ways (Megatron TP).</param>
/// <param name="ExpertParallel">Routed experts are spread over this many ranks (expert TP is 1 when EP &gt; 1).</param>
/// <param name="GemmFormat">Format of the weight GEMMs (FP8 in DeepSeek-V3; attention core and norms stay BF16).</param>
/// <param name="MaterializedAttention">No fused (flash) attention kernel: the score matrix is written to HBM,
/// soft-maxed and read back, and both attention GEMMs run unmasked (Megatron-LM before 2022).</param>
public sealed record LayerSharding(long MicroBatch, long SequenceLength, int TensorParallel = 1, int ExpertParallel = 1,
    OpFormat GemmFormat = OpFormat.Bf16, bool MaterializedAttention = false)
{
    public long Tokens => MicroBatch * SequenceLength;
}

/// <summary>
/// The forward-pass operations of one transformer layer (dense or MoE), of the logits, and of an MTP
/// module, at the shapes one accelerator runs under a sharding. Shared by training (per micro-batch) and
/// inference (per batch) cost models; the FLOPs they carry agree with <see cref="Flops.FlopCounter"/>.
/// </summary>
public static class LayerOps
{
    /// <summary>Forward ops of layer <paramref name="moe"/> (MoE FFN when true, dense FFN otherwise).</summary>
    public static List<OpShape> Layer(ModelArchitecture a, bool moe, LayerSharding s)
    {
        var ops = new List<OpShape>(16);
        Attention(a, s, ops);
        if (moe && a.Moe is { RoutedExperts: > 0 }) MoeFfn(a, s, ops);
        else DenseFfn(a, s, ops);
        return ops;
    }

    /// <summary>Output head (logits) of one micro-batch, vocabulary split over TP.</summary>
    public static List<OpShape> Logits(ModelArchitecture a, LayerSharding s) =>
    [
        new ElementwiseShape("final_norm", OpFormat.Bf16, ElementwiseOpKind.RmsNorm, s.Tokens * a.HiddenSize),
        new GemmShape("logits", OpFormat.Bf16, s.Tokens, Div(a.VocabSize, s.TensorParallel), a.HiddenSize),
        // FP32 softmax/cross-entropy posed as twice the 16-bit elements (same bytes), so every device can time it.
        new ElementwiseShape("logits_softmax", OpFormat.Bf16, ElementwiseOpKind.Softmax, 2 * s.Tokens * Div(a.VocabSize, s.TensorParallel)),
    ];

    /// <summary>One multi-token-prediction module: eh_proj (2h → h), a block like the last layer, the shared head.</summary>
    public static List<OpShape> Mtp(ModelArchitecture a, LayerSharding s)
    {
        var ops = new List<OpShape> { new GemmShape("mtp_eh_proj", s.GemmFormat, s.Tokens, Div(a.HiddenSize, s.TensorParallel), 2 * a.HiddenSize) };
        ops.AddRange(Layer(a, a.IsMoe, s));
        ops.AddRange(Logits(a, s));
        return ops;
    }

    private static void Attention(ModelArchitecture a, LayerSharding s, List<OpShape> ops)
    {
        long t = s.Tokens, h = a.HiddenSize, tp = s.TensorParallel;
        long heads = Div(a.NumAttentionHeads, tp);
        var f = s.GemmFormat;
        ops.Add(new ElementwiseShape("input_norm", OpFormat.Bf16, ElementwiseOpKind.RmsNorm, t * h));
        if (a.Mla is { } mla)
        {
            long qk = mla.QkNopeHeadDim + mla.QkRopeHeadDim;
            if (mla.QLoraRank > 0)
            {
                ops.Add(new GemmShape("q_a_proj", f, t, mla.QLoraRank, h));
                ops.Add(new GemmShape("q_b_proj", f, t, heads * qk, mla.QLoraRank));
            }
            else ops.Add(new GemmShape("q_proj", f, t, heads * qk, h));
            ops.Add(new GemmShape("kv_a_proj", f, t, mla.KvLoraRank + mla.QkRopeHeadDim, h));
            ops.Add(new GemmShape("kv_b_proj", f, t, heads * (mla.QkNopeHeadDim + mla.VHeadDim), mla.KvLoraRank));
            ops.Add(new AttentionShape("attention", OpFormat.Bf16, s.MicroBatch, s.SequenceLength, s.SequenceLength,
                heads, heads, qk, mla.VHeadDim, Causal: true));
            ops.Add(new GemmShape("o_proj", f, t, h, heads * mla.VHeadDim));
            return;
        }
        long d = a.EffectiveHeadDim;
        long kv = Math.Max(1, a.KvHeads / tp); // KV heads replicate when TP exceeds them
        ops.Add(new GemmShape("qkv_proj", f, t, (heads + 2 * kv) * d, h));
        ops.Add(new ElementwiseShape("rope", OpFormat.Bf16, ElementwiseOpKind.Rope, t * (heads + kv) * d));
        long kvLen = a.SlidingWindow > 0 ? Math.Min(a.SlidingWindow, s.SequenceLength) : s.SequenceLength;
        if (s.MaterializedAttention)
        {
            long scores = s.MicroBatch * heads * s.SequenceLength * kvLen;
            ops.Add(new GemmShape("attention_scores", OpFormat.Bf16, s.SequenceLength, kvLen, d, s.MicroBatch * heads));
            ops.Add(new ElementwiseShape("attention_softmax", OpFormat.Bf16, ElementwiseOpKind.Softmax, scores));
            ops.Add(new GemmShape("attention_context", OpFormat.Bf16, s.SequenceLength, d, kvLen, s.MicroBatch * heads));
        }
        else
            ops.Add(new AttentionShape("attention", OpFormat.Bf16, s.MicroBatch, s.SequenceLength, kvLen, heads, kv, d, d, Causal: kvLen == s.SequenceLength));
        ops.Add(new GemmShape("o_proj", f, t, h, heads * d));
    }

    private static void DenseFfn(ModelArchitecture a, LayerSharding s, List<OpShape> ops)
    {
        long t = s.Tokens, h = a.HiddenSize, inter = Div(a.IntermediateSize, s.TensorParallel);
        ops.Add(new ElementwiseShape("post_attention_norm", OpFormat.Bf16, ElementwiseOpKind.RmsNorm, t * h));
        if (a.GatedMlp)
        {
            ops.Add(new GemmShape("gate_up_proj", s.GemmFormat, t, 2 * inter, h));
            ops.Add(new ElementwiseShape("swiglu", OpFormat.Bf16, ElementwiseOpKind.SwiGlu, 2 * t * inter));
        }
        else
        {
            ops.Add(new GemmShape("up_proj", s.GemmFormat, t, inter, h));
            ops.Add(new ElementwiseShape("gelu", OpFormat.Bf16, ElementwiseOpKind.Gelu, t * inter));
        }
        ops.Add(new GemmShape("down_proj", s.GemmFormat, t, h, inter));
    }

    private static void MoeFfn(ModelArchitecture a, LayerSharding s, List<OpShape> ops)
    {
        var m = a.Moe!;
        long t = s.Tokens, h = a.HiddenSize, width = m.ExpertIntermediateSize;
        int tp = s.TensorParallel, ep = s.ExpertParallel;
        ops.Add(new ElementwiseShape("post_attention_norm", OpFormat.Bf16, ElementwiseOpKind.RmsNorm, t * h));
        ops.Add(new GemmShape("router", OpFormat.Bf16, t, m.RoutedExperts, h));
        ops.Add(new ElementwiseShape("moe_gating", OpFormat.Bf16, ElementwiseOpKind.MoeGating, 2 * t * m.RoutedExperts));

        // With EP the experts are whole (expert TP = 1) and tokens arrive from the EP group; without EP the
        // experts are column-split over TP like a dense FFN. Balanced routing is assumed.
        long groups = ep > 1 ? Div(m.RoutedExperts, ep) : m.RoutedExperts;
        long tokensIn = ep > 1 ? Div(t, tp) * ep : t;
        long rowsPerExpert = Math.Max(1, (long)Math.Ceiling((double)tokensIn * m.ExpertsPerToken / m.RoutedExperts));
        long expertWidth = ep > 1 ? width : Div(width, tp);
        ops.Add(new GroupedGemmShape("experts_gate_up", s.GemmFormat, groups, rowsPerExpert, 2 * expertWidth, h));
        ops.Add(new ElementwiseShape("experts_swiglu", OpFormat.Bf16, ElementwiseOpKind.SwiGlu, 2 * groups * rowsPerExpert * expertWidth));
        ops.Add(new GroupedGemmShape("experts_down", s.GemmFormat, groups, rowsPerExpert, h, expertWidth));

        if (m.SharedExperts > 0)
        {
            long sharedWidth = Div(m.SharedExperts * width, tp);
            ops.Add(new GemmShape("shared_gate_up", s.GemmFormat, t, 2 * sharedWidth, h));
            ops.Add(new ElementwiseShape("shared_swiglu", OpFormat.Bf16, ElementwiseOpKind.SwiGlu, 2 * t * sharedWidth));
            ops.Add(new GemmShape("shared_down", s.GemmFormat, t, h, sharedWidth));
        }
    }

    private static long Div(long x, long parts) => Math.Max(1, (x + parts - 1) / parts);
}
