using Platform.Modeling.Errors;

namespace Platform.Modeling;

/// <summary>Checks an architecture is complete, self-consistent and within the ranges below; errors name the
/// field under <c>prefix</c>.</summary>
public static class ArchitectureValidator
{
    /// <summary>Largest hidden size, MLA rank and head dimension (2^20; today's models use under 2^15).</summary>
    public const long MaxWidth = 1 << 20;

    /// <summary>Largest intermediate (MLP) size and vocabulary (2^24).</summary>
    public const long MaxIntermediate = 1 << 24;

    /// <summary>Most layers, attention or key-value heads, routed or shared experts.</summary>
    public const long MaxCount = 65_536;

    /// <summary>Longest max_position_embeddings and sliding_window (2^30 tokens).</summary>
    public const long MaxPositions = 1 << 30;

    public static ModelArchitecture Validate(ModelArchitecture a, string prefix = "model.architecture")
    {
        Positive(a.HiddenSize, $"{prefix}.hidden_size", MaxWidth);
        Positive(a.NumLayers, $"{prefix}.num_hidden_layers", MaxCount);
        Positive(a.NumAttentionHeads, $"{prefix}.num_attention_heads", MaxCount);
        Positive(a.VocabSize, $"{prefix}.vocab_size", MaxIntermediate);
        if (a.NumKeyValueHeads < 0)
            throw new InvalidFieldException($"{prefix}.num_key_value_heads", "must not be negative");
        AtMost(a.NumKeyValueHeads, $"{prefix}.num_key_value_heads", MaxCount);
        if (a.HeadDim < 0) throw new InvalidFieldException($"{prefix}.head_dim", "must not be negative");
        AtMost(a.HeadDim, $"{prefix}.head_dim", MaxWidth);
        AtMost(a.IntermediateSize, $"{prefix}.intermediate_size", MaxIntermediate);
        AtMost(a.MaxPositionEmbeddings, $"{prefix}.max_position_embeddings", MaxPositions);
        AtMost(a.SlidingWindow, $"{prefix}.sliding_window", MaxPositions);
        AtMost(a.NumNextnPredictLayers, $"{prefix}.num_nextn_predict_layers", MaxCount);
        if (a.Moe is { } bounded)
        {
            AtMost(bounded.RoutedExperts, $"{prefix}.moe.n_routed_experts", MaxCount);
            AtMost(bounded.ExpertsPerToken, $"{prefix}.moe.num_experts_per_tok", MaxCount);
            AtMost(bounded.SharedExperts, $"{prefix}.moe.n_shared_experts", MaxCount);
            AtMost(bounded.ExpertIntermediateSize, $"{prefix}.moe.moe_intermediate_size", MaxIntermediate);
            AtMost(bounded.NumGroups, $"{prefix}.moe.n_group", MaxCount);
            AtMost(bounded.TopKGroups, $"{prefix}.moe.topk_group", MaxCount);
        }
        if (a.Mla is { } ranks)
        {
            AtMost(ranks.QLoraRank, $"{prefix}.mla.q_lora_rank", MaxWidth);
            AtMost(ranks.KvLoraRank, $"{prefix}.mla.kv_lora_rank", MaxWidth);
            AtMost(ranks.QkNopeHeadDim, $"{prefix}.mla.qk_nope_head_dim", MaxWidth);
            AtMost(ranks.QkRopeHeadDim, $"{prefix}.mla.qk_rope_head_dim", MaxWidth);
            AtMost(ranks.VHeadDim, $"{prefix}.mla.v_head_dim", MaxWidth);
        }
        if (a.KvHeads > a.NumAttentionHeads || a.NumAttentionHeads % a.KvHeads != 0)
            throw new InvalidFieldException($"{prefix}.num_key_value_heads",
                $"{a.KvHeads} must divide num_attention_heads ({a.NumAttentionHeads})");
        if (a.Mla is null && a.HeadDim == 0 && a.HiddenSize % a.NumAttentionHeads != 0)
            throw new InvalidFieldException($"{prefix}.head_dim",
                "hidden_size is not a multiple of num_attention_heads; give head_dim");
        bool allMoe = a.Moe is { RoutedExperts: > 0 } m0 && m0.FirstKDenseReplace == 0 && m0.LayerFrequency <= 1;
        if (!allMoe) Positive(a.IntermediateSize, $"{prefix}.intermediate_size");
        if (a.Moe is { RoutedExperts: > 0 } moe)
        {
            Positive(moe.ExpertsPerToken, $"{prefix}.moe.num_experts_per_tok");
            Positive(moe.ExpertIntermediateSize, $"{prefix}.moe.moe_intermediate_size");
            if (moe.ExpertsPerToken > moe.RoutedExperts)
                throw new InvalidFieldException($"{prefix}.moe.num_experts_per_tok",
                    $"{moe.ExpertsPerToken} exceeds n_routed_experts ({moe.RoutedExperts})");
            if (moe.FirstKDenseReplace < 0 || moe.FirstKDenseReplace > a.NumLayers)
                throw new InvalidFieldException($"{prefix}.moe.first_k_dense_replace",
                    "must be within [0, num_hidden_layers]");
        }
        if (a.Mla is { } mla)
        {
            Positive(mla.KvLoraRank, $"{prefix}.mla.kv_lora_rank");
            Positive(mla.QkNopeHeadDim, $"{prefix}.mla.qk_nope_head_dim");
            Positive(mla.QkRopeHeadDim, $"{prefix}.mla.qk_rope_head_dim");
            Positive(mla.VHeadDim, $"{prefix}.mla.v_head_dim");
            if (mla.QLoraRank < 0) throw new InvalidFieldException($"{prefix}.mla.q_lora_rank", "must not be negative");
        }
        if (a.SlidingWindow < 0) throw new InvalidFieldException($"{prefix}.sliding_window", "must not be negative");
        if (a.NumNextnPredictLayers < 0)
            throw new InvalidFieldException($"{prefix}.num_nextn_predict_layers", "must not be negative");
        return a;
    }

    private static void Positive(long v, string field, long max = long.MaxValue)
    {
        if (v <= 0) throw new InvalidFieldException(field, $"must be positive (got {v})");
        AtMost(v, field, max);
    }

    private static void AtMost(long v, string field, long max)
    {
        if (v > max) throw new InvalidFieldException(field, $"must be at most {max:N0} (got {v:N0})");
    }
}
