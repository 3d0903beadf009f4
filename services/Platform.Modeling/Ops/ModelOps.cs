namespace Platform.Modeling.Ops;

/// <summary>
/// The one decomposition of a model into the ops one accelerator runs: model + layout + pass → groups of ops
/// (embedding, each layer kind, MTP modules, pipeline hops, output head). Training step times, the serving
/// simulator's step-time profiles and the emulator's ProfileModel all call it; the FLOPs the ops carry agree with
/// <see cref="Flops.FlopCounter"/>. Assumptions are listed in docs/ARCHITECTURE.md.
/// </summary>
public static class ModelOps
{
    private const int ActivationBytes = 2; // activations cross links in BF16

    public static IReadOnlyList<OpGroup> Decompose(ModelArchitecture a, OpLayout layout, PassShape pass)
    {
        var groups = new List<OpGroup>(6)
        {
            new(OpGroupKind.Embedding, 1,
                [new ElementwiseShape("embedding", DataType.Bf16, ElementwiseOpKind.Copy, pass.Tokens * a.HiddenSize)]),
        };
        if (a.DenseLayerCount > 0)
            groups.Add(new(OpGroupKind.DenseLayer, a.DenseLayerCount, Layer(a, false, layout, pass)));
        if (a.MoeLayerCount > 0) groups.Add(new(OpGroupKind.MoeLayer, a.MoeLayerCount, Layer(a, true, layout, pass)));
        if (pass.Phase == Phase.Training && a.NumNextnPredictLayers > 0)
            groups.Add(new(OpGroupKind.Mtp, a.NumNextnPredictLayers, Mtp(a, layout, pass)));
        if (layout.PipelineParallel > 1)
        {
            bool sameNode = (long)layout.TensorParallel * layout.PipelineParallel <= Math.Max(1, layout.ScaleUpDomain);
            groups.Add(new(OpGroupKind.PipelineHop, layout.PipelineParallel - 1,
                [new CollectiveShape("stage_send_recv", DataType.Bf16, CollectiveOpKind.SendRecv,
                    pass.Tokens * a.HiddenSize * ActivationBytes, 2, sameNode ? 2 : 1)]));
        }
        groups.Add(new(OpGroupKind.Head, 1, Head(a, layout, pass)));
        return groups;
    }

    /// <summary>The ops of the first group of <paramref name="kind"/>, or none.</summary>
    public static IReadOnlyList<OpShape> OpsOf(this IReadOnlyList<OpGroup> groups, OpGroupKind kind) =>
        groups.FirstOrDefault(g => g.Kind == kind)?.Ops ?? [];

    /// <summary>One transformer layer: attention, then a dense or MoE FFN, with their TP all-reduces and EP
    /// all-to-alls.</summary>
    private static List<OpShape> Layer(ModelArchitecture a, bool moe, OpLayout l, PassShape p)
    {
        var ops = new List<OpShape>(24);
        Attention(a, l, p, ops);
        // A parallel block (attention and FFN summed) reduces once per layer instead of twice.
        if (l.TensorParallel > 1 && !a.ParallelBlock) ops.Add(AllReduce("attn_all_reduce", a, l, p));
        if (moe && a.Moe is { RoutedExperts: > 0 }) MoeFfn(a, l, p, ops);
        else DenseFfn(a, l, p, ops);
        if (l.TensorParallel > 1) ops.Add(AllReduce("ffn_all_reduce", a, l, p));
        return ops;
    }

    private static CollectiveShape AllReduce(string name, ModelArchitecture a, OpLayout l, PassShape p) =>
        new(name, DataType.Bf16, CollectiveOpKind.AllReduce, p.Tokens * a.HiddenSize * ActivationBytes,
            l.TensorParallel, Math.Min(l.TensorParallel, Math.Max(1, l.ScaleUpDomain)));

    /// <summary>Output head: final norm and logits, vocabulary split over TP. Training computes logits and the loss's
    /// softmax for every token; serving computes logits for the last position of each sequence only.</summary>
    private static List<OpShape> Head(ModelArchitecture a, OpLayout l, PassShape p)
    {
        long rows = p.Phase == Phase.Training ? p.Tokens : p.Sequences, vocab = Div(a.VocabSize, l.TensorParallel);
        var ops = new List<OpShape>
        {
            new ElementwiseShape("final_norm", DataType.Bf16, ElementwiseOpKind.RmsNorm, rows * a.HiddenSize)
                { Rows = rows },
            new GemmShape("logits", DataType.Bf16, rows, vocab, a.HiddenSize),
        };
        // FP32 softmax/cross-entropy posed as twice the 16-bit elements (same bytes), so every device can time it.
        if (p.Phase == Phase.Training)
            ops.Add(new ElementwiseShape("logits_softmax", DataType.Bf16, ElementwiseOpKind.Softmax, 2 * rows * vocab));
        return ops;
    }

    /// <summary>One multi-token-prediction module: eh_proj (2h → h), a block like the last layer, the shared
    /// head.</summary>
    private static List<OpShape> Mtp(ModelArchitecture a, OpLayout l, PassShape p)
    {
        var ops = new List<OpShape> { new GemmShape("mtp_eh_proj", l.GemmFormat, p.Tokens,
            Div(a.HiddenSize, l.TensorParallel), 2 * a.HiddenSize) };
        ops.AddRange(Layer(a, a.IsMoe, l, p));
        ops.AddRange(Head(a, l, p));
        return ops;
    }

    private static void Attention(ModelArchitecture a, OpLayout l, PassShape p, List<OpShape> ops)
    {
        long t = p.Tokens, h = a.HiddenSize, heads = Div(a.NumAttentionHeads, l.TensorParallel);
        var f = l.GemmFormat;
        ops.Add(new ElementwiseShape("input_norm", DataType.Bf16, ElementwiseOpKind.RmsNorm, t * h) { Rows = t });
        if (a.Mla is { } mla)
        {
            long qk = mla.QkNopeHeadDim + mla.QkRopeHeadDim;
            if (mla.QLoraRank > 0)
            {
                ops.Add(new GemmShape("q_a_proj", f, t, mla.QLoraRank, h));
                ops.Add(new ElementwiseShape("q_a_norm", DataType.Bf16, ElementwiseOpKind.RmsNorm, t * mla.QLoraRank)
                { Rows = t });
                ops.Add(new GemmShape("q_b_proj", f, t, heads * qk, mla.QLoraRank));
            }
            else ops.Add(new GemmShape("q_proj", f, t, heads * qk, h));
            ops.Add(new GemmShape("kv_a_proj", f, t, mla.KvLoraRank + mla.QkRopeHeadDim, h));
            ops.Add(new ElementwiseShape("kv_a_norm", DataType.Bf16, ElementwiseOpKind.RmsNorm, t * mla.KvLoraRank)
            { Rows = t });
            ops.Add(new ElementwiseShape("rope", DataType.Bf16, ElementwiseOpKind.Rope,
                t * (heads + 1) * mla.QkRopeHeadDim));
            if (p.Phase == Phase.Decode)
            {
                // Decode absorbs W_UK / W_UV and attends over the latent cache as MQA (FlashMLA: d = 576 / 512).
                ops.Add(new GemmShape("q_absorb", DataType.Bf16, t, mla.KvLoraRank, mla.QkNopeHeadDim, heads));
                ops.Add(new AttentionShape("attention", l.KvFormat, p.Sequences, 1, p.ContextLen, heads, 1,
                    mla.KvLoraRank + mla.QkRopeHeadDim, mla.KvLoraRank, Causal: false));
                ops.Add(new GemmShape("v_absorb", DataType.Bf16, t, mla.VHeadDim, mla.KvLoraRank, heads));
            }
            else
            {
                // Prefill and training expand the latent per head and run ordinary multi-head attention.
                ops.Add(new GemmShape("kv_b_proj", f, t, heads * (mla.QkNopeHeadDim + mla.VHeadDim), mla.KvLoraRank));
                ops.Add(new AttentionShape("attention", DataType.Bf16, p.Sequences, p.QueryLen, p.ContextLen, heads,
                    heads, qk, mla.VHeadDim, Causal: true));
            }
            ops.Add(new GemmShape("o_proj", f, t, h, heads * mla.VHeadDim));
            return;
        }
        long d = a.EffectiveHeadDim;
        long kv = Math.Max(1, a.KvHeads / l.TensorParallel); // KV heads replicate when TP exceeds them
        ops.Add(new GemmShape("qkv_proj", f, t, (heads + 2 * kv) * d, h));
        ops.Add(new ElementwiseShape("rope", DataType.Bf16, ElementwiseOpKind.Rope, t * (heads + kv) * d) { Rows = t });
        long kvLen = a.SlidingWindow > 0 ? Math.Min(a.SlidingWindow, p.ContextLen) : p.ContextLen;
        if (p.Phase == Phase.Decode)
            ops.Add(new AttentionShape("attention", l.KvFormat, p.Sequences, 1, kvLen, heads, kv, d, d, Causal: false));
        else if (l.MaterializedAttention)
        {
            long scores = p.Sequences * heads * p.QueryLen * kvLen;
            ops.Add(new GemmShape("attention_scores", DataType.Bf16, p.QueryLen, kvLen, d, p.Sequences * heads));
            ops.Add(new ElementwiseShape("attention_softmax", DataType.Bf16, ElementwiseOpKind.Softmax, scores));
            ops.Add(new GemmShape("attention_context", DataType.Bf16, p.QueryLen, d, kvLen, p.Sequences * heads));
        }
        else
            ops.Add(new AttentionShape("attention", DataType.Bf16, p.Sequences, p.QueryLen, kvLen, heads, kv, d, d,
                Causal: kvLen == p.ContextLen));
        ops.Add(new GemmShape("o_proj", f, t, h, heads * d));
    }

    private static void DenseFfn(ModelArchitecture a, OpLayout l, PassShape p, List<OpShape> ops)
    {
        long t = p.Tokens, h = a.HiddenSize, inter = Div(a.IntermediateSize, l.TensorParallel);
        if (!a.ParallelBlock)
        {
            ops.Add(new ElementwiseShape("post_attention_norm", DataType.Bf16, ElementwiseOpKind.RmsNorm, t * h)
            { Rows = t });
        }
        if (a.GatedMlp)
        {
            ops.Add(new GemmShape("gate_up_proj", l.GemmFormat, t, 2 * inter, h));
            ops.Add(new ElementwiseShape("swiglu", DataType.Bf16, ElementwiseOpKind.SwiGlu, 2 * t * inter)
            { Rows = t });
        }
        else
        {
            ops.Add(new GemmShape("up_proj", l.GemmFormat, t, inter, h));
            ops.Add(new ElementwiseShape("gelu", DataType.Bf16, ElementwiseOpKind.Gelu, t * inter) { Rows = t });
        }
        ops.Add(new GemmShape("down_proj", l.GemmFormat, t, h, inter));
    }

    private static void MoeFfn(ModelArchitecture a, OpLayout l, PassShape p, List<OpShape> ops)
    {
        var m = a.Moe!;
        long t = p.Tokens, h = a.HiddenSize, width = m.ExpertIntermediateSize;
        int tp = l.TensorParallel, ep = l.ExpertParallel;
        ops.Add(new ElementwiseShape("post_attention_norm", DataType.Bf16, ElementwiseOpKind.RmsNorm, t * h)
        { Rows = t });
        ops.Add(new GemmShape("router", DataType.Bf16, t, m.RoutedExperts, h));
        ops.Add(new ElementwiseShape("moe_gating", DataType.Bf16, ElementwiseOpKind.MoeGating,
            2 * t * m.RoutedExperts));

        // With EP the experts are whole (expert TP = 1) and every EP rank sends its ⌈T / TP⌉ tokens' routed copies
        // to the group (dispatch in the GEMM format, FP8 in DeepSeek; combine in BF16). Without EP the experts are
        // column-split over TP like a dense FFN.
        long copies = (ep > 1 ? Div(t, tp) : t) * m.ExpertsPerToken;
        var dispatchFormatBytes = l.GemmFormat is DataType.Fp8E4M3 or DataType.Fp8E5M2 or DataType.Int8 ? 1
            : ActivationBytes;
        int perNode = Math.Min(ep, Math.Max(1, l.ScaleUpDomain));
        if (ep > 1)
            ops.Add(new CollectiveShape("dispatch_all_to_all", DataType.Bf16, CollectiveOpKind.AllToAll,
                copies * h * dispatchFormatBytes, ep, perNode));
        var rows = ExpertRows(m, ep, copies * l.ExpertImbalance);
        long expertWidth = ep > 1 ? width : Div(width, tp);
        ops.Add(new GroupedGemmShape("experts_gate_up", l.GemmFormat, rows, 2 * expertWidth, h));
        ops.Add(new ElementwiseShape("experts_swiglu", DataType.Bf16, ElementwiseOpKind.SwiGlu,
            2 * rows.Total * expertWidth));
        ops.Add(new GroupedGemmShape("experts_down", l.GemmFormat, rows, h, expertWidth));
        if (ep > 1)
            ops.Add(new CollectiveShape("combine_all_to_all", DataType.Bf16, CollectiveOpKind.AllToAll,
                copies * h * ActivationBytes, ep, perNode));

        if (m.SharedExperts > 0)
        {
            long sharedWidth = Div(m.SharedExperts * width, tp);
            ops.Add(new GemmShape("shared_gate_up", l.GemmFormat, t, 2 * sharedWidth, h));
            ops.Add(new ElementwiseShape("shared_swiglu", DataType.Bf16, ElementwiseOpKind.SwiGlu,
                2 * t * sharedWidth));
            ops.Add(new GemmShape("shared_down", l.GemmFormat, t, h, sharedWidth));
        }
    }

    /// <summary>
    /// Rows per local expert on the busiest rank: <paramref name="assignments"/> routed token copies spread over the
    /// rank's G = ⌈E / EP⌉ experts. With few tokens only the expected number of distinct experts, G(1 − (1 −
    /// 1/G)^A), is touched; each touched expert gets ⌈A / touched⌉ rows.
    /// </summary>
    public static GroupRows ExpertRows(MoeConfig m, int ep, double assignments)
    {
        long g = Div(m.RoutedExperts, Math.Max(1, ep));
        if (assignments <= 0) return GroupRows.Uniform(0, 0);
        double touched = g * (1 - Math.Pow(1 - 1.0 / g, assignments));
        long n = (long)Math.Clamp(Math.Round(touched), 1, g);
        return GroupRows.Uniform(n, Math.Max(1, (long)Math.Ceiling(assignments / n)));
    }

    private static long Div(long x, long parts) => Math.Max(1, (x + parts - 1) / parts);
}
