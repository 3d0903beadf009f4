namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// Properties of a cluster that a <see cref="Devices.DeviceSpec"/> does not carry: how its NCCL point-to-point
/// transfers compare with its ring collectives, what the nodes' network interfaces deliver together, and which kernel
/// library runs its GEMMs. The catalog uses <see cref="Catalog"/> (neutral: the device's figures alone); a validated
/// cluster states its own (docs/EMULATOR.md §2.5, "Validated cluster"); serving simulations use <see cref="Serving"/>
/// (docs/EMULATOR.md §2.5, "Serving kernels").
/// </summary>
/// <param name="P2pOverRingBandwidth">Send/recv bandwidth over the ring collectives' bus bandwidth on the same link
/// (1 = the same).</param>
/// <param name="NodeScaleOutGBps">Most a node's network interfaces carry together, GB/s per direction (0 = no cap
/// beyond the per-device scale-out rate × devices per node).</param>
/// <param name="GpusPerNetworkInterface">Devices that share one network interface (1 = one each); a node's
/// network rate is its interfaces' scale-out rate, up to <paramref name="NodeScaleOutGBps"/>.</param>
/// <param name="GemmOverCatalog">Rate of the GEMM kernels (dense and grouped) over the catalog's calibrated rate
/// (1 = the device's own large-GEMM efficiency, MAMF where measured).</param>
/// <param name="Ll128BetweenNodes">Whether NCCL's LL128 protocol runs between nodes: NCCL enables it by default
/// only where the network interface sits on the GPUs' PCIe switch, as in DGX-class nodes (true).</param>
public sealed record TimingProfile(double P2pOverRingBandwidth = 1.0, double NodeScaleOutGBps = 0,
    double GemmOverCatalog = 1.0, int GpusPerNetworkInterface = 1, bool Ll128BetweenNodes = true)
{
    /// <summary>The catalog's profile: no cluster-specific figures.</summary>
    public static readonly TimingProfile Catalog = new();

    /// <summary>A100's catalog large-GEMM efficiency (MAMF BF16, 271.2 of 312 TFLOPS; devices.json).</summary>
    public const double A100CatalogMatmulEfficiency = 0.869;

    /// <summary>
    /// Serving kernels' GEMM rate over the catalog's: vLLM's GEMMs reached 0.75 of peak on Vidur's A100s where the
    /// catalog's MAMF figure is 0.869 (<see cref="Validation.VidurCluster.MatmulEfficiencyBf16"/>). Other devices
    /// have no serving-kernel measurement: the same ratio is applied to every device's catalog efficiency, every
    /// dtype (an assumption: serving GEMM libraries lose the same share of MAMF on every chip).
    /// </summary>
    public const double ServingGemmOverCatalog = Validation.VidurCluster.MatmulEfficiencyBf16
        / A100CatalogMatmulEfficiency;

    /// <summary>Serving simulations' profile: the catalog's figures with serving kernels' GEMMs.</summary>
    public static readonly TimingProfile Serving = new(GemmOverCatalog: ServingGemmOverCatalog);
}
