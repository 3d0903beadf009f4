namespace Platform.Modeling;

/// <summary>Parameter counts of a model; <see cref="Total"/> and <see cref="Active"/> exclude MTP modules.</summary>
public sealed record ParameterBreakdown(
    long Total, long Active, long Embedding, long Mtp,
    long AttentionPerLayer, long DenseMlpPerLayer, long ExpertParams, long RoutedExpertsTotal, long Norms);

/// <summary>Counts parameters layer by layer, the way the Hugging Face modules hold them.</summary>
public static class ParameterCounter
{
    public static ParameterBreakdown Count(ModelArchitecture a)
    {
        long h = a.HiddenSize;
        long attention = AttentionParams(a);
        long denseMlp = (a.GatedMlp ? 3 : 2) * h * a.IntermediateSize;
        long expert = a.Moe is { } m ? 3 * h * m.ExpertIntermediateSize : 0;
        long router = a.Moe is { } m2 ? m2.RoutedExperts * h : 0;
        long layerNorms = 2 * h;

        long total = 0, active = 0, routedTotal = 0;
        for (long i = 0; i < a.NumLayers; i++)
        {
            long common = attention + layerNorms;
            if (a.IsMoeLayer(i))
            {
                var moe = a.Moe!;
                long routedAll = moe.RoutedExperts * expert;
                long shared = moe.SharedExperts * expert;
                total += common + routedAll + shared + router;
                active += common + moe.ExpertsPerToken * expert + shared + router;
                routedTotal += routedAll;
            }
            else
            {
                total += common + denseMlp;
                active += common + denseMlp;
            }
        }

        long embedding = a.VocabSize * h * (a.TieWordEmbeddings ? 1 : 2);
        long finalNorm = h;
        total += embedding + finalNorm;
        active += embedding + finalNorm;

        // DeepSeek-V3 MTP module: one transformer block (MoE like the last layer) + eh_proj (2h→h) + two norms;
        // embedding and output head are shared with the main model.
        long mtp = 0;
        if (a.NumNextnPredictLayers > 0)
        {
            bool moeBlock = a.IsMoe;
            long block = attention + layerNorms + (moeBlock
                ? a.Moe!.RoutedExperts * expert + a.Moe.SharedExperts * expert + router
                : denseMlp);
            mtp = a.NumNextnPredictLayers * (block + 2 * h * h + 2 * h + h);
        }

        return new ParameterBreakdown(total, active, embedding, mtp, attention, denseMlp, expert, routedTotal,
            a.NumLayers * layerNorms + finalNorm);
    }

    /// <summary>Attention projection weights of one layer (MLA or MHA/GQA), including MLA's internal norms and Qwen2's
    /// q/k/v biases.</summary>
    public static long AttentionParams(ModelArchitecture a)
    {
        long h = a.HiddenSize, heads = a.NumAttentionHeads;
        if (a.Mla is { } mla)
        {
            long qk = mla.QkNopeHeadDim + mla.QkRopeHeadDim;
            long q = mla.QLoraRank > 0
                ? h * mla.QLoraRank + mla.QLoraRank + mla.QLoraRank * heads * qk
                : h * heads * qk;
            long kvA = h * (mla.KvLoraRank + mla.QkRopeHeadDim) + mla.KvLoraRank;
            long kvB = mla.KvLoraRank * heads * (mla.QkNopeHeadDim + mla.VHeadDim);
            long o = heads * mla.VHeadDim * h;
            return q + kvA + kvB + o;
        }
        long d = a.EffectiveHeadDim, kv = a.KvHeads;
        long weights = h * heads * d + 2 * h * kv * d + heads * d * h;
        long bias = a.AttentionBias ? heads * d + 2 * kv * d : 0;
        return weights + bias;
    }
}
