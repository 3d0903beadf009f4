using InferenceScheduler.Domain.Serving;
using Platform.Modeling;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Tests.Domain.Serving;

public sealed class MemoryPlanTests
{
    private static readonly AcceleratorInfo H800 = new("h800", 80, 3.35, 200, 50, 8, 2.0);

    [Fact]
    public void Gqa_kv_cache_splits_kv_heads_over_tensor_parallel_ranks()
    {
        var llama70 = ModelPresets.Get("llama-3.1-70b").Architecture; // 80 layers, 8 KV heads of 128
        Assert.Equal(80 * 2 * 8 * 128 * 2,
            MemoryPlan.KvBytesPerToken(llama70, new Parallelism(1, 1, 1, 1, 1), NumberFormat.Bf16));
        Assert.Equal(80 * 2 * 1 * 128 * 2,
            MemoryPlan.KvBytesPerToken(llama70, new Parallelism(1, 8, 1, 1, 1), NumberFormat.Bf16));
        Assert.Equal(80 * 2 * 1 * 128 * 1,
            MemoryPlan.KvBytesPerToken(llama70, new Parallelism(1, 8, 1, 1, 1), NumberFormat.Fp8));
    }

    [Fact]
    public void Mla_kv_cache_holds_only_the_compressed_latent()
    {
        var v3 = ModelPresets.Get("deepseek-v3").Architecture; // 61 layers, kv_lora_rank 512 + rope 64
        Assert.Equal(61 * 576 * 2, MemoryPlan.KvBytesPerToken(v3, new Parallelism(1, 1, 1, 1, 1), NumberFormat.Bf16));
    }

    [Fact]
    public void Expert_parallelism_divides_routed_experts_and_replicates_the_rest()
    {
        var v3 = ModelPresets.Get("deepseek-v3").Architecture;
        double ep32 = MemoryPlan.ParamsPerAccelerator(v3, new Parallelism(1, 1, 1, 32, 32));
        double ep144 = MemoryPlan.ParamsPerAccelerator(v3, new Parallelism(1, 1, 1, 144, 144));
        // 58 MoE layers x 44.0M params per expert: 8 experts per rank on EP32, 2 on EP144.
        double expert = 3.0 * 7168 * 2048;
        Assert.Equal(58 * 6 * expert, ep32 - ep144, 1e6);
        Assert.InRange(ep144 / 1e9, 19, 24); // attention, dense layers, shared experts and embeddings replicated
    }

    [Fact]
    public void Model_that_does_not_fit_reports_needed_and_available()
    {
        var e = Assert.Throws<PreconditionFailedException>(() => MemoryPlan.Build(
            ModelPresets.Get("llama-3.1-70b").Architecture, new Parallelism(1, 1, 1, 1, 1), H800, NumberFormat.Bf16,
            NumberFormat.Bf16, 0.9, 8192, 16, "deployment"));
        Assert.Equal("deployment", e.Field);
        Assert.Contains("needs 13", e.Reason);      // 141 GB of BF16 weights = 131.4 GiB
        Assert.Contains("available 72.0 GiB", e.Reason);
    }
}
