namespace HardwareEmulator.Kernels;

/// <summary>Input precision of a GEMM; accumulation is always FP32.</summary>
public enum GemmPrecision
{
    Fp32 = 0,
    /// <summary>Inputs rounded to bfloat16 (RNE); products are exact in FP32.</summary>
    Bf16 = 1,
    /// <summary>Inputs quantized to E4M3 with DeepSeek-V3 block scales (1×128 activations, 128×128
    /// weights).</summary>
    Fp8E4M3 = 2,
    /// <summary>As <see cref="Fp8E4M3"/> in E5M2.</summary>
    Fp8E5M2 = 3,
}

/// <summary>
/// Matrix multiply C[m×n] = A[m×k]·B[k×n], all row-major and dense. <c>threads</c>: 0 = all cores. The fast paths
/// share one packed Goto/BLIS engine (see docs/KERNELS.md); the <c>*Reference</c> methods are the scalar references.
/// </summary>
public static class Gemm
{
    public static double Flops(int m, int n, int k) => 2.0 * m * n * k;

    /// <summary>FP32 GEMM (AVX-512 12×32 micro-kernel, AVX2 6×16, scalar reference otherwise).</summary>
    public static unsafe void Fp32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        int threads = 0)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k);
        int t = Check.Threads(threads);
        if (!Simd.Has256) { Fp32Reference(a, b, c, m, n, k); return; }
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            PackedGemm.Run(new(pa, k, PackedGemm.SourceKind.Float), new(pb, n, PackedGemm.SourceKind.Float), pc, n, m,
                n, k, t, null);
    }

    /// <summary>BF16-input GEMM: A and B rounded to bfloat16 (RNE) while packing, FP32 accumulation, FP32
    /// output.</summary>
    public static unsafe void Bf16(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        int threads = 0)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k);
        int t = Check.Threads(threads);
        if (!Simd.Has256) { Bf16Reference(a, b, c, m, n, k); return; }
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            PackedGemm.Run(new(pa, k, PackedGemm.SourceKind.Bf16), new(pb, n, PackedGemm.SourceKind.Bf16), pc, n, m, n,
                k, t, null);
    }

    /// <summary>
    /// DeepSeek-V3 FP8 GEMM from float inputs: A quantized per 1×128 tile, B per 128×128 block (scale = amax/448
    /// for E4M3, amax/57344 for E5M2), then <see cref="Fp8"/>.
    /// </summary>
    public static void Fp8BlockScaled(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        Fp8Format format, int threads = 0)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k);
        var (qa, sa, qb, sb) = QuantizeOperands(a, b, m, n, k, format);
        Fp8(qa, sa, qb, sb, c, m, n, k, format, threads);
    }

    /// <summary>
    /// FP8 GEMM on pre-quantized operands: A codes [m×k] with scales [m, ⌈k/128⌉] (1×128 tiles), B codes [k×n]
    /// with scales [⌈k/128⌉, ⌈n/128⌉] (128×128 blocks). Products of decoded codes accumulate in FP32 over each
    /// 128-deep block of K; each block's partial sum is then multiplied by sa·sb and added to C in FP32 (the promotion
    /// DeepGEMM does from Hopper's ~14-bit tensor-core accumulators).
    /// </summary>
    public static unsafe void Fp8(ReadOnlySpan<byte> a, ReadOnlySpan<float> aScales, ReadOnlySpan<byte> b,
        ReadOnlySpan<float> bScales, Span<float> c, int m, int n, int k, Fp8Format format, int threads = 0)
    {
        ValidateFp8(a, aScales, b, bScales, c, m, n, k, format);
        int t = Check.Threads(threads);
        if (!Simd.Has256) { Fp8Reference(a, aScales, b, bScales, c, m, n, k, format); return; }
        int kBlocks = Blocks(k), nBlocks = Blocks(n);
        fixed (byte* pa = a) fixed (byte* pb = b) fixed (float* pc = c)
        fixed (float* psa = aScales) fixed (float* psb = bScales) fixed (float* table = Kernels.Fp8.Table(format))
            PackedGemm.Run(new(pa, k, PackedGemm.SourceKind.Fp8, table), new(pb, n, PackedGemm.SourceKind.Fp8, table),
                pc, n, m, n, k, t, new PackedGemm.BlockScales(psa, kBlocks, psb, nBlocks, 0));
    }

    /// <summary>One GEMM in the given input precision (FP8 variants quantize with DeepSeek-V3 block scales).</summary>
    public static void Run(GemmPrecision precision, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, int threads = 0)
    {
        switch (precision)
        {
            case GemmPrecision.Fp32: Fp32(a, b, c, m, n, k, threads); break;
            case GemmPrecision.Bf16: Bf16(a, b, c, m, n, k, threads); break;
            case GemmPrecision.Fp8E4M3: Fp8BlockScaled(a, b, c, m, n, k, Fp8Format.E4M3, threads); break;
            case GemmPrecision.Fp8E5M2: Fp8BlockScaled(a, b, c, m, n, k, Fp8Format.E5M2, threads); break;
            default: throw new KernelArgumentException("precision", $"unknown precision {(int)precision}");
        }
    }

    /// <summary>Strided batch: A [batch, m, k], B [batch, k, n], C [batch, m, n], one GEMM per batch entry.</summary>
    public static void Batched(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int batch, int m, int n,
        int k, GemmPrecision precision = GemmPrecision.Fp32, int threads = 0)
    {
        Check.Positive(batch, nameof(batch));
        Check.Positive(m, nameof(m)); Check.Positive(n, nameof(n)); Check.Positive(k, nameof(k));
        long sa = (long)m * k, sb = (long)k * n, sc = (long)m * n;
        Check.Length(a.Length, batch * sa, nameof(a), $"batch×m×k = {batch}×{m}×{k}");
        Check.Length(b.Length, batch * sb, nameof(b), $"batch×k×n = {batch}×{k}×{n}");
        Check.Length(c.Length, batch * sc, nameof(c), $"batch×m×n = {batch}×{m}×{n}");
        for (int i = 0; i < batch; i++)
            Run(precision, a.Slice((int)(i * sa), (int)sa), b.Slice((int)(i * sb), (int)sb),
                c.Slice((int)(i * sc), (int)sc), m, n, k, threads);
    }

    /// <summary>
    /// Grouped GEMM (MoE experts): group g multiplies its <paramref name="groupRows"/>[g] rows of A (groups stacked:
    /// A [Σrows, k]) by its own weight B[g] (B [groups, k, n]) into its rows of C [Σrows, n]. A group may have zero
    /// rows (an expert that received no tokens).
    /// </summary>
    public static void Grouped(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<int> groupRows,
        int n, int k, GemmPrecision precision = GemmPrecision.Fp32, int threads = 0)
    {
        if (groupRows.IsEmpty) throw new KernelArgumentException(nameof(groupRows), "needs at least one group");
        Check.Positive(n, nameof(n)); Check.Positive(k, nameof(k));
        long total = 0;
        for (int g = 0; g < groupRows.Length; g++)
        {
            if (groupRows[g] < 0)
                throw new KernelArgumentException(nameof(groupRows), $"groupRows[{g}] = {groupRows[g]} is negative");
            total += groupRows[g];
        }
        Check.Length(a.Length, total * k, nameof(a), $"Σrows×k = {total}×{k}");
        Check.Length(b.Length, (long)groupRows.Length * k * n, nameof(b),
            $"groups×k×n = {groupRows.Length}×{k}×{n}");
        Check.Length(c.Length, total * n, nameof(c), $"Σrows×n = {total}×{n}");
        int row = 0;
        for (int g = 0; g < groupRows.Length; g++)
        {
            int rows = groupRows[g];
            if (rows > 0)
                Run(precision, a.Slice(row * k, rows * k), b.Slice(g * k * n, k * n), c.Slice(row * n, rows * n), rows,
                    n, k, threads);
            row += rows;
        }
    }

    /// <summary>Scalar reference: i-p-j loops with FP32 accumulation in k order.</summary>
    public static void Fp32Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k);
        c.Clear();
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                float aip = a[i * k + p];
                var bp = b.Slice(p * n, n);
                for (int j = 0; j < n; j++) ci[j] += aip * bp[j];
            }
        }
    }

    /// <summary>Scalar reference for <see cref="Bf16"/>.</summary>
    public static void Bf16Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k);
        var ra = new float[a.Length]; var rb = new float[b.Length];
        BFloat16.RoundScalar(a, ra);
        BFloat16.RoundScalar(b, rb);
        Fp32Reference(ra, rb, c, m, n, k);
    }

    /// <summary>Scalar reference for <see cref="Fp8"/>: per 128-deep K block, an FP32 partial sum of decoded products,
    /// then C += partial · sa · sb.</summary>
    public static void Fp8Reference(ReadOnlySpan<byte> a, ReadOnlySpan<float> aScales, ReadOnlySpan<byte> b,
        ReadOnlySpan<float> bScales, Span<float> c, int m, int n, int k, Fp8Format format)
    {
        ValidateFp8(a, aScales, b, bScales, c, m, n, k, format);
        var t = Kernels.Fp8.Table(format);
        int kBlocks = Blocks(k), nBlocks = Blocks(n), bs = Quantization.BlockSize;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float acc = 0f;
                for (int kb = 0; kb < kBlocks; kb++)
                {
                    float partial = 0f;
                    for (int p = kb * bs; p < Math.Min(k, (kb + 1) * bs); p++)
                        partial += t[a[i * k + p]] * t[b[p * n + j]];
                    acc += partial * (aScales[i * kBlocks + kb] * bScales[kb * nBlocks + j / bs]);
                }
                c[i * n + j] = acc;
            }
    }

    /// <summary>Quantizes float operands the DeepSeek-V3 way (A 1×128 tiles, B 128×128 blocks).</summary>
    public static (byte[] A, float[] AScales, byte[] B, float[] BScales) QuantizeOperands(ReadOnlySpan<float> a,
        ReadOnlySpan<float> b, int m, int n, int k, Fp8Format format)
    {
        Validate(a.Length, b.Length, m * n, m, n, k);
        Check.AllFinite(a, "a"); // a NaN/∞ would poison its block's scale
        Check.AllFinite(b, "b");
        var qa = new byte[a.Length];
        var sa = new float[m * Blocks(k)];
        var qb = new byte[b.Length];
        var sb = new float[Blocks(k) * Blocks(n)];
        Quantization.QuantizeActivations(a, m, k, format, qa, sa);
        Quantization.QuantizeWeights(b, k, n, format, qb, sb);
        return (qa, sa, qb, sb);
    }

    private static int Blocks(int x) => (x + Quantization.BlockSize - 1) / Quantization.BlockSize;

    private static void Validate(int aLen, int bLen, int cLen, int m, int n, int k)
    {
        Check.Positive(m, nameof(m));
        Check.Positive(n, nameof(n));
        Check.Positive(k, nameof(k));
        Check.Length(aLen, (long)m * k, "a", $"m×k = {m}×{k}");
        Check.Length(bLen, (long)k * n, "b", $"k×n = {k}×{n}");
        Check.Length(cLen, (long)m * n, "c", $"m×n = {m}×{n}");
    }

    private static void ValidateFp8(ReadOnlySpan<byte> a, ReadOnlySpan<float> aScales, ReadOnlySpan<byte> b,
        ReadOnlySpan<float> bScales, Span<float> c, int m, int n, int k, Fp8Format format)
    {
        Validate(a.Length, b.Length, c.Length, m, n, k);
        _ = Kernels.Fp8.Table(format);
        Check.Length(aScales.Length, (long)m * Blocks(k), nameof(aScales), $"m×⌈k/128⌉ = {m}×{Blocks(k)}");
        Check.Length(bScales.Length, (long)Blocks(k) * Blocks(n), nameof(bScales),
            $"⌈k/128⌉×⌈n/128⌉ = {Blocks(k)}×{Blocks(n)}");
        Check.Scales(aScales, nameof(aScales));
        Check.Scales(bScales, nameof(bScales));
    }
}
