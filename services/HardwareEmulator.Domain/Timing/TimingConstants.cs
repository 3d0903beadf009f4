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

    /// <summary>The same for FP8 GEMMs (DeepGEMM-style persistent kernels, 128-deep K blocks): 4 K blocks. An FP8 K
    /// step takes half a BF16 one while the TMA pipeline fill and the BF16 epilogue take the same time, and with few K
    /// iterations the epilogue of one tile no longer hides under the next tile's main loop. Fitted on DeepGEMM's
    /// published H800 TFLOPS for M = 4096 (K 512 … 16384; docs/EMULATOR.md §2.1).</summary>
    public const double Fp8TileOverheadK = 512;

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

    // ------------------------------------------------------------------ fitted on measured A100 times (Vidur)
    // Fitted by `make validate-kernels` on Llama-2-7B/70B layers and the 2-, 8-, 16-rank NCCL all-reduces; every
    // value is a fraction of the device's own rates or a device-independent latency, so it carries to other devices
    // (docs/EMULATOR.md §2.5).

    /// <summary>Share of the device's streaming HBM rate (bandwidth × memory efficiency) a GEMM reaches while it
    /// streams operands (decode GEMV: measured 1.5–1.6 TB/s on A100 against 1.83 for a pure stream).</summary>
    public const double GemmStreamOverMemory = 0.84;

    /// <summary>Fixed time of an element-wise kernel (launch, grid start, one DRAM round trip): the 2 µs of a
    /// one-token residual add; shorter than a GEMM's because there is no pipeline prologue or epilogue.</summary>
    public const double ElementwiseLatencySeconds = 1.5e-6;

    /// <summary>Share of the streaming rate that one-block-per-row kernels (norms, activations, rope, quantize)
    /// reach: scalar loads leave too few bytes in flight to saturate HBM (vLLM's kernels: ~1 TB/s on A100).</summary>
    public const double RowKernelOverMemory = 0.55;

    /// <summary>Share of the row-kernel rate a rotary embedding reaches: vLLM's kernel walks the query and key heads
    /// of a token with strided loads (A100: ~870 GB/s against ~1,000 for norms and SiLU·mul).</summary>
    public const double RopeOverRowKernel = 0.8;

    /// <summary>Share of the L2 capacity an element-wise kernel finds still holding the tensors the kernels before it
    /// wrote (a residual add at a few hundred tokens streams faster than HBM allows).</summary>
    public const double ElementwiseL2ResidentShare = 0.2;

    /// <summary>Most of an element-wise kernel's bytes that can be L2 hits (its inputs, not its output).</summary>
    public const double ElementwiseL2MaxHit = 0.3;

    /// <summary>Bytes per second one thread block streams when a row kernel has fewer rows than the device can
    /// hold (Little's law: bytes in flight per block over DRAM latency). Sets the flat time of small-batch norms
    /// and activations, which grows with the row length, not with the batch.</summary>
    public const double RowBlockBytesPerSecond = 8e9;

    /// <summary>Per-call cost of an all-reduce on top of NCCL's own latency model (<see cref="NcclTuner"/>): kernel
    /// launch and rank skew, which NCCL's tuner leaves out. Fitted on A100 all-reduces of every size, 2-, 8- and
    /// 16-rank (Vidur; 10–40 µs give the same fitted medians within 0.5 points between nodes, 20 µs the best
    /// inside a node).</summary>
    public const double AllReduceCallSeconds = 20e-6;

    /// <summary>Per-call cost of a ring all-gather, reduce-scatter or all-to-all inside a scale-up domain (NCCL
    /// launch, channel handshake, rank skew), on top of the per-hop link latency: fitted with the link rate on A100
    /// NVLink all-reduces of every size, 2 and 8 ranks (Vidur), when all-reduce was timed by the same alpha-beta
    /// formula; kept for the collectives without a measurement of their own.</summary>
    public const double CollectiveCallUpSeconds = 40e-6;

    /// <summary>Per-call cost of a send/recv inside a scale-up domain (A100 NVLink, ≤ 1 MiB).</summary>
    public const double P2pCallUpSeconds = 15e-6;

    /// <summary>Per-call cost of an all-gather, reduce-scatter or all-to-all spanning nodes: fitted with the
    /// inter-node rate on A100 all-reduces of every size, 2×1, 8×4 and 16×8 ranks (Vidur), when all-reduce was timed
    /// by the alpha-beta formulas; kept for the collectives without a measurement of their own.</summary>
    public const double CollectiveCallOutSeconds = 80e-6;

    /// <summary>Per-call cost of a send/recv between nodes: the collective one scaled by the NVLink p2p/collective
    /// ratio (not fitted; the 2×1 send/recv rows are held out to check it).</summary>
    public const double P2pCallOutSeconds = CollectiveCallOutSeconds * P2pCallUpSeconds / CollectiveCallUpSeconds;

    /// <summary>GEMM tile shapes (rows × columns of the output) the model chooses from, like cuBLAS
    /// heuristics.</summary>
    internal static readonly (int M, int N)[] Tiles = [(64, 64), (64, 128), (128, 64), (128, 128), (64, 256),
        (128, 256), (256, 128)];
}
