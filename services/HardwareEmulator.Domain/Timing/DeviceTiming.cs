using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Errors;
using static HardwareEmulator.Domain.Timing.TimingConstants;

namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// The timing model bound to one device: derived rates and the calibrated matmul fractions. Every method
/// is a closed-form formula of shapes and device figures (docs/EMULATOR.md); no host time enters.
/// Methods take plain numbers so the EstimateOps fast path allocates nothing per op.
/// </summary>
public sealed class DeviceTiming
{
    private readonly double[] _peak = new double[8];      // FLOP/s at 100 % per dtype
    private readonly double[] _smRate = new double[8];    // calibrated FLOP/s per SM per dtype
    private readonly double[] _fraction = new double[8];  // calibrated per-tile fraction of peak

    public DeviceSpec Device { get; }
    /// <summary>Cluster figures the device does not carry (the catalog's neutral profile unless stated).</summary>
    public TimingProfile Profile { get; }
    /// <summary>Which published fused-attention curve times this device's prefill attention.</summary>
    public AttentionGeneration AttentionGeneration { get; }
    public int Sms { get; }
    public double HbmBytesPerSecond { get; }
    public double MemoryEfficiency { get; }
    public double L2BytesPerSecond { get; }
    public double VectorFlopsPerSecond { get; }
    /// <summary>L2 (last-level on-chip memory) capacity in bytes.</summary>
    public double L2Bytes { get; }

    public DeviceTiming(DeviceSpec d, TimingProfile? profile = null)
    {
        Device = d;
        Profile = profile ?? TimingProfile.Catalog;
        AttentionGeneration = AttentionEfficiency.GenerationOf(d.Id);
        Sms = Math.Max(1, d.ComputeUnits);
        HbmBytesPerSecond = d.HbmTbps * 1e12;
        MemoryEfficiency = DeviceDefaults.Memory(d);
        L2BytesPerSecond = DeviceDefaults.L2Tbps(d) * 1e12;
        L2Bytes = d.L2Mb * 1e6;
        double matrixBf16 = d.PeakTflops(DataType.Bf16) * 1e12;
        VectorFlopsPerSecond = (d.Fp32 > 0 ? d.Fp32 * 1e12 : matrixBf16 * VectorOverMatrixFallback)
            * DeviceDefaults.MatmulEfficiencyBf16(d);
        foreach (var t in Enum.GetValues<DataType>())
        {
            _peak[(int)t] = d.PeakTflops(t) * 1e12;
            if (_peak[(int)t] <= 0) continue;
            _fraction[(int)t] = Calibrate(t, DeviceDefaults.MatmulEfficiency(d, t));
            _smRate[(int)t] = _peak[(int)t] * _fraction[(int)t] / Sms;
        }
    }

    /// <summary>Per-tile fraction of peak after calibration (what a full wave of long-K tiles reaches).</summary>
    public double TileFraction(DataType t) => _fraction[(int)t];
    public double PeakFlops(DataType t) => _peak[(int)t];

    /// <summary>
    /// Solves for the per-tile fraction f so that the modelled 8192³ GEMM reaches the measured fraction
    /// (its wave quantization and tile overheads included). Two fixed-point steps converge: the model is
    /// linear in 1/f while compute-bound.
    /// </summary>
    private double Calibrate(DataType t, double measured)
    {
        double f = measured;
        for (int i = 0; i < 3; i++)
        {
            var probe = GemmCore(t, CalibrationSize, CalibrationSize, CalibrationSize, 1, _peak[(int)t] * f / Sms);
            double achieved = probe.Flops / probe.DeviceSeconds / _peak[(int)t];
            f = Math.Min(1.0, f * measured / achieved);
        }
        return f;
    }

    private double SmRate(DataType t, string field)
    {
        double r = _smRate[(int)t];
        return r > 0 ? r
            : throw new PreconditionFailedException(field, $"device '{Device.Id}' has no {t} units (peak 0)");
    }

    /// <summary>HBM time of a streaming transfer: bandwidth ceiling with the size-dependent fill term.</summary>
    public double MemorySeconds(double bytes) =>
        bytes <= 0 ? 0 : (bytes + MemoryHalfBytes) / (HbmBytesPerSecond * MemoryEfficiency);

    /// <summary>HBM time of a GEMM's operand traffic (streams at <see cref="GemmStreamOverMemory"/> of the rate).
    /// </summary>
    public double GemmMemorySeconds(double bytes) => MemorySeconds(bytes) / GemmStreamOverMemory;

    // ---------------------------------------------------------------- GEMM

    /// <summary>C[batch,m,n] = A[batch,m,k]·B[batch,k,n] (field names the dtype for errors).</summary>
    public OpTime Gemm(DataType t, long m, long n, long k, long batch = 1, string field = "dtype") =>
        GemmCore(t, m, n, k, Math.Max(1, batch), SmRate(t, field) * Profile.GemmOverCatalog);

    /// <summary>Per-tile prologue/epilogue in units of K: FP8 tiles pay more of it (see
    /// <see cref="TimingConstants.Fp8TileOverheadK"/>).</summary>
    public static double TileOverhead(DataType t) =>
        t is DataType.Fp8E4M3 or DataType.Fp8E5M2 ? Fp8TileOverheadK : TileOverheadK;

    private OpTime GemmCore(DataType t, double m, double n, double k, double batch, double smRate)
    {
        double inB = DeviceSpec.BytesPerElement(t), outB = DeviceSpec.OutputBytesPerElement(t);
        double k0 = TileOverhead(t);
        double flops = 2 * m * n * k * batch;
        var best = new Candidate(double.MaxValue, 0, 0, 0, 0);
        foreach (var (bm, bn) in Tiles)
        {
            double tm = Math.Ceiling(m / bm), tn = Math.Ceiling(n / bn);
            double tilesPer = tm * tn, tiles = tilesPer * batch;
            double sMax = tiles < Sms ? Math.Max(1, Math.Min(Math.Floor(Sms / tiles), Math.Floor(k / MinSplitK))) : 1;
            Consider(ref best,
                TileCandidate(bm, bn, 1, m, n, k, batch, tm, tn, tilesPer, tiles, inB, outB, smRate, k0));
            if (sMax > 1)
                Consider(ref best,
                    TileCandidate(bm, bn, sMax, m, n, k, batch, tm, tn, tilesPer, tiles, inB, outB, smRate, k0));
        }
        return Finish(flops, best.HbmBytes, best.Compute, best.Hbm, best.L2, best.L2Bytes, _peak[(int)t]);
    }

    private readonly record struct Candidate(double Time, double Compute, double Hbm, double L2, double HbmBytes)
    {
        public double L2Bytes { get; init; }
    }

    private static void Consider(ref Candidate best, Candidate c)
    {
        if (c.Time < best.Time) best = c;
    }

    /// <summary>One tiling: wave quantization over the SMs, operand reuse within a wave through L2, split-K
    /// partials.</summary>
    private Candidate TileCandidate(int bm, int bn, double s, double m, double n, double k, double batch,
        double tm, double tn, double tilesPer, double tiles, double inB, double outB, double smRate, double k0)
    {
        double ks = Math.Ceiling(k / s);
        double units = tiles * s;
        double waves = Math.Ceiling(units / Sms);
        double compute = waves * 2.0 * bm * bn * (ks + k0) / smRate;

        // Tiles resident in one wave form a near-square block; its A rows and B columns come from HBM once.
        // A rasterized (swizzled) schedule reuses a larger block when L2 holds one K-slab of it (whichever is larger).
        double tw = Math.Clamp(Math.Floor(Sms / s), 1, tilesPer);
        double cols = Math.Min(tn, Math.Ceiling(Math.Sqrt(tw)));
        double rows = Math.Min(tm, Math.Ceiling(tw / cols));
        double l2Side = L2Bytes / (4.0 * L2SlabK * inB);
        double blockRows = Math.Min(m, Math.Max(rows * bm, l2Side));
        double blockCols = Math.Min(n, Math.Max(cols * bn, l2Side));
        // A is read once per column block, B once per row block; a partial last block moves only its real
        // rows/columns (a GEMV with N just past a block multiple is not charged a whole extra block).
        double operands = batch * k * inB * (Math.Ceiling(n / blockCols) * m + Math.Ceiling(m / blockRows) * n);
        double partials = s > 1 ? batch * m * n * 4.0 * 2.0 * s : 0; // FP32 partial sums written and read back
        double output = batch * m * n * outB;
        double hbmBytes = operands + output + partials;
        // Every tile loads its real rows of A and columns of B per K step (edge tiles load only what exists).
        double l2Bytes = batch * s * ks * (tn * m + tm * n) * inB + output + partials;

        double hbm = GemmMemorySeconds(hbmBytes);
        double l2 = l2Bytes / L2BytesPerSecond;
        return new Candidate(Math.Max(compute, Math.Max(hbm, l2)), compute, hbm, l2, hbmBytes) { L2Bytes = l2Bytes };
    }

    /// <summary>Grouped GEMM (MoE experts) in one persistent kernel: every group's tiles share the waves.</summary>
    public OpTime GroupedGemm(DataType t, IReadOnlyList<long> mPerGroup, long n, long k, string field = "dtype")
    {
        double smRate = SmRate(t, field) * Profile.GemmOverCatalog;
        double inB = DeviceSpec.BytesPerElement(t), outB = DeviceSpec.OutputBytesPerElement(t);
        double rowsTotal = 0, active = 0;
        for (int i = 0; i < mPerGroup.Count; i++)
            if (mPerGroup[i] > 0) { rowsTotal += mPerGroup[i]; active++; }
        double flops = 2 * rowsTotal * n * k;
        if (active == 0) return new OpTime(LaunchLatencySeconds, 0, 0, BoundKind.Latency, 0);
        var best = new Candidate(double.MaxValue, 0, 0, 0, 0);
        foreach (var (bm, bn) in Tiles)
        {
            double tn = Math.Ceiling((double)n / bn), tiles = 0;
            for (int i = 0; i < mPerGroup.Count; i++)
                if (mPerGroup[i] > 0) tiles += Math.Ceiling(mPerGroup[i] / (double)bm) * tn;
            double waves = Math.Ceiling(tiles / Sms);
            double compute = waves * 2.0 * bm * bn * (k + TileOverhead(t)) / smRate;
            // Each active expert's weights are read once (masked groups skip theirs); activations once per column
            // block.
            double colBlocks = Math.Ceiling(tn / Math.Max(1, Math.Ceiling(Math.Sqrt(Math.Min(Sms, tiles)))));
            double hbmBytes = active * k * n * inB + colBlocks * rowsTotal * k * inB + rowsTotal * n * outB;
            double l2Bytes = tiles * k * (bm + bn) * inB + rowsTotal * n * outB;
            double hbm = GemmMemorySeconds(hbmBytes), l2 = l2Bytes / L2BytesPerSecond;
            Consider(ref best,
                new Candidate(Math.Max(compute, Math.Max(hbm, l2)), compute, hbm, l2, hbmBytes) { L2Bytes = l2Bytes });
        }
        return Finish(flops, best.HbmBytes, best.Compute, best.Hbm, best.L2, best.L2Bytes, _peak[(int)t]);
    }

    // ---------------------------------------------------------------- attention

    /// <summary>Fused scaled-dot-product attention (FlashAttention/FlashMLA style: scores never reach HBM).</summary>
    public OpTime Attention(DataType t, long batch, long queryLen, long kvLen, long heads, long kvHeads,
        long headDimQk, long headDimV, bool causal, string field = "dtype")
    {
        double smRate = SmRate(t, field) * AttentionOverGemm;
        // Prefill (more than one query per sequence): the published FlashAttention curve of this generation at the
        // actual key length and head dimension replaces the flat long-sequence rate (AttentionEfficiency.cs).
        if (queryLen > 1)
            smRate = _peak[(int)t] / Sms * AttentionEfficiency.Fraction(AttentionGeneration, kvLen,
                (headDimQk + headDimV) / 2.0, causal);
        double inB = DeviceSpec.BytesPerElement(t);
        double b = batch, q = queryLen, kv = kvLen, h = heads, kvh = Math.Max(1, kvHeads);
        double pairs = causal ? CausalPairs(queryLen, kvLen) : q * kv;
        double flops = 2 * b * h * pairs * (headDimQk + headDimV);
        double bytes = b * (q * h * headDimQk + kv * kvh * (headDimQk + headDimV) + q * h * headDimV) * inB;

        // GQA packs the query heads of one KV head into the tile rows; short row counts pad to 64.
        double rows = q * (h / kvh);
        double block = rows <= 64 ? 64 : AttentionBlockRows;
        double rowTiles = Math.Ceiling(rows / block);
        double padding = rowTiles * block / rows;
        double units = b * kvh * rowTiles;
        double split = 1;
        if (units < Sms) split = Math.Max(1, Math.Min(Math.Floor(Sms / units), Math.Floor(kv / 256))); // flash-decoding
        units *= split;
        double waves = Math.Ceiling(units / Sms);
        double waveEfficiency = units / (waves * Sms);
        double compute = flops * padding / (Sms * smRate * waveEfficiency);
        double partials = split > 1 ? b * h * q * headDimV * 4.0 * 2.0 * split : 0;
        double hbmBytes = bytes + partials;
        return Finish(flops, hbmBytes, compute, MemorySeconds(hbmBytes), 0, 0, _peak[(int)t]);
    }

    /// <summary>Query–key pairs under a causal mask when the queries are the last <paramref name="q"/> of
    /// <paramref name="kv"/> positions.</summary>
    public static double CausalPairs(long q, long kv) =>
        q <= kv ? (double)q * kv - (double)q * (q - 1) / 2.0 : (double)kv * (kv + 1) / 2.0;

    // ---------------------------------------------------------------- element-wise

    /// <summary>A memory-streaming kernel: FLOPs on the vector units, bytes through HBM (the share still in L2 from
    /// the kernels before at the L2 rate). Row kernels (one thread block per row: norms, activations, rope, quantize)
    /// reach <see cref="RowKernelOverMemory"/> of the streaming rate (rope <see cref="RopeOverRowKernel"/> of that),
    /// and with <paramref name="rows"/> stated, at most <see cref="RowBlockBytesPerSecond"/> per row.</summary>
    public OpTime Elementwise(DataType t, ElementwiseOpKind kind, long elements, long rows = 0)
    {
        double e = elements, b = DeviceSpec.BytesPerElement(t);
        var (flopsPer, bytes) = kind switch
        {
            ElementwiseOpKind.Softmax => (5.0, 2 * e * b),
            ElementwiseOpKind.RmsNorm => (4.0, 3 * e * b),             // reads x twice (statistics, then scale)
            ElementwiseOpKind.LayerNorm => (7.0, 3 * e * b),
            ElementwiseOpKind.Silu => (4.0, 2 * e * b),
            ElementwiseOpKind.Gelu => (8.0, 2 * e * b),
            ElementwiseOpKind.SwiGlu => (3.0, 1.5 * e * b),             // reads gate|up, writes half
            ElementwiseOpKind.Rope => (3.0, 2 * e * b),
            ElementwiseOpKind.Quantize => (3.0, 2 * e + e * b + e / 128 * 4), // BF16 in, dtype out, FP32 scale per 128
            ElementwiseOpKind.Dequantize => (2.0, e * b + e / 128 * 4 + 2 * e),
            // router logits read; top-k indices negligible
            ElementwiseOpKind.MoeGating => (8.0, e * b),
            ElementwiseOpKind.Add => (1.0, 3 * e * b),                  // two inputs, one output
            _ => (0.0, 2 * e * b),                                      // copy
        };
        double flops = flopsPer * e;
        bool rowKernel = kind is not (ElementwiseOpKind.Copy or ElementwiseOpKind.Add);
        double rate = !rowKernel ? 1.0
            : kind == ElementwiseOpKind.Rope ? RowKernelOverMemory * RopeOverRowKernel : RowKernelOverMemory;
        // Part of the inputs is still in L2 from the kernels before: those bytes move at the L2 rate.
        double hit = bytes > 0 ? Math.Min(ElementwiseL2MaxHit, ElementwiseL2ResidentShare * L2Bytes / bytes) : 0;
        double memory = (MemorySeconds(bytes * (1 - hit)) + bytes * hit / L2BytesPerSecond) / rate;
        if (rowKernel && rows > 0) memory = Math.Max(memory, bytes / rows / RowBlockBytesPerSecond);
        return Finish(flops, bytes, flops / VectorFlopsPerSecond, memory, 0, 0,
            VectorFlopsPerSecond / DeviceDefaults.MatmulEfficiencyBf16(Device), ElementwiseLatencySeconds);
    }

    // ---------------------------------------------------------------- collectives

    /// <summary>NCCL collective of <paramref name="bytes"/> over <paramref name="ranks"/> devices,
    /// <paramref name="ranksPerNode"/> per scale-up domain (<see cref="CollectiveTiming"/>).</summary>
    public OpTime Collective(CollectiveOpKind kind, long bytes, int ranks, int ranksPerNode) =>
        CollectiveTiming.Estimate(this, kind, bytes, ranks, ranksPerNode);

    // ---------------------------------------------------------------- roofline

    /// <summary>Hierarchical roofline: the slowest of compute, HBM and L2, plus the fixed per-kernel latency.</summary>
    private OpTime Finish(double flops, double hbmBytes, double compute, double hbm, double l2, double l2Bytes,
        double peakFlops, double latency = LaunchLatencySeconds)
    {
        double core = Math.Max(compute, Math.Max(hbm, l2));
        double time = core + latency;
        double computeFraction = peakFlops > 0 ? flops / time / peakFlops : 0;
        double hbmFraction = hbmBytes / time / HbmBytesPerSecond;
        if (latency >= core)
            return new OpTime(time, flops, hbmBytes, BoundKind.Latency, Math.Max(computeFraction, hbmFraction));
        if (compute >= Math.Max(hbm, l2))
            return new OpTime(time, flops, hbmBytes, BoundKind.Compute, computeFraction);
        double memFraction = l2 > hbm ? l2Bytes / time / L2BytesPerSecond : hbmFraction;
        return new OpTime(time, flops, hbmBytes, BoundKind.Memory, memFraction);
    }
}
