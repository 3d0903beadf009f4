namespace HardwareEmulator.Domain.Timing;

/// <summary>Constants of the timing model. Each is explained, with its source or as an assumption, in
/// docs/EMULATOR.md.</summary>
public static class TimingConstants
{
    /// <summary>Fixed per-kernel latency (launch gap, grid start, tail), seconds. Assumption: back-to-back kernel gaps
    /// of 2–4 µs.</summary>
    public const double LaunchLatencySeconds = 3e-6;

    /// <summary>Prologue/epilogue cost of one GEMM tile in units of K (pipeline fill plus the unhidden
    /// epilogue).</summary>
    public const double TileOverheadK = 128;

    /// <summary>K depth of the operand slab a rasterized GEMM keeps in L2 (half of L2 holds rows + columns of one
    /// slab).</summary>
    public const double L2SlabK = 256;

    /// <summary>Smallest K slice a split-K GEMM gives one SM.</summary>
    public const double MinSplitK = 256;

    /// <summary>
    /// Bytes at which a streaming kernel reaches half its bandwidth ceiling: fits Calculon's HBM efficiency steps
    /// (≥100 MB 0.95, ≥10 MB 0.9, ≥1 MB 0.7, else 0.3) by e(B) = e_max · B / (B + B½).
    /// </summary>
    public const double MemoryHalfBytes = 0.4e6;

    /// <summary>
    /// Attention kernels reach this fraction of the calibrated GEMM rate: FlashMLA's compute-bound 580 TFLOPS on H800
    /// over the NVIDIA large-GEMM default (989.4 × 0.8215 TFLOPS).
    /// </summary>
    public const double AttentionOverGemm = 580.0 / (989.4 * 0.8215);

    /// <summary>Query rows per attention tile (FlashAttention/FlashMLA block); 64 when fewer rows.</summary>
    public const int AttentionBlockRows = 128;

    /// <summary>Shape at which matmul efficiencies are calibrated (MAMF reference shape).</summary>
    public const long CalibrationSize = 8192;

    /// <summary>Fallback vector rate for devices without an FP32 figure (TPUs): this share of the BF16 matrix
    /// peak.</summary>
    public const double VectorOverMatrixFallback = 1.0 / 16;

    /// <summary>GEMM tile shapes (rows × columns of the output) the model chooses from, like cuBLAS
    /// heuristics.</summary>
    internal static readonly (int M, int N)[] Tiles = [(64, 64), (64, 128), (128, 64), (128, 128), (64, 256),
        (128, 256), (256, 128)];
}
