using Platform.Modeling.Errors;

namespace Platform.Modeling;

/// <summary>Checks an architecture is complete and self-consistent; errors name the field under
/// <c>prefix</c>.</summary>
public static class ArchitectureValidator
{
    public static ModelArchitecture Validate(ModelArchitecture a, string prefix = "model.architecture")
    {
        Positive(a.HiddenSize, $"{prefix}.hidden_size");
        Positive(a.NumLayers, $"{prefix}.num_hidden_layers");
        Positive(a.NumAttentionHeads, $"{prefix}.num_attention_heads");
        Positive(a.VocabSize, $"{prefix}.vocab_size");
        if (a.NumKeyValueHeads < 0)
            throw new InvalidFieldException($"{prefix}.num_key_value_heads", "must not be negative");
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

    private static void Positive(long v, string field)
    {
        if (v <= 0) throw new InvalidFieldException(field, $"must be positive (got {v})");
    }
}
