namespace HardwareEmulator.Domain.Timing;

/// <summary>Accelerator generations with their own published fused-attention throughput curves.</summary>
public enum AttentionGeneration
{
    /// <summary>NVIDIA Ampere (A100, A800): FlashAttention-2.</summary>
    Ampere,
    /// <summary>NVIDIA Hopper (H100, H800, H200, H20): FlashAttention-3. Also the curve used for devices without
    /// published curves of their own.</summary>
    Hopper,
}

/// <summary>
/// Calibration table of fused prefill attention: the fraction of the device's dense 16-bit peak a FlashAttention
/// forward pass reaches, by key length, head dimension and causal mask, per device generation. Short sequences run
/// far below the long-sequence plateau (fewer key blocks to amortise each tile's prologue and epilogue, and under a
/// causal mask a larger share of half-empty diagonal blocks). Sources and derivation: docs/EMULATOR.md, "Prefill
/// attention by sequence length".
/// </summary>
public static class AttentionEfficiency
{
    /// <summary>Sequence lengths of the published curves (batch × length = 16k tokens, 2,048 hidden).</summary>
    public static readonly double[] SeqLens = [512, 1024, 2048, 4096, 8192, 16384];

    /// <summary>Head dimensions of the published curves.</summary>
    public static readonly double[] HeadDims = [64, 128, 256];

    /// <summary>Dense FP16 peak of the H100 SXM5 the published curves were measured on, TFLOPS.</summary>
    public const double H100PeakTflops = 989.4;

    /// <summary>Dense FP16 peak of the A100, TFLOPS.</summary>
    public const double A100PeakTflops = 312;

    /// <summary>FlashAttention-2's forward plateau on A100: 73% of the peak (FlashAttention-2 paper, arXiv
    /// 2307.08691: "50-73% of the theoretical maximum FLOPs/s on A100", the top of the range being the
    /// forward pass).</summary>
    public const double A100Fa2Plateau = 0.73;

    /// <summary>Keys worth of per-tile fixed work below the shortest published length (an assumption: the 512-key
    /// point runs at about half the plateau on both generations, which a prologue of ~512 keys reproduces).</summary>
    public const double PrologueKeys = 512;

    // FlashAttention-3 paper (Shah et al., arXiv 2407.08608) Fig. 5, H100 80GB SXM5, FP16 forward, TFLOPS at
    // SeqLens: [head dim index][causal ? 1 : 0].
    internal static readonly double[][][] Fa3H100 =
    [
        [[333, 392, 460, 476, 496, 497], [197, 265, 371, 420, 460, 473]],
        [[467, 565, 625, 638, 646, 648], [292, 423, 521, 579, 602, 616]],
        [[482, 617, 707, 736, 746, 756], [286, 427, 537, 612, 628, 642]],
    ];

    // The same figure's FlashAttention-2 bars (FA2 uses no Hopper-only instruction, so its curve shape is the
    // kernel's own): TFLOPS at SeqLens.
    internal static readonly double[][][] Fa2H100 =
    [
        [[282, 306, 318, 321, 322, 324], [180, 229, 262, 284, 295, 299]],
        [[309, 350, 362, 368, 370, 370], [191, 260, 298, 319, 333, 335]],
        [[275, 313, 321, 323, 324, 326], [208, 251, 278, 293, 297, 298]],
    ];

    /// <summary>The generation whose curve times <paramref name="deviceId"/>: Ampere for A100/A800, Hopper
    /// otherwise (B200 and non-NVIDIA parts have no published curve in these sources; Hopper's is the assumption).
    /// </summary>
    public static AttentionGeneration GenerationOf(string deviceId) =>
        deviceId.StartsWith("a100", StringComparison.OrdinalIgnoreCase)
        || deviceId.StartsWith("a800", StringComparison.OrdinalIgnoreCase)
            ? AttentionGeneration.Ampere
            : AttentionGeneration.Hopper;

    /// <summary>Published (or, for Ampere, derived) forward TFLOPS of one table point on its reference device.
    /// </summary>
    public static double TableTflops(AttentionGeneration g, int headDimIndex, bool causal, int seqIndex)
    {
        int c = causal ? 1 : 0;
        if (g == AttentionGeneration.Hopper) return Fa3H100[headDimIndex][c][seqIndex];
        // Ampere: FlashAttention-2's curve shape (relative to its own 16k non-causal plateau at this head dim),
        // scaled to the A100 forward plateau.
        double plateau = Fa2H100[headDimIndex][0][^1];
        return Fa2H100[headDimIndex][c][seqIndex] / plateau * A100Fa2Plateau * A100PeakTflops;
    }

    /// <summary>Reference device peak of a generation's table, TFLOPS.</summary>
    public static double ReferencePeakTflops(AttentionGeneration g) =>
        g == AttentionGeneration.Ampere ? A100PeakTflops : H100PeakTflops;

    /// <summary>
    /// Fraction of the dense 16-bit peak reached by a prefill attention over <paramref name="keys"/> keys with head
    /// dimension <paramref name="headDim"/> (the mean of the QK and V dimensions for MLA): bilinear in log2 of both,
    /// clamped to the published head dimensions; above 16k keys the 16k value holds; below 512 keys the 512 value
    /// falls as keys / (keys + <see cref="PrologueKeys"/>).
    /// </summary>
    public static double Fraction(AttentionGeneration g, double keys, double headDim, bool causal)
    {
        double dPos = Position(HeadDims, headDim);
        int d0 = (int)Math.Floor(dPos), d1 = Math.Min(d0 + 1, HeadDims.Length - 1);
        double fd = dPos - d0;
        double l = Math.Max(1, keys);
        double sPos = Position(SeqLens, Math.Max(l, SeqLens[0]));
        int s0 = (int)Math.Floor(sPos), s1 = Math.Min(s0 + 1, SeqLens.Length - 1);
        double fs = sPos - s0;
        double At(int d) => (1 - fs) * TableTflops(g, d, causal, s0) + fs * TableTflops(g, d, causal, s1);
        double tflops = (1 - fd) * At(d0) + fd * At(d1);
        if (l < SeqLens[0])
            tflops *= l / (l + PrologueKeys) / (SeqLens[0] / (SeqLens[0] + PrologueKeys));
        return tflops / ReferencePeakTflops(g);
    }

    /// <summary>Fractional index of <paramref name="v"/> in the increasing grid, in log2, clamped to its ends.
    /// </summary>
    private static double Position(double[] grid, double v)
    {
        if (v <= grid[0]) return 0;
        if (v >= grid[^1]) return grid.Length - 1;
        int i = 0;
        while (grid[i + 1] < v) i++;
        return i + (Math.Log2(v) - Math.Log2(grid[i])) / (Math.Log2(grid[i + 1]) - Math.Log2(grid[i]));
    }
}
