using Platform.Contracts.Common.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;

namespace Platform.Contracts.Tests;

public sealed class ModelSpecMapperTests
{
    [Fact]
    public void Preset_resolves_to_its_architecture()
    {
        var a = ModelSpecMapper.Resolve(new ModelSpec { Preset = "llama-3.1-70b" });
        Assert.Equal(80, a.NumLayers);
        Assert.Equal(8, a.KvHeads);
    }

    [Fact]
    public void Architecture_round_trips_through_the_proto_form()
    {
        var ds = Platform.Modeling.ModelPresets.Get("deepseek-v3").Architecture;
        var back = ModelSpecMapper.Resolve(new ModelSpec { Architecture = ModelSpecMapper.ToProto(ds) });
        Assert.Equal(Platform.Modeling.ParameterCounter.Count(ds).Total,
            Platform.Modeling.ParameterCounter.Count(back).Total);
        Assert.Equal(ds.Moe!.FirstKDenseReplace, back.Moe!.FirstKDenseReplace);
    }

    [Theory]
    [InlineData("opt-175b")]
    [InlineData("falcon-180b")]
    [InlineData("qwen2.5-72b")]
    public void Mlp_kind_parallel_blocks_and_biases_survive_the_proto_form(string preset)
    {
        var a = Platform.Modeling.ModelPresets.Get(preset).Architecture;
        var back = ModelSpecMapper.Resolve(new ModelSpec { Architecture = ModelSpecMapper.ToProto(a) });
        Assert.Equal(a.GatedMlp, back.GatedMlp);
        Assert.Equal(a.ParallelBlock, back.ParallelBlock);
        Assert.Equal(a.AttentionBias, back.AttentionBias);
        Assert.Equal(Platform.Modeling.ParameterCounter.Count(a).Total,
            Platform.Modeling.ParameterCounter.Count(back).Total);
    }

    [Fact]
    public void Empty_spec_names_the_field()
    {
        var e = Assert.Throws<InvalidFieldException>(() => ModelSpecMapper.Resolve(new ModelSpec(), "model"));
        Assert.Equal("model", e.Field);
    }

    [Fact]
    public void Bad_architecture_names_the_nested_field()
    {
        var e = Assert.Throws<InvalidFieldException>(() => ModelSpecMapper.Resolve(new ModelSpec
        {
            Architecture = new ModelArchitecture
            {
                HiddenSize = 4096, NumHiddenLayers = 32, NumAttentionHeads = 32, NumKeyValueHeads = 5,
                VocabSize = 32000, IntermediateSize = 11008,
            },
        }));
        Assert.Equal("model.architecture.num_key_value_heads", e.Field);
    }

    [Fact]
    public void Hf_config_errors_name_the_config_field()
    {
        var e = Assert.Throws<InvalidFieldException>(() =>
            ModelSpecMapper.Resolve(new ModelSpec { HfConfigJson = "{\"hidden_size\": 1}" }));
        Assert.StartsWith("model.hf_config_json.", e.Field);
    }
}
