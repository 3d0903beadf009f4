using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Tests.Domain;

/// <summary>All-reduce across nodes as the faster of NCCL's ring and tree, and the cluster figures a
/// <see cref="TimingProfile"/> adds (docs/EMULATOR.md §2.4–2.5).</summary>
public sealed class TimingProfileTests
{
    private static readonly DeviceSpec H800 = new DeviceCatalog().Get("h800");
    private const long Buffer = 1L << 30;

    [Fact]
    public void Two_node_all_reduce_takes_nccls_tree_when_it_beats_the_ring()
    {
        var spec = H800 with { ScaleOutGBps = 10 }; // 8 × 10 × 0.9 = 72 GB/s per node, below NVLink's 160
        var t = new DeviceTiming(spec).Collective(CollectiveOpKind.AllReduce, Buffer, 16, 8);
        double call = TimingConstants.CollectiveCallOutSeconds;
        double node = 8 * 10e9 * DeviceDefaults.ScaleOut(spec);
        double ring = call + 2 * 15 * spec.ScaleOutLatencyUs * 1e-6 + 2.0 * 15 / 16 * Buffer / node;
        // Tree between two nodes: the buffer crosses once each way, at NCCL's tree efficiency; log2(2) = 1 hop.
        double tree = call + 2 * (7 * spec.ScaleUpLatencyUs + 1 * spec.ScaleOutLatencyUs) * 1e-6
            + Buffer / node / TimingConstants.TreeAllReduceEfficiency;
        Assert.True(tree < ring);
        Assert.Equal(tree, t.DeviceSeconds, 9);
        // With fast NICs NVLink sets the pace and the ring wins: 16 ranks cost what 8 do, plus the ring's extra hops.
        var fast = new DeviceTiming(H800);
        double inter = fast.Collective(CollectiveOpKind.AllReduce, Buffer, 16, 8).DeviceSeconds;
        double intra = fast.Collective(CollectiveOpKind.AllReduce, Buffer, 8, 8).DeviceSeconds;
        Assert.InRange(inter / intra, 1.0, 1.1);
    }

    [Fact]
    public void A_node_network_cap_slows_all_reduces_across_nodes_only_where_it_binds()
    {
        var open = new DeviceTiming(H800 with { ScaleOutGBps = 10 });
        var capped = new DeviceTiming(H800 with { ScaleOutGBps = 10 }, new TimingProfile(NodeScaleOutGBps: 36));
        double Time(DeviceTiming d, int ranks, int perNode) =>
            d.Collective(CollectiveOpKind.AllReduce, Buffer, ranks, perNode).DeviceSeconds;
        // Eight GPUs per node offer 72 GB/s, the cap 36: the tree's bandwidth term doubles.
        double band = Buffer / 72e9 / TimingConstants.TreeAllReduceEfficiency;
        Assert.Equal(band, Time(capped, 16, 8) - Time(open, 16, 8), 6);
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
        // 4×2: one interface (9 GB/s) instead of two (18 GB/s); the tree is the faster in both.
        Assert.Equal(Buffer / 18e9 / TimingConstants.TreeAllReduceEfficiency, Time(shared, 4, 2) - Time(own, 4, 2), 6);
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
