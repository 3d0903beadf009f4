using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Tests.Domain;

/// <summary>All-reduce as NCCL's tuner chooses it and the links time it, and the cluster figures a
/// <see cref="TimingProfile"/> adds (docs/EMULATOR.md §2.4–2.5).</summary>
public sealed class TimingProfileTests
{
    private static readonly DeviceSpec H800 = new DeviceCatalog().Get("h800");
    private const long Buffer = 1L << 30;

    [Fact]
    public void Two_node_all_reduce_is_nccls_choice_and_its_simple_tree_runs_at_the_trees_bus_rate()
    {
        var spec = H800 with { ScaleOutGBps = 10 }; // 8 × 10 × 0.9 = 72 GB/s per node, below NVLink's 160
        var t = new DeviceTiming(spec).Collective(CollectiveOpKind.AllReduce, Buffer, 16, 8);
        double node = 8 * 10e9 * DeviceDefaults.ScaleOut(spec);
        double nvlink = spec.ScaleUpGBps * 1e9 * DeviceDefaults.ScaleUp(spec);
        double treeBus = Math.Min(nvlink, 2 * node);
        var choice = NcclTuner.AllReduce(Buffer, 16, 8, node, treeBus);
        // NCCL's tuner at two nodes and 1 GiB (above its tree correction table): the tree Simple, 0.92 × 144 / 2 GB/s,
        // above the ring's 72 × 16/30, with 2(7 NVLink + 1 network) hop latencies of tuning.cc (28 µs each).
        Assert.Equal((NcclAlgorithm.Tree, NcclProtocol.Simple), (choice.Algorithm, choice.Protocol));
        Assert.Equal(1.0, 0.92 * 144e9 / 2 / choice.AlgorithmBytesPerSecond, 9);
        Assert.Equal(2 * (7 * 28.0 + 28) * 1e-6, choice.LatencySeconds, 9);
        // It runs at the tree's bus rate: each byte crosses a node's interfaces once each way (72 GB/s), not the
        // tuner's 0.92 of it.
        Assert.Equal(TimingConstants.AllReduceCallSeconds + choice.LatencySeconds + Buffer / (0.5 * treeBus),
            t.DeviceSeconds, 9);
    }

    [Fact]
    public void A_node_network_cap_slows_all_reduces_across_nodes_only_where_it_binds()
    {
        var open = new DeviceTiming(H800 with { ScaleOutGBps = 10 });
        var capped = new DeviceTiming(H800 with { ScaleOutGBps = 10 }, new TimingProfile(NodeScaleOutGBps: 36));
        double Time(DeviceTiming d, int ranks, int perNode) =>
            d.Collective(CollectiveOpKind.AllReduce, Buffer, ranks, perNode).DeviceSeconds;
        // Eight GPUs per node offer 72 GB/s, the cap 36: the tree's bandwidth term (buffer over the node's rate at
        // two nodes) doubles, latency unchanged.
        Assert.Equal(Buffer / 36e9 - Buffer / 72e9, Time(capped, 16, 8) - Time(open, 16, 8), 6);
        // Two GPUs per node offer 18 GB/s, under the cap; inside one node the network is not used.
        Assert.Equal(Time(open, 4, 2), Time(capped, 4, 2), 12);
        Assert.Equal(Time(open, 8, 8), Time(capped, 8, 8), 12);
    }

    [Fact]
    public void Gpus_sharing_a_network_interface_halve_the_nodes_network_rate()
    {
        var own = new DeviceTiming(H800 with { ScaleOutGBps = 10 });
        var shared = new DeviceTiming(H800 with { ScaleOutGBps = 10 }, new TimingProfile(GpusPerNetworkInterface: 2));
        double Time(DeviceTiming d, int ranks, int perNode) =>
            d.Collective(CollectiveOpKind.AllReduce, Buffer, ranks, perNode).DeviceSeconds;
        // 4×2: one interface (9 GB/s) instead of two (18 GB/s). NCCL takes the Simple tree on both, which runs at the
        // node's rate between two nodes: the bandwidth term doubles.
        foreach (double node in new[] { 9e9, 18e9 })
        {
            var c = NcclTuner.AllReduce(Buffer, 4, 2, node, 2 * node);
            Assert.Equal((NcclAlgorithm.Tree, NcclProtocol.Simple), (c.Algorithm, c.Protocol));
        }
        Assert.Equal(Buffer / 9e9 - Buffer / 18e9, Time(shared, 4, 2) - Time(own, 4, 2), 6);
        // One GPU per node uses its own interface either way.
        Assert.Equal(Time(own, 2, 1), Time(shared, 2, 1), 12);
    }

    [Fact]
    public void The_send_recv_over_ring_ratio_speeds_point_to_point_transfers_and_nothing_else()
    {
        var plain = new DeviceTiming(H800);
        var profiled = new DeviceTiming(H800, new TimingProfile(P2pOverRingBandwidth: 1.25));
        foreach (int perNode in new[] { 1, 2 })
        {
            double a = plain.Collective(CollectiveOpKind.SendRecv, Buffer, 2, perNode).DeviceSeconds;
            double b = profiled.Collective(CollectiveOpKind.SendRecv, Buffer, 2, perNode).DeviceSeconds;
            double fixedPart = (perNode == 1 ? TimingConstants.P2pCallOutSeconds + H800.ScaleOutLatencyUs * 1e-6
                : TimingConstants.P2pCallUpSeconds + H800.ScaleUpLatencyUs * 1e-6);
            Assert.Equal(1.25, (a - fixedPart) / (b - fixedPart), 6);
        }
        Assert.Equal(plain.Collective(CollectiveOpKind.AllReduce, Buffer, 16, 8).DeviceSeconds,
            profiled.Collective(CollectiveOpKind.AllReduce, Buffer, 16, 8).DeviceSeconds, 12);
    }
}
