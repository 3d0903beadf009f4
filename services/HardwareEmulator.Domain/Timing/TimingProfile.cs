namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// Properties of a cluster that a <see cref="Devices.DeviceSpec"/> does not carry: how its NCCL point-to-point
/// transfers compare with its ring collectives, and what the nodes' network interfaces deliver together. The catalog
/// uses <see cref="Catalog"/> (neutral: the device's link figures alone); a validated cluster states its own
/// (docs/EMULATOR.md §2.5, "Validated cluster").
/// </summary>
/// <param name="P2pOverRingBandwidth">Send/recv bandwidth over the ring collectives' bus bandwidth on the same link
/// (1 = the same).</param>
/// <param name="NodeScaleOutGBps">Most a node's network interfaces carry together, GB/s per direction (0 = no cap
/// beyond the per-device scale-out rate × devices per node).</param>
public sealed record TimingProfile(double P2pOverRingBandwidth = 1.0, double NodeScaleOutGBps = 0)
{
    /// <summary>The catalog's profile: no cluster-specific figures.</summary>
    public static readonly TimingProfile Catalog = new();
}
