using HardwareEmulator.Domain.Devices;
using static HardwareEmulator.Domain.Timing.TimingConstants;

namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// NCCL collectives as alpha-beta formulas (docs/EMULATOR.md §2.4, §2.5). Inside one scale-up domain every
/// collective is a ring. Across nodes, all-reduce is whichever of NCCL's ring and tree this model times faster
/// (NCCL's tuner chooses between them by its own estimate): the ring carries 2(n-1)/n of the buffer through every
/// node's network interfaces, the tree 2(k-1)/k (k nodes: between two nodes the buffer crosses once each way, half
/// the ring's bytes) at <see cref="TimingConstants.TreeAllReduceEfficiency"/> of the rate, with a latency that
/// grows with log2 k instead of n. The other collectives use the hierarchical (intra, inter, intra) algorithm. A
/// node's network rate is its interfaces' (one per <see cref="TimingProfile.GpusPerNetworkInterface"/> devices) up to
/// the profile's per-node cap.
/// </summary>
public static class CollectiveTiming
{
    /// <summary>
    /// Time of one collective of <paramref name="bytes"/> (the full buffer: all-reduce input, all-gather output,
    /// reduce-scatter input, all-to-all send buffer, send/recv message) over <paramref name="ranks"/> devices,
    /// <paramref name="ranksPerNode"/> of them per node (0 = the device's scale-up domain).
    /// </summary>
    public static OpTime Estimate(DeviceTiming t, CollectiveOpKind kind, long bytes, int ranks, int ranksPerNode)
    {
        if (ranks <= 1) return new OpTime(0, 0, 0, BoundKind.Communication, 0);
        var d = t.Device;
        var profile = t.Profile;
        int p = Math.Min(ranks, ranksPerNode > 0 ? ranksPerNode : Math.Max(1, d.ScaleUpDomain));
        double upRaw = d.ScaleUpGBps * 1e9, outRaw = d.ScaleOutGBps * 1e9;
        var links = new Links(
            Up: upRaw * DeviceDefaults.ScaleUp(d),
            Out: outRaw * DeviceDefaults.ScaleOut(d),
            AUp: d.ScaleUpLatencyUs * 1e-6,
            AOut: d.ScaleOutLatencyUs * 1e-6,
            NodeCap: profile.NodeScaleOutGBps > 0 ? profile.NodeScaleOutGBps * 1e9 : double.PositiveInfinity,
            GpusPerInterface: Math.Max(1, profile.GpusPerNetworkInterface),
            P2p: profile.P2pOverRingBandwidth);
        var raw = links with { Up = upRaw, Out = outRaw, AUp = 0, AOut = 0, NodeCap = double.PositiveInfinity };
        double s = bytes;
        double moved = kind switch
        {
            CollectiveOpKind.AllReduce => 2.0 * (ranks - 1) / ranks * s,
            CollectiveOpKind.SendRecv => s,
            _ => (double)(ranks - 1) / ranks * s,
        };
        // Per-call cost (launch, handshake, skew) by link kind and point-to-point or not, then the alpha-beta time.
        double call = ranks <= p
            ? kind == CollectiveOpKind.SendRecv ? P2pCallUpSeconds : CollectiveCallUpSeconds
            : kind == CollectiveOpKind.SendRecv ? P2pCallOutSeconds : CollectiveCallOutSeconds;
        var (wire, tree) = Seconds(kind, s, ranks, p, links);
        double time = call + wire;
        // Link utilisation against the raw rates, for the algorithm chosen.
        double ideal = tree ? TreeAllReduceSeconds(s, ranks, p, raw) : Seconds(kind, s, ranks, p, raw, ring: true).Wire;
        return new OpTime(time, 0, moved, BoundKind.Communication, time > 0 ? ideal / time : 0);
    }

    /// <summary>Link rates (bytes/s), per-hop latencies (s) and the profile's figures.</summary>
    private readonly record struct Links(double Up, double Out, double AUp, double AOut, double NodeCap,
        int GpusPerInterface, double P2p)
    {
        /// <summary>What a node's network interfaces carry together with <paramref name="p"/> devices in use.
        /// </summary>
        public double Node(int p) => Math.Min(Math.Ceiling((double)p / GpusPerInterface) * Out, NodeCap);
    }

    /// <summary>Wire time (latencies and bytes, no per-call cost), and whether the tree was chosen.</summary>
    private static (double Wire, bool Tree) Seconds(CollectiveOpKind kind, double s, int n, int p, Links l,
        bool ring = false)
    {
        if (n <= p) // one scale-up domain: ring algorithms
        {
            return (kind switch
            {
                CollectiveOpKind.AllReduce => 2.0 * (n - 1) * l.AUp + 2.0 * (n - 1) / n * s / l.Up,
                CollectiveOpKind.SendRecv => l.AUp + s / (l.Up * l.P2p),
                _ => (n - 1) * l.AUp + (double)(n - 1) / n * s / l.Up,
            }, false);
        }
        double nodes = Math.Ceiling((double)n / p);
        double node = l.Node(p);
        double perGpuOut = Math.Min(l.Out, node / p);                                     // interfaces shared
        double intra = (p - 1) * l.AUp + (double)(p - 1) / p * s / l.Up;                  // RS or AG inside a node
        // RS or AG of s/p across nodes
        double interShard = (nodes - 1) * l.AOut + (nodes - 1) / nodes * (s / p) / perGpuOut;
        switch (kind)
        {
            case CollectiveOpKind.AllReduce:
                // NCCL's ring over every rank: each node's interfaces carry 2(n-1)/n of the buffer, the NVLink hops
                // inside a node are pipelined with them, so the slower of the node's network rate and NVLink sets
                // the pace.
                double ringBw = Math.Min(p > 1 ? l.Up : double.PositiveInfinity, node);
                double ringSeconds = 2.0 * (n - 1) * l.AOut + 2.0 * (n - 1) / n * s / ringBw;
                if (ring) return (ringSeconds, false);
                double treeSeconds = TreeAllReduceSeconds(s, n, p, l);
                return treeSeconds < ringSeconds ? (treeSeconds, true) : (ringSeconds, false);
            case CollectiveOpKind.AllGather or CollectiveOpKind.ReduceScatter:
                return ((p > 1 ? intra : 0) + interShard, false);
            case CollectiveOpKind.AllToAll:
                return (Math.Max((p - 1) * l.AUp + (double)(p - 1) / n * s / l.Up,
                    (nodes - 1) * l.AOut + (double)(n - p) / n * s / perGpuOut), false);
            default:
                return (l.AOut + s / (l.Out * l.P2p), false);
        }
    }

    /// <summary>
    /// NCCL's tree all-reduce across <c>k = n / p</c> nodes: a chain through the node's devices (pipelined), a
    /// double binary tree between nodes. Latency 2((p-1) a_up + ceil(log2 k) a_out) (NCCL's tuning model); bytes: each
    /// node's interfaces carry 2(k−1)/k of the buffer each way (the buffer once up and once down between two nodes),
    /// each device's NVLink 2 buffers (chain up, chain down); both at the tree's efficiency.
    /// </summary>
    private static double TreeAllReduceSeconds(double s, int n, int p, Links l)
    {
        double k = Math.Ceiling((double)n / p);
        double latency = 2.0 * ((p - 1) * l.AUp + Math.Ceiling(Math.Log2(k)) * l.AOut);
        double network = 2.0 * (k - 1) / k * s / l.Node(p);
        double nvlink = p > 1 ? 2.0 * s / l.Up : 0;
        return latency + Math.Max(network, nvlink) / TreeAllReduceEfficiency;
    }
}
