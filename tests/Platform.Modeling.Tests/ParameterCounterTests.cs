using Platform.Modeling;
using Platform.Modeling.Errors;

namespace Platform.Modeling.Tests;

public sealed class ParameterCounterTests
{
    [Theory]
    // Published sizes: model cards / papers (billions).
    [InlineData("llama-3.1-8b", 8.03, 8.03)]
    [InlineData("llama-3.1-70b", 70.55, 70.55)]
    [InlineData("llama-3.1-405b", 405.85, 405.85)]
    [InlineData("mixtral-8x7b", 46.70, 12.88)]
    [InlineData("qwen2.5-72b", 72.71, 72.71)]
    [InlineData("deepseek-v3", 671.0, 37.5)]
    public void Preset_parameter_counts_match_published_sizes(string id, double totalB, double activeB)
    {
        var p = ModelPresets.Get(id).Parameters;
        Assert.InRange(p.Total / 1e9, totalB * 0.995, totalB * 1.005);
        Assert.InRange(p.Active / 1e9, activeB * 0.99, activeB * 1.01);
    }
}

public sealed class HfConfigParserTests
{
    [Fact]
    public void Parallel_attention_flag_of_falcon_and_neox_configs_marks_a_parallel_block()
    {
        const string baseCfg = "\"hidden_size\": 64, \"intermediate_size\": 256, \"num_hidden_layers\": 2, "
            + "\"num_attention_heads\": 4, \"vocab_size\": 100";
        Assert.True(HfConfigParser.Parse("{" + baseCfg + ", \"parallel_attn\": true}").ParallelBlock);
        Assert.True(HfConfigParser.Parse("{" + baseCfg + ", \"use_parallel_residual\": true}").ParallelBlock);
        Assert.False(HfConfigParser.Parse("{" + baseCfg + "}").ParallelBlock);
        Assert.True(ModelPresets.Get("palm-540b").Architecture.ParallelBlock);
        Assert.True(ModelPresets.Get("falcon-180b").Architecture.ParallelBlock);
        Assert.False(ModelPresets.Get("llama-3.1-405b").Architecture.ParallelBlock);
    }

    [Fact]
    public void Config_that_does_not_parse_names_the_field_and_line()
    {
        var e = Assert.Throws<InvalidFieldException>(() => HfConfigParser.Parse("{\n\"hidden_size\": 12,,}"));
        Assert.Equal("model.hf_config_json", e.Field);
        Assert.Contains("line 2", e.Reason);
    }

    [Fact]
    public void Config_without_a_needed_field_names_it()
    {
        var e = Assert.Throws<InvalidFieldException>(() =>
            HfConfigParser.Parse("""{"hidden_size": 4096, "num_hidden_layers": 32, "vocab_size": 32000}"""));
        Assert.Equal("model.hf_config_json.num_attention_heads", e.Field);
    }

    [Fact]
    public void Qwen2_sliding_window_is_ignored_when_disabled()
    {
        Assert.Equal(0, ModelPresets.Get("qwen2.5-72b").Architecture.SlidingWindow);
    }

    [Fact]
    public void Mixtral_experts_take_the_intermediate_size_and_every_layer_is_moe()
    {
        var a = ModelPresets.Get("mixtral-8x7b").Architecture;
        Assert.Equal(14336, a.Moe!.ExpertIntermediateSize);
        Assert.Equal(32, a.MoeLayerCount);
    }

    [Fact]
    public void Unknown_preset_is_not_found()
    {
        var e = Assert.Throws<NotFoundException>(() => ModelPresets.Get("llama-9"));
        Assert.Equal("model.preset", e.Field);
    }
}
