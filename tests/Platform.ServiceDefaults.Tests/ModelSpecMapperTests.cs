using Platform.Contracts.Common.V1;
using Platform.Modeling.Errors;

namespace Platform.ServiceDefaults.Tests;

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
        Assert.Equal(Platform.Modeling.ParameterCounter.Count(ds).Total, Platform.Modeling.ParameterCounter.Count(back).Total);
        Assert.Equal(ds.Moe!.FirstKDenseReplace, back.Moe!.FirstKDenseReplace);
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
            Architecture = new ModelArchitecture { HiddenSize = 4096, NumHiddenLayers = 32, NumAttentionHeads = 32, NumKeyValueHeads = 5, VocabSize = 32000, IntermediateSize = 11008 },
        }));
        Assert.Equal("model.architecture.num_key_value_heads", e.Field);
    }

    [Fact]
    public void Hf_config_errors_name_the_config_field()
    {
        var e = Assert.Throws<InvalidFieldException>(() => ModelSpecMapper.Resolve(new ModelSpec { HfConfigJson = "{\"hidden_size\": 1}" }));
        Assert.StartsWith("model.hf_config_json.", e.Field);
    }
}
