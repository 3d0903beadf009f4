using System.Text;
using System.Text.Json;
using Platform.Contracts.Inference.V1;

namespace Platform.IntegrationTests;

public sealed partial class LiveReplicaTests
{
    /// <summary>Prompt length of the prefix-cache checks: 15 whole 512-token units.</summary>
    private const int IdPromptTokens = 7_680;

    /// <summary>The prefix cache keys whole 512-token units and leaves at least the last token to compute (vLLM
    /// recomputes it; docs/SERVING.md), so a repeated 7,680-token prompt finds (7,680 − 1) / 512 = 14 units
    /// resident: 7,168 cached tokens.</summary>
    private const int RepeatedCachedTokens = (IdPromptTokens - 1) / 512 * 512;

    /// <summary>
    /// A token-id prompt sent twice through the replica that does not own the deployment, over gRPC
    /// (<c>prompt_token_ids</c>) and over the OpenAI API (<c>prompt</c> as ids): the first computes everything, the
    /// second finds its whole units in the owner's prefix cache. Forwarded as a bare token count, as before, the
    /// second would be a fresh synthetic prompt with nothing cached.
    /// </summary>
    private async Task Token_id_prompts_sent_through_B_hit_the_owners_prefix_cache(
        InferenceSchedulerService.InferenceSchedulerServiceClient onB, HttpClient http)
    {
        var grpcIds = Enumerable.Range(0, IdPromptTokens).Select(i => 1_000 + (i * 7919 % 100_000)).ToArray();
        var first = await GenerateIds(onB, grpcIds);
        var second = await GenerateIds(onB, grpcIds);
        output.WriteLine($"gRPC Generate through B, {IdPromptTokens} ids: TTFT {first.TtftMs:F1} ms then " +
                         $"{second.TtftMs:F1} ms; cached {first.Usage.CachedTokens} then {second.Usage.CachedTokens}");
        Assert.Equal((IdPromptTokens, 0), (first.Usage.PromptTokens, first.Usage.CachedTokens));
        Assert.Equal((IdPromptTokens, RepeatedCachedTokens), (second.Usage.PromptTokens, second.Usage.CachedTokens));

        // Other ids, so the OpenAI prompt does not hit what the gRPC prompt left.
        string prompt = string.Join(',', grpcIds.Select(t => t + 200_000));
        var cached = new List<int>();
        for (int i = 0; i < 2; i++)
        {
            using var r = await http.PostAsync("/v1/completions", new StringContent(
                $$"""{"model":"shared-llama","prompt":[{{prompt}}],"max_tokens":4,"ignore_eos":true}""",
                Encoding.UTF8, "application/json"));
            string body = await r.Content.ReadAsStringAsync();
            Assert.True(r.IsSuccessStatusCode, body);
            using var doc = JsonDocument.Parse(body);
            var usage = doc.RootElement.GetProperty("usage");
            Assert.Equal(IdPromptTokens, usage.GetProperty("prompt_tokens").GetInt32());
            cached.Add(usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        }
        output.WriteLine($"/v1/completions through B, {IdPromptTokens} ids: cached {cached[0]} then {cached[1]}");
        Assert.Equal([0, RepeatedCachedTokens], cached);
    }

    private static async Task<GenerateFinished> GenerateIds(
        InferenceSchedulerService.InferenceSchedulerServiceClient client, int[] ids)
    {
        var request = new GenerateRequest { Deployment = "shared-llama", MaxTokens = 4 };
        request.PromptTokenIds.AddRange(ids);
        using var call = client.Generate(request, deadline: DateTime.UtcNow.AddSeconds(60));
        GenerateFinished? finished = null;
        await foreach (var m in call.ResponseStream.ReadAllAsync())
            finished ??= m.Finished;
        Assert.NotNull(finished);
        return finished;
    }
}
