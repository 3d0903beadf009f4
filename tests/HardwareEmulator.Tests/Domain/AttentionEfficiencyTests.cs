using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Tests.Domain;

/// <summary>Prefill attention against the published FlashAttention forward-pass curves (docs/EMULATOR.md).</summary>
public sealed class AttentionEfficiencyTests
{
    private static readonly DeviceCatalog Catalog = new();
    private static readonly TimingModel Model = new();

    /// <summary>TFLOPS the published benchmark would report for the emulated time of its own shape: batch × length =
    /// 16k tokens, 2,048 hidden (heads = 2048 / d), FLOPs 4·b·L²·h·d, halved under a causal mask.</summary>
    private static double BenchmarkTflops(string device, long len, long headDim, bool causal)
    {
        long batch = 16384 / len, heads = 2048 / headDim;
        var t = Model.For(Catalog.Get(device))
            .Attention(DataType.Bf16, batch, len, len, heads, heads, headDim, headDim, causal);
        double flops = 4.0 * batch * len * len * heads * headDim / (causal ? 2 : 1);
        return flops / t.DeviceSeconds / 1e12;
    }

    public static TheoryData<long, bool, int> Fa3Points()
    {
        var data = new TheoryData<long, bool, int>();
        foreach (long d in new long[] { 64, 128, 256 })
            foreach (bool causal in new[] { false, true })
                for (int i = 0; i < AttentionEfficiency.SeqLens.Length; i++)
                    data.Add(d, causal, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Fa3Points))]
    public void H100_prefill_attention_is_within_12_percent_of_FlashAttention3(long headDim, bool causal, int seq)
    {
        int di = Array.IndexOf(AttentionEfficiency.HeadDims, (double)headDim);
        double published = AttentionEfficiency.Fa3H100[di][causal ? 1 : 0][seq];
        double emulated = BenchmarkTflops("h100-sxm", (long)AttentionEfficiency.SeqLens[seq], headDim, causal);
        Assert.InRange(emulated / published, 0.88, 1.12);
    }

    [Fact]
    public void A100_long_sequence_attention_reaches_the_FlashAttention2_forward_plateau()
    {
        // FlashAttention-2 paper: the forward pass reaches 73% of the A100's 312 TFLOPS on long sequences.
        Assert.InRange(BenchmarkTflops("a100-80gb", 16384, 128, false) / (0.73 * 312), 0.9, 1.1);
    }

    [Theory]
    [InlineData(64, true, 180.0 / 324)]
    [InlineData(128, true, 191.0 / 370)]
    [InlineData(128, false, 309.0 / 370)]
    public void A100_short_sequences_fall_off_like_FlashAttention2(long headDim, bool causal, double publishedRatio)
    {
        // FlashAttention-2's published 512-token speed relative to its 16k non-causal plateau (same kernel, FA3 paper
        // Fig. 5); a short-sequence prefill must not run at the long-sequence rate.
        double ratio = BenchmarkTflops("a100-80gb", 512, headDim, causal) / BenchmarkTflops("a100-80gb", 16384,
            headDim, false);
        Assert.InRange(ratio / publishedRatio, 0.85, 1.15);
    }

    [Fact]
    public void Chunk_after_a_long_cached_prefix_runs_near_the_long_sequence_rate()
    {
        // A 512-token chunk attending to 8k keys streams as many key blocks per tile as an 8k prefill does.
        var h100 = Model.For(Catalog.Get("h100-sxm"));
        var chunk = h100.Attention(DataType.Bf16, 1, 512, 8192, 64, 8, 128, 128, causal: true);
        var shortPrompt = h100.Attention(DataType.Bf16, 16, 512, 512, 64, 8, 128, 128, causal: true);
        Assert.True(chunk.AchievedTflops > 1.5 * shortPrompt.AchievedTflops);
    }

    [Fact]
    public void Decode_attention_keeps_its_memory_bound_timing()
    {
        var t = Model.For(Catalog.Get("h800")).Attention(DataType.Bf16, 128, 1, 4096, 16, 1, 576, 512, causal: false);
        Assert.Equal(BoundKind.Memory, t.Bound);
    }

    [Theory]
    [InlineData("a100-80gb", AttentionGeneration.Ampere)]
    [InlineData("a800", AttentionGeneration.Ampere)]
    [InlineData("h800", AttentionGeneration.Hopper)]
    [InlineData("h200", AttentionGeneration.Hopper)]
    public void Devices_map_to_their_generations_curve(string device, AttentionGeneration expected) =>
        Assert.Equal(expected, Model.For(Catalog.Get(device)).AttentionGeneration);
}
