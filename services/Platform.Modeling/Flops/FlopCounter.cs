namespace Platform.Modeling.Flops;

/// <summary>How activations are recomputed in the backward pass (Korthikanti et al. 2022).</summary>
public enum RecomputeKind
{
    /// <summary>Everything the backward pass needs is stored.</summary>
    None,
    /// <summary>Only the attention core (scores, softmax, context) is recomputed.</summary>
    Selective,
    /// <summary>Each layer's forward pass is re-run from its stored input.</summary>
    Full,
}

/// <summary>
/// Forward FLOPs per token of each part of the model (2 FLOPs per multiply-add). Training costs three
/// times this (forward, data-gradient, weight-gradient GEMMs), as Megatron-LM counts it.
/// </summary>
public sealed record FlopComponents(
    double AttentionProjections,
    double AttentionCore,
    double DenseMlp,
    double RoutedExperts,
    double SharedExperts,
    double Router,
    double Mtp,
    double Logits)
{
    /// <summary>The main model (MTP excluded): DeepSeek's 250 GFLOP/token convention (ISCA'25 Table 2).</summary>
    public double Total =>
        AttentionProjections + AttentionCore + DenseMlp + RoutedExperts + SharedExperts + Router + Logits;

    /// <summary>Everything computed per token, MTP modules included.</summary>
    public double TotalWithMtp => Total + Mtp;

    public FlopComponents Scale(double f) => new(AttentionProjections * f, AttentionCore * f, DenseMlp * f,
        RoutedExperts * f, SharedExperts * f, Router * f, Mtp * f, Logits * f);

    /// <summary>Name → FLOPs, in a stable order, for reports.</summary>
    public IReadOnlyList<(string Name, double Flops)> Named() =>
    [
        ("attention_projections", AttentionProjections),
        ("attention_core", AttentionCore),
        ("dense_mlp", DenseMlp),
        ("routed_experts", RoutedExperts),
        ("shared_experts", SharedExperts),
        ("router", Router),
        ("mtp", Mtp),
        ("logits", Logits),
    ];
}

/// <summary>
/// Training FLOPs per token: model FLOPs (the main model, as MFU is reported) and hardware FLOPs (what the
/// accelerators execute: plus MTP modules and recomputed forward work).
/// </summary>
public sealed record TrainingFlops(FlopComponents PerToken, double ModelFlopsPerToken, double HardwareFlopsPerToken);

/// <summary>
/// Per-token FLOP counting in the style of Megatron-LM's <c>num_floating_point_operations</c>: every weight
/// GEMM of a layer at its real shape (GQA kv heads, MLA low-rank projections, top-k routed plus shared
/// experts, dense first layers), the attention score and context GEMMs with a causal or non-causal
/// convention, multi-token-prediction modules and the logits. DeepSeek-V3 at 4096 tokens gives ≈ 250
/// GFLOP/token causal and ≈ 280 non-causal (ISCA'25 "Insights into DeepSeek-V3", Table 2).
/// </summary>
public static class FlopCounter
{
    /// <summary>Forward FLOPs per token, by component.</summary>
    public static FlopComponents Forward(ModelArchitecture a, long sequenceLength, bool causal = true)
    {
        if (sequenceLength <= 0) throw new ArgumentOutOfRangeException(nameof(sequenceLength));
        double h = a.HiddenSize;
        double attnProj = 2.0 * AttentionWeightMacs(a);
        double attnCore = AttentionCorePerLayer(a, sequenceLength, causal);
        double denseMlp = 2.0 * (a.GatedMlp ? 3 : 2) * h * a.IntermediateSize;

        double routed = 0, shared = 0, router = 0;
        if (a.Moe is { RoutedExperts: > 0 } m)
        {
            double expert = 2.0 * 3 * h * m.ExpertIntermediateSize; // experts are SwiGLU in every MoE family handled
            routed = m.ExpertsPerToken * expert;
            shared = m.SharedExperts * expert;
            router = 2.0 * h * m.RoutedExperts;
        }

        long moeLayers = a.MoeLayerCount, denseLayers = a.DenseLayerCount;
        double logits = 2.0 * h * a.VocabSize;

        // DeepSeek-V3 MTP module: eh_proj (2h → h), one transformer block like the last layer, the shared head.
        double mtp = 0;
        if (a.NumNextnPredictLayers > 0)
        {
            double block = attnProj + attnCore + (a.IsMoe ? routed + shared + router : denseMlp);
            mtp = a.NumNextnPredictLayers * (2.0 * 2 * h * h + block + logits);
        }

        return new FlopComponents(
            AttentionProjections: attnProj * a.NumLayers,
            AttentionCore: attnCore * a.NumLayers,
            DenseMlp: denseMlp * denseLayers,
            RoutedExperts: routed * moeLayers,
            SharedExperts: shared * moeLayers,
            Router: router * moeLayers,
            Mtp: mtp,
            Logits: logits);
    }

    /// <summary>Training FLOPs per token: model = 3 × forward; hardware adds the recomputed forward work.</summary>
    public static TrainingFlops Training(ModelArchitecture a, long sequenceLength, bool causal = true,
        RecomputeKind recompute = RecomputeKind.None)
    {
        var fwd = Forward(a, sequenceLength, causal);
        double model = 3 * fwd.Total;
        double extra = recompute switch
        {
            // Full recompute re-runs every layer's forward (not the logits): 8N vs 6N per token.
            RecomputeKind.Full => fwd.TotalWithMtp - fwd.Logits,
            RecomputeKind.Selective => fwd.AttentionCore,
            _ => 0,
        };
        return new TrainingFlops(fwd.Scale(3), model, 3 * fwd.TotalWithMtp + extra);
    }

    /// <summary>Multiply-adds per token of one layer's attention projections (q, k, v, o; MLA down/up
    /// projections).</summary>
    public static double AttentionWeightMacs(ModelArchitecture a)
    {
        double h = a.HiddenSize, heads = a.NumAttentionHeads;
        if (a.Mla is { } mla)
        {
            double qk = mla.QkNopeHeadDim + mla.QkRopeHeadDim;
            double q = mla.QLoraRank > 0 ? h * mla.QLoraRank + mla.QLoraRank * heads * qk : h * heads * qk;
            double kvA = h * (mla.KvLoraRank + mla.QkRopeHeadDim);
            double kvB = mla.KvLoraRank * heads * (mla.QkNopeHeadDim + mla.VHeadDim);
            double o = heads * mla.VHeadDim * h;
            return q + kvA + kvB + o;
        }
        double d = a.EffectiveHeadDim;
        return h * heads * d + 2 * h * a.KvHeads * d + heads * d * h;
    }

    /// <summary>Forward FLOPs per token of one layer's score (QKᵀ) and context (AV) GEMMs.</summary>
    public static double AttentionCorePerLayer(ModelArchitecture a, long sequenceLength, bool causal)
    {
        double keys = AverageKeysPerQuery(sequenceLength, a.SlidingWindow, causal);
        return 2.0 * a.NumAttentionHeads * (a.QkHeadDim + a.VHeadDim) * keys;
    }

    /// <summary>
    /// Keys each query attends to, averaged over the sequence. Causal uses Megatron-LM's s/2 convention
    /// (the one DeepSeek's 250 GFLOP/token uses); a sliding window w caps it (causal: w − w²/(2s) for w &lt; s).
    /// </summary>
    public static double AverageKeysPerQuery(long s, long window, bool causal)
    {
        if (!causal) return window > 0 ? Math.Min(s, window) : s;
        if (window <= 0 || window >= s) return s / 2.0;
        return window - (double)window * window / (2.0 * s);
    }
}
