using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace TrainingCost.Tests.Grpc;

public sealed class PresetRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private TrainingCostService.TrainingCostServiceClient Client => new(factory.Channel);

    [Fact]
    public async Task Presets_include_the_reference_models()
    {
        var ids = (await Client.ListModelPresetsAsync(new ListModelPresetsRequest())).Presets
            .Select(p => p.Id).ToList();
        foreach (var id in new[]
            { "deepseek-v3", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mixtral-8x7b", "qwen2.5-72b" })
            Assert.Contains(id, ids);
    }

    [Fact]
    public async Task DeepSeek_v3_preset_is_671B_total_37B_active_with_its_hf_fields()
    {
        var p = (await Client.GetModelPresetAsync(new GetModelPresetRequest { Id = "deepseek-v3" })).Preset;
        Assert.InRange(p.Parameters.Total / 1e9, 670.5, 671.5);
        Assert.InRange(p.Parameters.Active / 1e9, 37.0, 38.0);
        Assert.InRange(p.Parameters.Mtp / 1e9, 11, 12.5);
        Assert.Equal(256, p.Architecture.Moe.NRoutedExperts);
        Assert.Equal(512, p.Architecture.Mla.KvLoraRank);
        Assert.Equal(61, p.Architecture.NumHiddenLayers);
    }

    [Fact]
    public async Task Unknown_preset_is_not_found()
    {
        await GrpcAssert.FailsWith(StatusCode.NotFound, "id", () =>
            Client.GetModelPresetAsync(new GetModelPresetRequest { Id = "gpt-5" }).ResponseAsync);
    }
}
