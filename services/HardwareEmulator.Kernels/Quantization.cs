namespace HardwareEmulator.Kernels;

/// <summary>
/// Block-scaled FP8 quantization (DeepSeek-V3 §3.3, DeepGEMM): a [rows, cols] row-major tensor is cut into
/// blockRows×blockCols blocks (activations 1×128, weights 128×128; edge blocks are partial), each block gets
/// scale = max(amax, 1e-4) / formatMax (the 1e-4 floor is DeepGEMM's, so an all-zero block gets a harmless scale)
/// and codes = FP8(x / scale) with round-to-nearest-even and saturation. Scales are row-major
/// [⌈rows/blockRows⌉, ⌈cols/blockCols⌉]; x ≈ decode(code) · scale.
/// </summary>
public static class Quantization
{
    /// <summary>DeepSeek-V3's block edge: activations 1×128 tiles, weights 128×128 blocks, K promoted every
    /// 128.</summary>
    public const int BlockSize = 128;
    private const float AmaxFloor = 1e-4f;

    public static int ScaleCount(int rows, int cols, int blockRows, int blockCols) =>
        checked(((rows + blockRows - 1) / blockRows) * ((cols + blockCols - 1) / blockCols));

    public static unsafe void QuantizeBlocks(ReadOnlySpan<float> x, int rows, int cols, int blockRows, int blockCols,
        Fp8Format format, Span<byte> codes, Span<float> scales)
    {
        ValidateShape(rows, cols, blockRows, blockCols);
        Check.Length(x.Length, (long)rows * cols, nameof(x), $"rows×cols = {rows}×{cols}");
        Check.Length(codes.Length, (long)rows * cols, nameof(codes), $"rows×cols = {rows}×{cols}");
        Check.Length(scales.Length, ScaleCount(rows, cols, blockRows, blockCols), nameof(scales),
            $"⌈rows/blockRows⌉×⌈cols/blockCols⌉ for {rows}×{cols} in {blockRows}×{blockCols} blocks");
        Check.AllFinite(x, nameof(x));
        float fmax = Fp8.MaxFinite(format);
        int bcCount = (cols + blockCols - 1) / blockCols;
        fixed (float* px = x) fixed (byte* pc = codes) fixed (float* ps = scales)
            for (int br = 0; br * blockRows < rows; br++)
                for (int bc = 0; bc < bcCount; bc++)
                {
                    int r0 = br * blockRows, r1 = Math.Min(rows, r0 + blockRows);
                    int c0 = bc * blockCols, c1 = Math.Min(cols, c0 + blockCols);
                    float amax = 0f;
                    for (int r = r0; r < r1; r++) amax = MathF.Max(amax, AbsMax(px + (long)r * cols + c0, c1 - c0));
                    float scale = MathF.Max(amax, AmaxFloor) / fmax;
                    ps[br * bcCount + bc] = scale;
                    for (int r = r0; r < r1; r++)
                        Fp8.EncodeScaled(px + (long)r * cols + c0, pc + (long)r * cols + c0, c1 - c0, scale, format);
                }
    }

    public static unsafe void DequantizeBlocks(ReadOnlySpan<byte> codes, ReadOnlySpan<float> scales, int rows, int cols,
        int blockRows, int blockCols, Fp8Format format, Span<float> x)
    {
        ValidateShape(rows, cols, blockRows, blockCols);
        Check.Length(codes.Length, (long)rows * cols, nameof(codes), $"rows×cols = {rows}×{cols}");
        Check.Length(scales.Length, ScaleCount(rows, cols, blockRows, blockCols), nameof(scales),
            $"⌈rows/blockRows⌉×⌈cols/blockCols⌉ for {rows}×{cols} in {blockRows}×{blockCols} blocks");
        Check.Length(x.Length, (long)rows * cols, nameof(x), $"rows×cols = {rows}×{cols}");
        Check.Scales(scales, nameof(scales));
        int bcCount = (cols + blockCols - 1) / blockCols;
        fixed (byte* pc = codes) fixed (float* px = x) fixed (float* table = Fp8.Table(format))
            for (int r = 0; r < rows; r++)
                for (int c0 = 0; c0 < cols; c0 += blockCols)
                    Fp8.DecodeScaled(pc + (long)r * cols + c0, px + (long)r * cols + c0, Math.Min(blockCols, cols - c0),
                        scales[(r / blockRows) * bcCount + c0 / blockCols], table);
    }

    /// <summary>Activations: one scale per 1×128 tile of each row.</summary>
    public static void QuantizeActivations(ReadOnlySpan<float> x, int rows, int cols, Fp8Format format,
        Span<byte> codes, Span<float> scales) => QuantizeBlocks(x, rows, cols, 1, BlockSize, format, codes, scales);

    /// <summary>Weights: one scale per 128×128 block.</summary>
    public static void QuantizeWeights(ReadOnlySpan<float> x, int rows, int cols, Fp8Format format,
        Span<byte> codes, Span<float> scales) =>
            QuantizeBlocks(x, rows, cols, BlockSize, BlockSize, format, codes, scales);

    /// <summary>BF16 "quantization": every element rounded to bfloat16 (stored back as float32).</summary>
    public static void ToBf16(ReadOnlySpan<float> x, Span<float> rounded) => BFloat16.Round(x, rounded);

    private static unsafe float AbsMax(float* x, int n)
    {
        int i = 0;
        float amax = 0f;
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = System.Runtime.Intrinsics.Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16)
                acc = System.Runtime.Intrinsics.Vector512.Max(acc,
                    System.Runtime.Intrinsics.Vector512.Abs(System.Runtime.Intrinsics.Vector512.Load(x + i)));
            amax = V512.MaxAcross(
                System.Runtime.CompilerServices.Unsafe.As<System.Runtime.Intrinsics.Vector512<float>, V512>(ref acc));
        }
        for (; i < n; i++) amax = MathF.Max(amax, MathF.Abs(x[i]));
        return amax;
    }

    private static void ValidateShape(int rows, int cols, int blockRows, int blockCols)
    {
        Check.Positive(rows, nameof(rows));
        Check.Positive(cols, nameof(cols));
        Check.Positive(blockRows, nameof(blockRows));
        Check.Positive(blockCols, nameof(blockCols));
    }
}
