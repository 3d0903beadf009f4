using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Tests.Domain;

/// <summary>The expert all-to-all against DeepEP's published low-latency kernel times on H800.</summary>
public sealed class AllToAllTimingTests
{
    private static readonly DeviceCatalog Catalog = new();
    private static readonly TimingModel Model = new();

    // DeepEP's setting: 128 tokens per rank, hidden 7168, top-8 experts; dispatch in FP8, combine in BF16.
    private const long DispatchBytes = 128L * 8 * 7168, CombineBytes = 2 * DispatchBytes;

    public static TheoryData<int, double, double> DeepEp()
    {
        var data = new TheoryData<int, double, double>();
        foreach (var (ranks, dispatch, combine) in AllToAllTiming.DeepEpLowLatency) data.Add(ranks, dispatch, combine);
        return data;
    }

    private static double Micros(long bytes, int ranks) =>
        Model.Estimate(Catalog.Get("h800"), new CollectiveShape("a2a", DataType.Bf16, CollectiveOpKind.AllToAll, bytes,
            ranks, Math.Min(ranks, 8))).DeviceSeconds * 1e6;

    [Theory]
    [MemberData(nameof(DeepEp))]
    public void Dispatch_and_combine_are_within_10_percent_of_DeepEP(int ranks, double dispatchUs, double combineUs)
    {
        Assert.InRange(Micros(DispatchBytes, ranks) / dispatchUs, 0.9, 1.1);
        Assert.InRange(Micros(CombineBytes, ranks) / combineUs, 0.9, 1.1);
    }

    [Fact]
    public void A_one_token_dispatch_costs_the_per_call_latency_not_a_ring_of_hops()
    {
        double us = Micros(8 * 7168, 144);
        Assert.InRange(us, AllToAllTiming.CallSeconds * 1e6, AllToAllTiming.CallSeconds * 1e6 + 5);
    }

    [Fact]
    public void Large_internode_all_to_all_is_bound_by_the_remote_share_over_infiniband()
    {
        // 56 of 64 destinations are remote: the 45 GB/s usable IB link carries 7/8 of the buffer.
        var t = Model.Estimate(Catalog.Get("h800"), new CollectiveShape("a2a", DataType.Bf16, CollectiveOpKind.AllToAll,
            256L << 20, 64, 8));
        Assert.InRange(t.DeviceSeconds, 0.875 * (256L << 20) / 45e9, 1.01 * 0.875 * (256L << 20) / 45e9 + 4e-5);
    }
}
