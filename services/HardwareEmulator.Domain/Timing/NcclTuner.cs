namespace HardwareEmulator.Domain.Timing;

/// <summary>NCCL's all-reduce algorithms the tuner chooses between.</summary>
public enum NcclAlgorithm { Tree, Ring }

/// <summary>NCCL's protocols: LL (8-byte flag+data stores), LL128 (128-byte lines), Simple (bulk copies).</summary>
public enum NcclProtocol { LL, LL128, Simple }

/// <summary>The tuner's choice for one all-reduce and its estimated time (seconds, without the per-call cost), and
/// <see cref="LinkSeconds"/>, the time the links take for it: the estimate, except the Simple protocol between nodes,
/// timed without the tuner's empirical adjustments (the tree's 0.92 and correction factors, the ring's ×1.4
/// plateau), which steer its choice but are not what measured runs took (docs/EMULATOR.md §2.4).</summary>
public readonly record struct NcclChoice(NcclAlgorithm Algorithm, NcclProtocol Protocol, double Seconds,
    double LatencySeconds, double AlgorithmBytesPerSecond, double LinkSeconds);

/// <summary>
/// NCCL's cost model for all-reduce as its tuner uses it to choose an algorithm and a protocol (NVIDIA/nccl
/// v2.19.3-1, the same constants as v2.18.1-1 that PyTorch 2.1 ships, src/graph/tuning.cc: ncclTopoTuneModel and
/// ncclTopoGetAlgoTime; docs/EMULATOR.md §2.4). For every (tree, ring) × (LL, LL128, Simple) pair the model gives a
/// latency (a base latency plus a per-hop latency for NVLink or network hops) and a bus bandwidth (the link rate
/// scaled by the protocol's efficiency); the time is latency + bytes / algorithm bandwidth and NCCL runs the pair with
/// the smallest time. Constants are NCCL's own (Ampere column, AMD host as in DGX A100); per-channel bandwidth caps
/// are left out (they bound each channel at 20–24 GB/s, above what one channel of the modelled links carries).
/// </summary>
public static class NcclTuner
{
    // Base latencies (µs) per protocol (LL, LL128, Simple), tuning.cc baseLat.
    private static readonly double[] TreeBaseUs = [6.8, 14.0, 0];
    private static readonly double[] RingBaseUs = [6.6, 14.0, 8.4];

    // Per-hop latencies (µs) per protocol, tuning.cc hwLat: NVLink and network rows (v2.18.1 and v2.19–v2.20; the
    // v2.18.3–2.18.6 releases had a tree Simple hop of 4 and 14 µs).
    private static readonly double[] TreeNvlinkUs = [0.6, 1.25, 28];
    private static readonly double[] RingNvlinkUs = [0.6, 1.9, 3.4];
    private static readonly double[] TreeNetUs = [5.0, 8.5, 28];
    private static readonly double[] RingNetUs = [2.7, 4.0, 14.0];

    /// <summary>Network post overhead per ring step, µs (getNetOverhead: 2 on AMD x86 hosts, ×3 for Simple).
    /// </summary>
    public const double NetOverheadUs = 2.0;

    /// <summary>Share of the bus bandwidth the tree reaches (tuning.cc: busBw × 0.92).</summary>
    public const double TreeEfficiency = 0.92;

    /// <summary>Ring Simple latency factor between nodes on Ampere and newer ("plateau effect of ring",
    /// ncclTopoGetAlgoTime: ×1.4; 1.9 before Ampere).</summary>
    public const double RingPlateau = 1.4;

    /// <summary>Tree bandwidth at two nodes over the ring's: NCCL's topology search raises the tree graph's
    /// intra-node rate up to twice its network rate when there are two nodes (src/graph/search.cc, "increase bwIntra
    /// for trees (2 nodes or collnet)"), and the tuner uses that rate at ≤ 2 nodes: between two nodes each buffer
    /// crosses the network once each way, half what a ring sends.</summary>
    public const double TwoNodeTreeBoost = 2.0;

    // LL bus bandwidth caps, bytes/s (llMaxBws): one node (Ampere/Hopper), and AMD hosts at 2 and more nodes.
    private const double LlMaxOneNode = 87.7e9, LlMaxTwoNodes = 22.5e9, LlMaxMoreNodes = 19.0e9;

    // Tree correction factors by log2(bytes / 64), 64 B … 256 MiB (tuning.cc treeCorrectionFactor).
    private static readonly double[][] TreeCorrection =
    [
        [1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0, 1.0, 1.0, 1.0],
        [1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9, .9, .9, 1.0, 1.0],
        [.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9],
    ];

    /// <summary>
    /// NCCL's choice for an all-reduce of <paramref name="bytes"/> over <paramref name="ranks"/> ranks,
    /// <paramref name="ranksPerNode"/> per node, with ring and tree bus bandwidths (bytes/s) as NCCL's topology
    /// search would find them. <paramref name="ll128BetweenNodes"/>: whether LL128 is enabled when the ranks span
    /// nodes (NCCL enables it by default only where the network interface shares a PCIe switch with the GPUs,
    /// tuning.cc: typeInter ≤ PATH_PXB; inside a node it is always on with NVLink).
    /// </summary>
    public static NcclChoice AllReduce(double bytes, int ranks, int ranksPerNode, double ringBusBytesPerSecond,
        double treeBusBytesPerSecond, bool ll128BetweenNodes = true)
    {
        int p = Math.Clamp(ranksPerNode, 1, ranks);
        int nodes = (ranks + p - 1) / p;
        NcclChoice? best = null;
        foreach (var a in new[] { NcclAlgorithm.Tree, NcclAlgorithm.Ring })
        {
            foreach (var proto in new[] { NcclProtocol.LL, NcclProtocol.LL128, NcclProtocol.Simple })
            {
                if (proto == NcclProtocol.LL128 && nodes > 1 && !ll128BetweenNodes) continue;
                double bw = Bandwidth(a, proto, bytes, ranks, p, nodes,
                    a == NcclAlgorithm.Ring ? ringBusBytesPerSecond : treeBusBytesPerSecond);
                double link = LatencyUs(a, proto, ranks, p, nodes) * 1e-6;
                bool between = nodes > 1 && proto == NcclProtocol.Simple;
                double lat = between && a == NcclAlgorithm.Ring ? link * RingPlateau : link;
                double linkSeconds = !between ? lat + bytes / bw
                    : a == NcclAlgorithm.Tree ? link + bytes / (0.5 * treeBusBytesPerSecond) : link + bytes / bw;
                var c = new NcclChoice(a, proto, lat + bytes / bw, lat, bw, linkSeconds);
                if (best is null || c.Seconds < best.Value.Seconds) best = c;
            }
        }
        return best!.Value;
    }

    /// <summary>Algorithm bandwidth (bytes of buffer per second) of a pair, tuning.cc's refinements.</summary>
    private static double Bandwidth(NcclAlgorithm a, NcclProtocol proto, double bytes, int n, int p, int nodes,
        double bus)
    {
        double llMax = nodes == 1 ? LlMaxOneNode : nodes == 2 ? LlMaxTwoNodes : LlMaxMoreNodes;
        if (a == NcclAlgorithm.Ring)
        {
            if (proto == NcclProtocol.LL) bus = Math.Min(llMax, bus / 4);
            if (proto == NcclProtocol.LL128) bus *= p < 2 ? 0.7 : 0.92;
            return bus * n / (2.0 * (n - 1)); // bus to algorithm bandwidth: n / (2(n-1))
        }
        bus *= TreeEfficiency;
        if (proto == NcclProtocol.LL) bus = Math.Min(bus / 3.8, llMax);
        if (proto == NcclProtocol.LL128) bus *= nodes == 1 ? 7.0 / 9.0 : 120.0 / 128.0;
        double algorithm = bus * 0.5;
        int logSize = Log2Floor((long)bytes >> 6);
        return logSize < 23 ? algorithm * TreeCorrection[(int)proto][logSize] : algorithm;
    }

    /// <summary>Latency (µs) of a pair, tuning.cc: ring steps at NVLink or network hop latency (network steps
    /// 2 × nodes), tree 2((p−1) NVLink hops + log2(nodes) network hops); without the ring's plateau factor, which
    /// the tuner applies to its Simple estimate between nodes.</summary>
    private static double LatencyUs(NcclAlgorithm a, NcclProtocol proto, int n, int p, int nodes)
    {
        int i = (int)proto;
        if (a == NcclAlgorithm.Tree)
            return TreeBaseUs[i] + 2 * ((p - 1) * TreeNvlinkUs[i] + Log2Floor(nodes) * TreeNetUs[i]);
        int steps = 2 * (n - 1);
        if (nodes == 1) return RingBaseUs[i] + steps * RingNvlinkUs[i];
        int interSteps = 2 * nodes;
        double intra = Math.Max(RingNvlinkUs[i], NetOverheadUs * (proto == NcclProtocol.Simple ? 3 : 1));
        return RingBaseUs[i] + (steps - interSteps) * intra + interSteps * RingNetUs[i];
    }

    private static int Log2Floor(long v)
    {
        int l = 0;
        while ((v >>= 1) > 0) l++;
        return l;
    }
}
