using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace Platform.Host.Tests;

/// <summary>
/// gRPC Generate with the prompt as token ids (<c>prompt_token_ids</c>): the documented limit of 1,048,576 ids is
/// checked before anything else, exactly one prompt form is accepted, and a repeated prompt's whole 512-token units
/// are found in the prefix cache as for text.
/// </summary>
public sealed class LiveTokenIdPromptTests(LiveDeploymentFactory factory) : IClassFixture<LiveDeploymentFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    [Fact]
    public async Task Too_many_token_ids_are_refused_naming_the_field_before_the_deployment_is_looked_up()
    {
        // An unknown deployment would be NOT_FOUND: the size limit answers first.
        var request = new GenerateRequest { Deployment = "no-such-deployment" };
        request.PromptTokenIds.AddRange(Enumerable.Repeat(1, (1 << 20) + 1));
        var e = await GrpcAssert.InvalidField("prompt_token_ids", () => Generate(request));
        Assert.Contains("1,048,576", e.Status.Detail);
    }

    [Fact]
    public async Task Exactly_one_prompt_form_is_accepted_and_ids_are_non_negative()
    {
        await factory.EnsureDeploymentAsync();
        var both = Ids([1, 2, 3]);
        both.Prompt = "and text";
        await GrpcAssert.InvalidField("prompt_token_ids", () => Generate(both));
        var counted = Ids([1, 2, 3]);
        counted.PromptTokens = 3;
        await GrpcAssert.InvalidField("prompt_token_ids", () => Generate(counted));
        await GrpcAssert.InvalidField("prompt_token_ids", () => Generate(Ids([4, -5, 6])));
        await GrpcAssert.InvalidField("prompt",
            () => Generate(new GenerateRequest { Deployment = LiveDeploymentFactory.Model }));
    }

    [Fact]
    public async Task A_repeated_token_id_prompt_finds_its_whole_units_in_the_prefix_cache()
    {
        await factory.EnsureDeploymentAsync();
        // 1,536 ids = 3 units of 512; the last token is always computed, so the repeat finds (1,536 − 1) / 512 = 2
        // units resident: 1,024 cached tokens (docs/SERVING.md, the prefix cache).
        int[] ids = [.. Enumerable.Range(0, 1536).Select(i => 500_000 + i)];
        var first = await Generate(Ids(ids));
        var second = await Generate(Ids(ids));
        Assert.Equal((1536, 0), (first.Usage.PromptTokens, first.Usage.CachedTokens));
        Assert.Equal((1536, 1024), (second.Usage.PromptTokens, second.Usage.CachedTokens));
    }

    private static GenerateRequest Ids(int[] ids)
    {
        var r = new GenerateRequest { Deployment = LiveDeploymentFactory.Model, MaxTokens = 2 };
        r.PromptTokenIds.AddRange(ids);
        return r;
    }

    private async Task<GenerateFinished> Generate(GenerateRequest request)
    {
        using var call = Client.Generate(request, deadline: DateTime.UtcNow.AddSeconds(60));
        GenerateFinished? finished = null;
        await foreach (var m in call.ResponseStream.ReadAllAsync()) finished ??= m.Finished;
        Assert.NotNull(finished);
        return finished;
    }
}
