namespace HardwareEmulator.Kernels.Tests;

public sealed class GemmTests
{
    // Odd shapes (1, 7, 33, 1000) exercise the edge tiles, and 12/32-multiples the full micro-tiles.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 7, 33, 1 }, { 1, 1000, 7 }, { 33, 7, 1000 }, { 1000, 7, 33 }, { 7, 1, 1000 },
        { 12, 32, 64 }, { 24, 64, 384 }, { 37, 65, 129 }, { 100, 481, 385 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Fp32_is_within_the_forward_error_bound_of_an_fp64_reference(int m, int n, int k)
    {
        var a = TestData.Normal(m * k, 1);
        var b = TestData.Normal(k * n, 2);
        var c = new float[m * n];
        Gemm.Fp32(a, b, c, m, n, k);
        AssertWithinBound(a, b, c, m, n, k);
    }

    [Fact]
    public void Fp32_on_a_large_odd_shape_matches_fp64_for_any_thread_count()
    {
        const int m = 389, n = 1031, k = 515; // spans several NC/KC blocks and splits unevenly over threads
        var a = TestData.Normal(m * k, 3);
        var b = TestData.Normal(k * n, 4);
        var reference = TestData.Fp64Gemm(a, b, m, n, k);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var c = new float[m * n];
            Gemm.Fp32(a, b, c, m, n, k, threads);
            AssertWithinBound(reference, c, k);
        }
    }

    [Fact]
    public void Fp32_with_more_rows_than_columns_splits_rows_and_stays_exact_on_integers()
    {
        const int m = 1000, n = 33, k = 40; // small integers: every product and sum is exact in FP32
        var a = new float[m * k]; var b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (i * 7 % 11) - 5;
        for (int i = 0; i < b.Length; i++) b[i] = (i * 5 % 13) - 6;
        var fast = new float[m * n]; var slow = new float[m * n];
        Gemm.Fp32(a, b, fast, m, n, k, threads: 2);
        Gemm.Fp32Reference(a, b, slow, m, n, k);
        Assert.Equal(slow, fast);
    }

    [Fact]
    public void Fp32_multiplies_the_issue_example()
    {
        var c = new float[4];
        Gemm.Fp32(new float[] { 1, 2, 3, 4, 5, 6 }, new float[] { 7, 8, 9, 10, 11, 12 }, c, 2, 2, 3);
        Assert.Equal(new float[] { 58, 64, 139, 154 }, c);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Bf16_fast_path_matches_its_scalar_reference(int m, int n, int k)
    {
        var a = TestData.Normal(m * k, 5);
        var b = TestData.Normal(k * n, 6);
        var fast = new float[m * n]; var slow = new float[m * n];
        Gemm.Bf16(a, b, fast, m, n, k);
        Gemm.Bf16Reference(a, b, slow, m, n, k);
        TestData.AllClose(slow, fast, 1e-4, 1e-5 * Math.Sqrt(k));
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Fp8_fast_path_matches_its_scalar_reference(int m, int n, int k)
    {
        var a = TestData.Normal(m * k, 7);
        var b = TestData.Normal(k * n, 8);
        foreach (var format in new[] { Fp8Format.E4M3, Fp8Format.E5M2 })
        {
            var (qa, sa, qb, sb) = Gemm.QuantizeOperands(a, b, m, n, k, format);
            var fast = new float[m * n]; var slow = new float[m * n];
            Gemm.Fp8(qa, sa, qb, sb, fast, m, n, k, format);
            Gemm.Fp8Reference(qa, sa, qb, sb, slow, m, n, k, format);
            TestData.AllClose(slow, fast, 1e-4, 1e-5 * Math.Sqrt(k));
        }
    }

    [Fact]
    public void Bf16_gemm_on_random_normal_inputs_is_within_1e_5_of_fp32()
    {
        const int m = 257, n = 384, k = 513;
        var a = TestData.Normal(m * k, 9);
        var b = TestData.Normal(k * n, 10);
        var c32 = new float[m * n]; var c16 = new float[m * n];
        Gemm.Fp32(a, b, c32, m, n, k);
        Gemm.Bf16(a, b, c16, m, n, k);
        Assert.InRange(TestData.Diff(c32, c16), 0, 1e-5);
    }

    [Fact]
    public void Fp8_e4m3_block_scaled_gemm_on_random_normal_inputs_is_within_1e_3_of_fp32()
    {
        const int m = 257, n = 384, k = 513;
        var a = TestData.Normal(m * k, 11);
        var b = TestData.Normal(k * n, 12);
        var c32 = new float[m * n]; var c8 = new float[m * n];
        Gemm.Fp32(a, b, c32, m, n, k);
        Gemm.Fp8BlockScaled(a, b, c8, m, n, k, Fp8Format.E4M3);
        double diff = TestData.Diff(c32, c8);
        Assert.InRange(diff, 1e-6, 1e-3); // nonzero: the quantization really happened
    }

    [Fact]
    public void Fp8_e5m2_loses_more_accuracy_than_e4m3_but_stays_within_1e_2()
    {
        const int m = 129, n = 256, k = 384;
        var a = TestData.Normal(m * k, 13);
        var b = TestData.Normal(k * n, 14);
        var c32 = new float[m * n]; var e4 = new float[m * n]; var e5 = new float[m * n];
        Gemm.Fp32(a, b, c32, m, n, k);
        Gemm.Fp8BlockScaled(a, b, e4, m, n, k, Fp8Format.E4M3);
        Gemm.Fp8BlockScaled(a, b, e5, m, n, k, Fp8Format.E5M2);
        double d4 = TestData.Diff(c32, e4), d5 = TestData.Diff(c32, e5);
        Assert.True(d5 > 2 * d4, $"E5M2 diff {d5:E2} should exceed E4M3 diff {d4:E2} (one mantissa bit fewer)");
        Assert.InRange(d5, 0, 1e-2);
    }

    [Fact]
    public void Fp8_block_scales_are_applied_per_row_tile_and_per_weight_block()
    {
        // A row whose second 128-tile is 1000× larger must not lose the first tile to the shared scale.
        const int m = 2, n = 130, k = 256;
        var a = TestData.Normal(m * k, 15);
        for (int p = 128; p < 256; p++) a[p] *= 1000f;
        var b = TestData.Normal(k * n, 16);
        for (int p = 0; p < k; p++) b[p * n + 129] *= 1e-3f; // the second column block is tiny
        var c32 = new float[m * n]; var c8 = new float[m * n];
        Gemm.Fp32(a, b, c32, m, n, k);
        Gemm.Fp8BlockScaled(a, b, c8, m, n, k, Fp8Format.E4M3);
        Assert.InRange(TestData.Diff(c32, c8), 0, 1e-3);
        Assert.InRange(Math.Abs(c8[129] - c32[129]) / Math.Abs(c32[129]), 0, 0.1);
    }

    [Fact]
    public void Batched_runs_one_gemm_per_entry()
    {
        const int batch = 3, m = 7, n = 33, k = 5;
        var a = TestData.Normal(batch * m * k, 17);
        var b = TestData.Normal(batch * k * n, 18);
        var c = new float[batch * m * n];
        Gemm.Batched(a, b, c, batch, m, n, k);
        for (int i = 0; i < batch; i++)
        {
            var expected = new float[m * n];
            Gemm.Fp32Reference(a.AsSpan(i * m * k, m * k), b.AsSpan(i * k * n, k * n), expected, m, n, k);
            TestData.AllClose(expected, c.AsSpan(i * m * n, m * n), 1e-5, 1e-5);
        }
    }

    [Fact]
    public void Grouped_gives_each_expert_its_own_rows_and_weights_including_empty_groups()
    {
        int[] rows = { 3, 0, 33, 1 };
        const int n = 40, k = 17;
        int total = rows.Sum();
        var a = TestData.Normal(total * k, 19);
        var b = TestData.Normal(rows.Length * k * n, 20);
        var c = new float[total * n];
        Gemm.Grouped(a, b, c, rows, n, k, GemmPrecision.Bf16);
        int r0 = 0;
        for (int g = 0; g < rows.Length; g++)
        {
            if (rows[g] > 0)
            {
                var expected = new float[rows[g] * n];
                Gemm.Bf16Reference(a.AsSpan(r0 * k, rows[g] * k), b.AsSpan(g * k * n, k * n), expected, rows[g], n, k);
                TestData.AllClose(expected, c.AsSpan(r0 * n, rows[g] * n), 1e-4, 1e-5);
            }
            r0 += rows[g];
        }
    }

    [Fact]
    public void Bad_shapes_and_scales_name_the_parameter()
    {
        var a = new float[6]; var b = new float[6]; var c = new float[4];
        Assert.Equal("b", Assert.Throws<KernelArgumentException>(() =>
            Gemm.Fp32(a, new float[5], c, 2, 2, 3)).ParamName);
        Assert.Equal("c", Assert.Throws<KernelArgumentException>(() =>
            Gemm.Fp32(a, b, new float[5], 2, 2, 3)).ParamName);
        Assert.Equal("m", Assert.Throws<KernelArgumentException>(() => Gemm.Fp32(a, b, c, 0, 2, 3)).ParamName);
        Assert.Equal("k", Assert.Throws<KernelArgumentException>(() => Gemm.Bf16(a, b, c, 2, 2, -3)).ParamName);
        Assert.Equal("threads", Assert.Throws<KernelArgumentException>(() =>
            Gemm.Fp32(a, b, c, 2, 2, 3, -1)).ParamName);
        var codes = new byte[6];
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, 0f, -1f })
        {
            var ex = Assert.Throws<KernelArgumentException>(() =>
                Gemm.Fp8(codes, new[] { 1f, bad }, codes, new[] { 1f }, c, 2, 2, 3, Fp8Format.E4M3));
            Assert.Equal("aScales", ex.ParamName);
            Assert.Equal("bScales", Assert.Throws<KernelArgumentException>(() =>
                Gemm.Fp8(codes, new[] { 1f, 1f }, codes, new[] { bad }, c, 2, 2, 3, Fp8Format.E5M2)).ParamName);
        }
        Assert.Equal("aScales", Assert.Throws<KernelArgumentException>(() =>
            Gemm.Fp8(codes, new[] { 1f }, codes, new[] { 1f }, c, 2, 2, 3, Fp8Format.E4M3)).ParamName);
        Assert.Equal("groupRows", Assert.Throws<KernelArgumentException>(() =>
            Gemm.Grouped(a, b, new float[4], new[] { 2, -1 }, 2, 3)).ParamName);
        Assert.Equal("a", Assert.Throws<KernelArgumentException>(() =>
            Gemm.Fp8BlockScaled(new[] { float.NaN, 0, 0, 0, 0, 0 }, b, c, 2, 2, 3, Fp8Format.E4M3)).ParamName);
    }

    private static void AssertWithinBound(float[] a, float[] b, float[] c, int m, int n, int k) =>
        AssertWithinBound(TestData.Fp64Gemm(a, b, m, n, k), c, k);

    private static void AssertWithinBound((double[] C, double[] Abs) reference, float[] c, int k)
    {
        var (exact, abs) = reference;
        double u = Math.ScaleB(1, -24);
        for (int i = 0; i < c.Length; i++)
        {
            double bound = (k + 2) * u * abs[i] * 1.01 + 1e-30; // γ_k·Σ|a||b|, valid for any summation order
            Assert.True(Math.Abs(c[i] - exact[i]) <= bound,
                $"element {i}: {c[i]:R} vs {exact[i]:R} (bound {bound:E2})");
        }
    }
}
