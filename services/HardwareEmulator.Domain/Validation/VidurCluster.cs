using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Domain.Validation;

/// <summary>
/// The A100 cluster Vidur measured (Data/vidur-a100): the catalog's a100-80gb with the figures of those machines
/// where they differ from the catalog's DGX A100 — vLLM's serving GEMMs, the NVLink and network rates NCCL reached
/// there, and its send/recv over ring ratio. Every figure is fitted on the rows <see cref="KernelReference.IsFit"/>
/// marks (never on the held-out ones); docs/EMULATOR.md §2.5 ("Validated cluster") gives each source. The catalog
/// keeps its own figures: these describe one cluster and one kernel library, not the chip.
/// </summary>
public static class VidurCluster
{
    /// <summary>Large-GEMM fraction of peak of vLLM's GEMMs there: 215–250 TFLOPS at 1,025–4,096 tokens of the
    /// Llama-2-7B/70B layers (MAMF, the catalog's figure, is 271).</summary>
    public const double MatmulEfficiencyBf16 = 0.75;

    /// <summary>NVLink ring bus bandwidth NCCL reached, GB/s (2- and 8-rank all-reduces of every size; above the
    /// 300 GB/s per direction NVLink3 is specified for, docs/EMULATOR.md §7).</summary>
    public const double ScaleUpGBps = 340;

    /// <summary>Network rate per GPU a ring all-reduce reached between two nodes, GB/s (2×1 and 8×4 all-reduces:
    /// 11.7 and 42 GB/s bus bandwidth with one and four GPUs per node).</summary>
    public const double ScaleOutGBps = 12.5;

    /// <summary>Most a node's network interfaces carried together, GB/s (16×8 all-reduces: 35 GB/s bus bandwidth with
    /// eight GPUs per node, not 8 × 12.5).</summary>
    public const double NodeScaleOutGBps = 38;

    /// <summary>Send/recv over ring bus bandwidth on one link: 456 GB/s NVLink send/recv against the 8-rank
    /// all-reduce's 348 GB/s bus bandwidth, both at 128 MiB.</summary>
    public const double P2pOverRingBandwidth = 456.0 / 348.0;

    /// <summary>The cluster's figures for a device (a100-80gb): fitted rates as they were reached (efficiency 1).
    /// </summary>
    public static DeviceSpec Device(DeviceSpec a100) => a100 with
    {
        MatmulEfficiencyBf16 = MatmulEfficiencyBf16,
        ScaleUpGBps = ScaleUpGBps,
        ScaleUpEfficiency = 1,
        ScaleOutGBps = ScaleOutGBps,
        ScaleOutEfficiency = 1,
    };

    public static TimingProfile Profile { get; } = new(P2pOverRingBandwidth, NodeScaleOutGBps);

    /// <summary>The timing model of the cluster.</summary>
    public static DeviceTiming Timing(DeviceSpec a100) => new(Device(a100), Profile);
}
