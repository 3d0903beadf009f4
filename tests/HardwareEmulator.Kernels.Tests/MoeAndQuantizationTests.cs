namespace HardwareEmulator.Kernels.Tests;

public sealed class MoeGatingTests
{
    [Fact]
    public void Softmax_top2_renormalizes_like_mixtral()
    {
        float[] logits = { 1f, 3f, 2f, 0f };
        var idx = new int[2]; var w = new float[2];
        MoeGating.TopK(logits, 1, 4, new MoeRouting(2), idx, w);
        Assert.Equal(new[] { 1, 2 }, idx);
        double e1 = Math.Exp(3), e2 = Math.Exp(2);
        Assert.Equal(e1 / (e1 + e2), w[0], 6);
        Assert.Equal(e2 / (e1 + e2), w[1], 6);
    }

    [Fact]
    public void DeepSeek_v3_group_limited_routing_keeps_only_the_best_groups()
    {
        // 8 experts in 4 groups of 2; keep 2 groups (by the sum of their top-2 biased scores), pick 2 experts.
        // Expert 0 has the best single score, but its group {0,1} sums lower than groups {2,3} and {6,7}.
        float[] logits = { 3f, -3f, 1f, 1f, -1f, -1f, 1.2f, 0.9f };
        float[] bias = { 0, 0, 0, 0, 0, 0, 0, 0.01f }; // lifts group {6,7} above {2,3}, not expert 7 above 2
        var idx = new int[2]; var w = new float[2];
        var v3 = new MoeRouting(2, MoeScoring.Sigmoid, Groups: 4, TopKGroups: 2, NormalizeTopK: true,
            ScalingFactor: 2.5f);
        MoeGating.TopK(logits, 1, 8, v3, idx, w, bias);
        Assert.Equal(new[] { 6, 2 }, idx); // 6: σ(1.2); then 2 (σ(1) = σ(1), lower index wins over 3)
        double s6 = 1 / (1 + Math.Exp(-1.2)), s2 = 1 / (1 + Math.Exp(-1.0));
        Assert.Equal(2.5 * s6 / (s6 + s2), w[0], 5);
        Assert.Equal(2.5, w[0] + w[1], 5);

        MoeGating.TopK(logits, 1, 8, v3 with { Groups = 1, TopKGroups = 1 }, idx, w, bias);
        Assert.Equal(0, idx[0]); // without the group limit expert 0 wins
    }

    [Fact]
    public void Bias_steers_selection_but_not_weights()
    {
        float[] logits = { 0f, 0.1f };
        var idx = new int[1]; var w = new float[1];
        MoeGating.TopK(logits, 1, 2, new MoeRouting(1, MoeScoring.Sigmoid, NormalizeTopK: false), idx, w,
            new[] { 0.5f, 0f });
        Assert.Equal(0, idx[0]);
        Assert.Equal(0.5f, w[0], 6);
    }

    [Fact]
    public void Bad_routing_names_the_parameter()
    {
        var idx = new int[2]; var w = new float[2];
        Assert.Equal("groups", Assert.Throws<KernelArgumentException>(() =>
            MoeGating.TopK(new float[6], 1, 6, new MoeRouting(2, Groups: 4), idx, w)).ParamName);
        Assert.Equal("topK", Assert.Throws<KernelArgumentException>(() =>
            MoeGating.TopK(new float[8], 1, 8, new MoeRouting(2, Groups: 4, TopKGroups: 1) with { TopK = 3 },
                new int[3], new float[3])).ParamName);
        Assert.Equal("logits", Assert.Throws<KernelArgumentException>(() =>
            MoeGating.TopK(new[] { 1f, float.NaN }, 1, 2, new MoeRouting(2), idx, w)).ParamName);
        Assert.Equal("correctionBias", Assert.Throws<KernelArgumentException>(() =>
            MoeGating.TopK(new float[2], 1, 2, new MoeRouting(2), idx, w, new float[3])).ParamName);
    }
}

public sealed class QuantizationTests
{
    [Theory, InlineData(Fp8Format.E4M3), InlineData(Fp8Format.E5M2)]
    public void Block_scale_is_amax_over_format_max_and_round_trip_error_is_half_an_ulp(Fp8Format format)
    {
        const int rows = 130, cols = 257;
        var x = TestData.Normal(rows * cols, 1, 3f);
        var codes = new byte[x.Length];
        var scales = new float[Quantization.ScaleCount(rows, cols, 128, 128)];
        Assert.Equal(2 * 3, scales.Length);
        Quantization.QuantizeWeights(x, rows, cols, format, codes, scales);
        float amax = 0;
        for (int r = 0; r < 128; r++) for (int c = 0; c < 128; c++) amax = MathF.Max(amax, MathF.Abs(x[r * cols + c]));
        Assert.Equal(amax / Fp8.MaxFinite(format), scales[0]);
        var back = new float[x.Length];
        Quantization.DequantizeBlocks(codes, scales, rows, cols, 128, 128, format, back);
        double relUlp = format == Fp8Format.E4M3 ? 1.0 / 8 : 1.0 / 4;
        for (int i = 0; i < x.Length; i++)
        {
            float s = scales[(i / cols / 128) * 3 + (i % cols) / 128];
            double tol = Math.Max(Math.Abs(x[i]) * relUlp / 2,
                s * Math.ScaleB(1, format == Fp8Format.E4M3 ? -10 : -17)) * 1.0001;
            Assert.True(Math.Abs(back[i] - x[i]) <= tol, $"{i}: {x[i]} → {back[i]}");
        }
    }

    [Fact]
    public void Activation_tiles_each_get_their_own_scale_and_zero_tiles_stay_zero()
    {
        var x = new float[2 * 200];
        x[5] = 448f * 2; x[150] = -7f; // row 0: tile 0 amax 896, tile 1 amax 7; row 1 all zero
        var codes = new byte[x.Length]; var scales = new float[4];
        Quantization.QuantizeActivations(x, 2, 200, Fp8Format.E4M3, codes, scales);
        Assert.Equal(new[] { 2f, 7f / 448, 1e-4f / 448, 1e-4f / 448 }, scales);
        var back = new float[x.Length];
        Quantization.DequantizeBlocks(codes, scales, 2, 200, 1, 128, Fp8Format.E4M3, back);
        Assert.Equal(896f, back[5]);
        Assert.Equal(-7f, back[150]);
        Assert.All(back.AsSpan(200).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Bad_scales_and_inputs_name_the_parameter()
    {
        var codes = new byte[4];
        var x = new float[4];
        Assert.Equal("scales", Assert.Throws<KernelArgumentException>(() =>
            Quantization.DequantizeBlocks(codes, new[] { float.NaN }, 2, 2, 2, 2, Fp8Format.E4M3, x)).ParamName);
        Assert.Equal("scales", Assert.Throws<KernelArgumentException>(() =>
            Quantization.DequantizeBlocks(codes, new[] { 0f }, 2, 2, 2, 2, Fp8Format.E4M3, x)).ParamName);
        Assert.Equal("scales", Assert.Throws<KernelArgumentException>(() =>
            Quantization.QuantizeBlocks(x, 2, 2, 1, 2, Fp8Format.E4M3, codes, new float[1])).ParamName);
        Assert.Equal("x", Assert.Throws<KernelArgumentException>(() =>
            Quantization.QuantizeBlocks(new[] { 1f, float.PositiveInfinity, 0, 0 }, 2, 2, 2, 2, Fp8Format.E4M3, codes,
                new float[1])).ParamName);
        Assert.Equal("blockCols", Assert.Throws<KernelArgumentException>(() =>
            Quantization.QuantizeBlocks(x, 2, 2, 2, 0, Fp8Format.E4M3, codes, new float[1])).ParamName);
        Assert.Equal("format", Assert.Throws<KernelArgumentException>(() => Fp8.Encode(1f, (Fp8Format)7)).ParamName);
    }
}
