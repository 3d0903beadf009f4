using HardwareEmulator.Domain.Devices;
using static HardwareEmulator.Domain.Timing.TimingConstants;

namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// NCCL collectives (docs/EMULATOR.md §2.4, §2.5). All-reduce is timed as NCCL's own tuner estimates it, for the
/// algorithm (ring or tree) and protocol (LL, LL128, Simple) it chooses (<see cref="NcclTuner"/>), on the link rates of
/// the device and cluster: the ring's bus bandwidth is NVLink inside a node and the slower of NVLink and the node's
/// network rate across nodes; the tree's the same, doubled at two nodes as NCCL's topology search does. The other
/// collectives are alpha-beta formulas: rings inside one scale-up domain, the hierarchical (intra, inter, intra)
/// algorithm across nodes. A node's network rate is its interfaces' (one per
/// <see cref="TimingProfile.GpusPerNetworkInterface"/> devices) up to the profile's per-node cap.
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
            P2p: profile.P2pOverRingBandwidth, Ll128BetweenNodes: profile.Ll128BetweenNodes);
        var raw = links with { Up = upRaw, Out = outRaw, AUp = 0, AOut = 0, NodeCap = double.PositiveInfinity };
        double s = bytes;
        if (kind == CollectiveOpKind.AllReduce) return AllReduce(s, ranks, p, links, raw);
        double moved = kind switch
        {
            CollectiveOpKind.SendRecv => s,
            _ => (double)(ranks - 1) / ranks * s,
        };
        // Per-call cost (launch, handshake, skew) by link kind and point-to-point or not, then the alpha-beta time.
        double call = ranks <= p
            ? kind == CollectiveOpKind.SendRecv ? P2pCallUpSeconds : CollectiveCallUpSeconds
            : kind == CollectiveOpKind.SendRecv ? P2pCallOutSeconds : CollectiveCallOutSeconds;
        double wire = Seconds(kind, s, ranks, p, links);
        double time = call + wire;
        // Link utilisation against the raw rates.
        double ideal = Seconds(kind, s, ranks, p, raw);
        return new OpTime(time, 0, moved, BoundKind.Communication, time > 0 ? ideal / time : 0);
    }

    /// <summary>All-reduce: the algorithm and protocol NCCL's tuner chooses, for the time the links take for it
    /// (<see cref="NcclChoice.LinkSeconds"/>), plus the per-call cost; the utilisation is the chosen algorithm's
    /// Simple bandwidth time at the raw link rates over the time.</summary>
    private static OpTime AllReduce(double s, int n, int p, Links l, Links raw)
    {
        var choice = NcclTuner.AllReduce(s, n, p, RingBus(n, p, l), TreeBus(n, p, l), l.Ll128BetweenNodes);
        double time = AllReduceCallSeconds + choice.LinkSeconds;
        double ideal = choice.Algorithm == NcclAlgorithm.Ring
            ? 2.0 * (n - 1) / n * s / RingBus(n, p, raw)
            : 2.0 * s / TreeBus(n, p, raw);
        return new OpTime(time, 0, 2.0 * (n - 1) / n * s, BoundKind.Communication, time > 0 ? ideal / time : 0);
    }

    /// <summary>Ring bus bandwidth: NVLink inside a node; across nodes the slower of NVLink (when a node holds more
    /// than one rank) and the node's network rate, the NVLink hops being pipelined with the network ones.</summary>
    private static double RingBus(int n, int p, Links l) =>
        n <= p ? l.Up : Math.Min(p > 1 ? l.Up : double.PositiveInfinity, l.Node(p));

    /// <summary>Tree bus bandwidth: as the ring's, the network part doubled at two nodes
    /// (<see cref="NcclTuner.TwoNodeTreeBoost"/>).</summary>
    private static double TreeBus(int n, int p, Links l)
    {
        if (n <= p) return l.Up;
        int nodes = (n + p - 1) / p;
        double net = l.Node(p) * (nodes == 2 ? NcclTuner.TwoNodeTreeBoost : 1);
        return Math.Min(p > 1 ? l.Up : double.PositiveInfinity, net);
    }

    /// <summary>Link rates (bytes/s), per-hop latencies (s) and the profile's figures.</summary>
    private readonly record struct Links(double Up, double Out, double AUp, double AOut, double NodeCap,
        int GpusPerInterface, double P2p, bool Ll128BetweenNodes)
    {
        /// <summary>What a node's network interfaces carry together with <paramref name="p"/> devices in use.
        /// </summary>
        public double Node(int p) => Math.Min(Math.Ceiling((double)p / GpusPerInterface) * Out, NodeCap);
    }

    /// <summary>Wire time (latencies and bytes, no per-call cost) of the collectives other than all-reduce.</summary>
    private static double Seconds(CollectiveOpKind kind, double s, int n, int p, Links l)
    {
        if (n <= p) // one scale-up domain: ring algorithms
        {
            return kind == CollectiveOpKind.SendRecv
                ? l.AUp + s / (l.Up * l.P2p)
                : (n - 1) * l.AUp + (double)(n - 1) / n * s / l.Up;
        }
        double nodes = Math.Ceiling((double)n / p);
        double perGpuOut = Math.Min(l.Out, l.Node(p) / p);                                // interfaces shared
        double intra = (p - 1) * l.AUp + (double)(p - 1) / p * s / l.Up;                  // RS or AG inside a node
        // RS or AG of s/p across nodes
        double interShard = (nodes - 1) * l.AOut + (nodes - 1) / nodes * (s / p) / perGpuOut;
        return kind switch
        {
            CollectiveOpKind.AllGather or CollectiveOpKind.ReduceScatter => (p > 1 ? intra : 0) + interShard,
            CollectiveOpKind.AllToAll => Math.Max((p - 1) * l.AUp + (double)(p - 1) / n * s / l.Up,
                (nodes - 1) * l.AOut + (double)(n - p) / n * s / perGpuOut),
            _ => l.AOut + s / (l.Out * l.P2p),
        };
    }
}
