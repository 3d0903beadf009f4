namespace Platform.Modeling;

/// <summary>Mixture-of-experts settings (DeepSeek naming; Mixtral's num_local_experts maps to
/// <see cref="RoutedExperts"/>).</summary>
public sealed record MoeConfig
{
    public long RoutedExperts { get; init; }
    public long ExpertsPerToken { get; init; }
    public long SharedExperts { get; init; }
    /// <summary>Width of one expert's FFN.</summary>
    public long ExpertIntermediateSize { get; init; }
    /// <summary>The first k layers keep a dense FFN.</summary>
    public long FirstKDenseReplace { get; init; }
    /// <summary>Every n-th layer after the dense ones is MoE (1 = all).</summary>
    public long LayerFrequency { get; init; } = 1;
    public long NumGroups { get; init; }
    public long TopKGroups { get; init; }
}

/// <summary>Multi-head latent attention settings (DeepSeek-V2/V3).</summary>
public sealed record MlaConfig
{
    /// <summary>0 means queries are projected directly (DeepSeek-V2-Lite).</summary>
    public long QLoraRank { get; init; }
    public long KvLoraRank { get; init; }
    public long QkNopeHeadDim { get; init; }
    public long QkRopeHeadDim { get; init; }
    public long VHeadDim { get; init; }
}

/// <summary>A decoder-only transformer in Hugging Face config.json terms.</summary>
public sealed record ModelArchitecture
{
    public string Name { get; init; } = "";
    public string ModelType { get; init; } = "llama";
    public long HiddenSize { get; init; }
    public long NumLayers { get; init; }
    public long NumAttentionHeads { get; init; }
    public long NumKeyValueHeads { get; init; }
    /// <summary>Per-head dimension; 0 means hidden_size / num_attention_heads.</summary>
    public long HeadDim { get; init; }
    public long IntermediateSize { get; init; }
    public long VocabSize { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public long MaxPositionEmbeddings { get; init; }
    /// <summary>Sliding-window attention span in tokens; 0 means full attention.</summary>
    public long SlidingWindow { get; init; }
    /// <summary>Biases on the q/k/v projections (Qwen2).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Gated FFN (SwiGLU: 3 matrices) versus plain 2-matrix MLP (GPT/OPT/BLOOM).</summary>
    public bool GatedMlp { get; init; } = true;
    /// <summary>Attention and FFN read the same normalised input and their outputs are summed ("parallel layers":
    /// PaLM §2, Falcon `parallel_attn`, GPT-NeoX `use_parallel_residual`): one tensor-parallel reduction per layer
    /// and pass instead of two.</summary>
    public bool ParallelBlock { get; init; }
    public MoeConfig? Moe { get; init; }
    public MlaConfig? Mla { get; init; }
    /// <summary>Multi-token-prediction modules (DeepSeek-V3: 1).</summary>
    public long NumNextnPredictLayers { get; init; }

    public long EffectiveHeadDim =>
        HeadDim > 0 ? HeadDim : (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);
    public long KvHeads => NumKeyValueHeads > 0 ? NumKeyValueHeads : NumAttentionHeads;
    public bool IsMoe => Moe is { RoutedExperts: > 0 };

    /// <summary>Query/key head dimension (MLA: nope + rope).</summary>
    public long QkHeadDim => Mla is { } m ? m.QkNopeHeadDim + m.QkRopeHeadDim : EffectiveHeadDim;
    /// <summary>Value head dimension.</summary>
    public long VHeadDim => Mla is { } m ? m.VHeadDim : EffectiveHeadDim;

    /// <summary>True when layer <paramref name="layer"/> (0-based) has an MoE FFN.</summary>
    public bool IsMoeLayer(long layer) =>
        Moe is { RoutedExperts: > 0 } moe
        && layer >= moe.FirstKDenseReplace
        && (moe.LayerFrequency <= 1 || (layer - moe.FirstKDenseReplace) % moe.LayerFrequency == 0);

    public long MoeLayerCount
    {
        get
        {
            long n = 0;
            for (long i = 0; i < NumLayers; i++) if (IsMoeLayer(i)) n++;
            return n;
        }
    }

    public long DenseLayerCount => NumLayers - MoeLayerCount;
}
