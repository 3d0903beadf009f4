using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Tests.Domain;

/// <summary>NCCL 2.18's tuner model (src/graph/tuning.cc at v2.18.6-1): the algorithm and protocol it picks and the
/// latencies and bandwidths it estimates (docs/EMULATOR.md §2.4).</summary>
public sealed class NcclTunerTests
{
    private const long Buffer = 1L << 30;

    [Fact]
    public void Inside_one_node_nccl_takes_the_ring_simple_for_large_buffers_and_ll_for_small_ones()
    {
        const double nvlink = 160e9;
        // tuning.cc, 8 ranks in one node: ring Simple latency 8.4 + 14 × 3.4 µs, ring LL 6.6 + 14 × 0.6 µs.
        var large = NcclTuner.AllReduce(Buffer, 8, 8, nvlink, nvlink);
        Assert.Equal((NcclAlgorithm.Ring, NcclProtocol.Simple), (large.Algorithm, large.Protocol));
        Assert.Equal(56.0e-6, large.LatencySeconds, 9);
        Assert.Equal(1.0, nvlink * 8 / 14 / large.AlgorithmBytesPerSecond, 9);
        var small = NcclTuner.AllReduce(8192, 8, 8, nvlink, nvlink);
        Assert.Equal((NcclAlgorithm.Ring, NcclProtocol.LL), (small.Algorithm, small.Protocol));
        Assert.Equal(15.0e-6, small.LatencySeconds, 9);
    }

    [Fact]
    public void Across_many_nodes_the_ring_wins_large_buffers_and_the_tree_small_ones()
    {
        // 64 ranks over 8 nodes at 50 GB/s per node: the tree's latency grows with log2(8) = 3 network hops, the
        // ring's with 2 × 63 steps; its bandwidth (n/(2(n-1)) of the bus) beats the tree's (0.92 / 2).
        var large = NcclTuner.AllReduce(Buffer, 64, 8, 50e9, 50e9);
        Assert.Equal((NcclAlgorithm.Ring, NcclProtocol.Simple), (large.Algorithm, large.Protocol));
        var small = NcclTuner.AllReduce(4096, 64, 8, 50e9, 50e9);
        Assert.Equal((NcclAlgorithm.Tree, NcclProtocol.LL), (small.Algorithm, small.Protocol));
        Assert.Equal((6.8 + 2 * (7 * 0.6 + 3 * 5.0)) * 1e-6, small.LatencySeconds, 9); // tree LL, tuning.cc
    }

    [Fact]
    public void Between_two_nodes_the_tree_at_twice_the_network_rate_beats_the_ring_for_large_buffers()
    {
        // 4 ranks on 2 nodes at 10 GB/s per node: ring n/(2(n-1)) × 10 = 6.7 GB/s, tree 0.92 × 20 / 2 = 9.2 GB/s.
        var c = NcclTuner.AllReduce(Buffer, 4, 2, 10e9, 20e9);
        Assert.Equal((NcclAlgorithm.Tree, NcclProtocol.Simple), (c.Algorithm, c.Protocol));
        // Without the search's doubling the tuner's tree (0.46 of the bus) loses to the ring (0.67).
        var ring = NcclTuner.AllReduce(Buffer, 4, 2, 10e9, 10e9);
        Assert.Equal((NcclAlgorithm.Ring, NcclProtocol.Simple), (ring.Algorithm, ring.Protocol));
        // Ring Simple across nodes: 8.4 + (6 − 4) × max(3.4, 3 × 2) + 4 × 14 µs, × 1.4 (plateau).
        Assert.Equal((8.4 + 2 * 6.0 + 4 * 14.0) * 1.4e-6, ring.LatencySeconds, 9);
    }
}
