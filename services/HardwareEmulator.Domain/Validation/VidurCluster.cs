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

    /// <summary>NVLink ring bus bandwidth NCCL reached, GB/s (2- and 8-rank all-reduces of every size: 148 and
    /// 161 GB/s bus bandwidth at 32–64 MiB; fitted with the per-call cost when all-reduce was an alpha-beta ring,
    /// and still the rate NCCL's ring reaches there under <see cref="NcclTuner"/>).
    /// </summary>
    public const double ScaleUpGBps = 170;

    /// <summary>Rate of one network interface, GB/s: fitted on the 2×1, 8×4 and 16×8 all-reduces together
    /// (median plus p90 of |error| over those rows, in steps of 0.1 GB/s). The 2×1 runs alone, one GPU per node,
    /// reach 5.8–5.9 GB/s from 8 MiB up; the multi-GPU nodes' trees ask for more.</summary>
    public const double ScaleOutGBps = 6.1;

    /// <summary>GPUs per network interface: the 8×4 all-reduces reached 12 GB/s algorithm bandwidth (buffer over
    /// time) at 32–64 MiB, what a tree between two nodes (which NCCL's tuner chooses there) reaches over two
    /// interfaces, not four; the held-out 4×2 runs reach 4 GB/s for most sizes (a ring over one
    /// interface) and 7–8 GB/s at 8–16 MiB and 64 MiB.</summary>
    public const int GpusPerNetworkInterface = 2;

    /// <summary>Most a node's network interfaces carried together, GB/s (16×8 all-reduces: 9.3 GB/s algorithm
    /// bandwidth at 32–64 MiB, not what four interfaces offer; 12.5 GB/s, the per-node rate the 8×4 runs
    /// reached, is kept: a lower cap does not improve the fitted rows' median).</summary>
    public const double NodeScaleOutGBps = 12.5;

    /// <summary>Send/recv over ring bus bandwidth on one link: 228 GB/s NVLink send/recv against the 8-rank
    /// all-reduce's 174 GB/s bus bandwidth, both at 64 MiB.</summary>
    public const double P2pOverRingBandwidth = 228.0 / 174.0;

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

    /// <summary>NCCL's LL128 between nodes: off. With it the tuner picks LL128 trees where the fitted-on 8×4 and
    /// 16×8 runs show the Simple tree's size bands (its correction factors by power of two); without it the 8×4 rows
    /// fall from 17.7% to 4.5% median error and the 16×8 rows from 43% to 20% (at the rates here). NCCL turns LL128
    /// off between nodes whose interface is not on the GPUs' PCIe switch; Vidur's files do not describe the
    /// machines.</summary>
    public const bool Ll128BetweenNodes = false;

    public static TimingProfile Profile { get; } = new(P2pOverRingBandwidth, NodeScaleOutGBps,
        GpusPerNetworkInterface: GpusPerNetworkInterface, Ll128BetweenNodes: Ll128BetweenNodes);

    /// <summary>The timing model of the cluster.</summary>
    public static DeviceTiming Timing(DeviceSpec a100) => new(Device(a100), Profile);
}
