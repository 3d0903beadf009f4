using Platform.Modeling;
using Platform.Modeling.Flops;
using Platform.Modeling.Ops;

namespace Platform.Modeling.Tests;

public sealed class FlopCounterTests
{
    [Fact]
    public void DeepSeek_v3_at_4096_is_250_gflop_per_token_causal_and_280_non_causal()
    {
        var a = ModelPresets.Get("deepseek-v3").Architecture;
        Assert.InRange(FlopCounter.Training(a, 4096, causal: true).ModelFlopsPerToken / 250e9, 0.98, 1.02);
        Assert.InRange(FlopCounter.Training(a, 4096, causal: false).ModelFlopsPerToken / 280e9, 0.97, 1.03);
    }

    [Fact]
    public void Six_n_undercounts_deepseek_v3_by_about_11_percent()
    {
        var a = ModelPresets.Get("deepseek-v3").Architecture;
        double sixN = 6.0 * ParameterCounter.Count(a).Active;
        Assert.InRange(sixN / FlopCounter.Training(a, 4096).ModelFlopsPerToken, 0.87, 0.92);
    }

    [Fact]
    public void Dense_model_matches_palm_appendix_b_formula_non_causal()
    {
        // PaLM App. B: 6N + 12·L·H·Q·T per token (non-causal), N counting the (tied) embedding once.
        var a = ModelPresets.Get("gpt-3-175b").Architecture;
        var p = ParameterCounter.Count(a);
        double palm = 6.0 * p.Total + 12.0 * a.NumLayers * a.NumAttentionHeads * a.EffectiveHeadDim * 2048;
        Assert.InRange(FlopCounter.Training(a, 2048, causal: false).ModelFlopsPerToken / palm, 0.995, 1.005);
    }

    [Fact]
    public void Full_recompute_adds_a_forward_pass_so_hardware_flops_are_about_eight_n()
    {
        var a = ModelPresets.Get("llama-3.1-70b").Architecture;
        var f = FlopCounter.Training(a, 4096, true, RecomputeKind.Full);
        Assert.InRange(f.HardwareFlopsPerToken / f.ModelFlopsPerToken, 1.30, 1.34);
        var s = FlopCounter.Training(a, 4096, true, RecomputeKind.Selective);
        Assert.InRange(s.HardwareFlopsPerToken / s.ModelFlopsPerToken, 1.0, 1.05);
    }

    [Fact]
    public void Gqa_kv_heads_reduce_attention_projection_flops()
    {
        var mha = ModelPresets.Get("llama-3.1-70b").Architecture with { NumKeyValueHeads = 64 };
        var gqa = ModelPresets.Get("llama-3.1-70b").Architecture;
        Assert.True(FlopCounter.Forward(gqa, 4096).AttentionProjections
            < FlopCounter.Forward(mha, 4096).AttentionProjections);
    }

    [Fact]
    public void Sliding_window_caps_attention_core_flops()
    {
        var full = ModelPresets.Get("llama-3.1-8b").Architecture;
        var windowed = full with { SlidingWindow = 4096 };
        Assert.True(FlopCounter.Forward(windowed, 32768).AttentionCore
            < FlopCounter.Forward(full, 32768).AttentionCore / 4);
        Assert.Equal(FlopCounter.Forward(full, 2048).AttentionCore, FlopCounter.Forward(windowed, 2048).AttentionCore);
    }

    [Fact]
    public void Mixtral_counts_top_2_of_8_experts()
    {
        var a = ModelPresets.Get("mixtral-8x7b").Architecture;
        var f = FlopCounter.Forward(a, 4096);
        Assert.Equal(2.0 * 2 * 3 * a.HiddenSize * a.Moe!.ExpertIntermediateSize * a.NumLayers, f.RoutedExperts,
            1e-6 * f.RoutedExperts);
        Assert.Equal(0, f.DenseMlp);
    }

    [Theory]
    [InlineData("deepseek-v3", 1, 8)]
    [InlineData("llama-3.1-405b", 8, 1)]
    [InlineData("opt-175b", 4, 1)]
    public void Layer_op_shapes_carry_the_flops_the_counter_counts(string preset, int tp, int ep)
    {
        var a = ModelPresets.Get(preset).Architecture;
        var groups = ModelOps.Decompose(a, new OpLayout(tp, ep), PassShape.Training(1, 4096));
        double OpFlops(IEnumerable<OpShape> ops) =>
            ops.Sum(o => o switch { GemmShape g => g.Flops, GroupedGemmShape g => g.Flops, _ => 0 });
        double perRank = groups.Where(g => g.Kind is OpGroupKind.DenseLayer or OpGroupKind.MoeLayer or OpGroupKind.Head)
            .Sum(g => g.Count * OpFlops(g.Ops));
        var f = FlopCounter.Forward(a, 4096);
        double weightGemms = f.Total - f.AttentionCore;
        // Summed over the TP ranks the op shapes do the counter's weight-GEMM work (MoE: rounding of rows per expert).
        Assert.InRange(perRank * tp / 4096 / weightGemms, 0.99, 1.02);
    }
}

public sealed class HistoricalPresetTests
{
    [Theory]
    [InlineData("llama-65b", 65.2)]
    [InlineData("llama-2-70b", 69.0)]
    [InlineData("opt-175b", 175.0)]
    [InlineData("gpt-3-175b", 175.0)]
    [InlineData("bloom-176b", 176.2)]
    [InlineData("mt-nlg-530b", 530.0)]
    [InlineData("palm-540b", 540.0)]
    [InlineData("falcon-180b", 180.0)]
    [InlineData("falcon-40b", 41.0)]
    [InlineData("nemotron-4-340b", 341.0)]
    [InlineData("bloomberggpt-50b", 50.6)]
    [InlineData("mpt-7b", 6.7)]
    [InlineData("dbrx", 132.0)]
    public void Historical_presets_have_their_published_size(string id, double billions)
    {
        Assert.InRange(ModelPresets.Get(id).Parameters.Total / 1e9, billions * 0.97, billions * 1.03);
    }

    [Theory]
    [InlineData("opt-175b", false)]
    [InlineData("bloom-176b", false)]
    [InlineData("gpt-3-175b", false)]
    [InlineData("falcon-180b", false)]
    [InlineData("llama-65b", true)]
    [InlineData("palm-540b", true)]
    public void Gpt_style_models_use_the_two_matrix_mlp(string id, bool gated)
    {
        Assert.Equal(gated, ModelPresets.Get(id).Architecture.GatedMlp);
    }

    [Fact]
    public void Opt_config_with_ffn_dim_and_bloom_config_with_n_layer_parse()
    {
        var opt = HfConfigParser.Parse(
            """
            {"model_type":"opt","hidden_size":768,"ffn_dim":3072,"num_hidden_layers":12,"num_attention_heads":12,
            "vocab_size":50272}
            """);
        Assert.Equal(3072, opt.IntermediateSize);
        Assert.False(opt.GatedMlp);
        var bloom = HfConfigParser.Parse(
            """{"model_type":"bloom","hidden_size":1024,"n_layer":24,"n_head":16,"vocab_size":250880}""");
        Assert.Equal(24, bloom.NumLayers);
        Assert.Equal(4096, bloom.IntermediateSize);
    }
}
