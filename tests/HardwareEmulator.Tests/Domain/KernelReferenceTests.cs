using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Domain.Validation;

namespace HardwareEmulator.Tests.Domain;

/// <summary>The timing model against Vidur's measured A100 times (Data/vidur-a100), on the rows the calibration was
/// not fitted on (Llama-3-8B and CodeLlama-34B layers; 4-rank all-reduces; send/recv between nodes). The goal per op
/// kind: median |error| ≤ 10 %, p90 ≤ 25 % (docs/EMULATOR.md §2.5).</summary>
public sealed class KernelReferenceTests
{
    private static readonly IReadOnlyList<KernelSample> Samples =
        KernelReference.Load(Path.Combine(AppContext.BaseDirectory, "Data", "vidur-a100"));
    private static readonly DeviceSpec A100 = new DeviceCatalog().Get("a100-80gb");

    private static List<KernelComparison> HeldOut(DeviceTiming timing, Func<KernelSample, bool> which) =>
        KernelValidation.Compare(timing, Samples.Where(s => !KernelReference.IsFit(s) && which(s))).ToList();

    private static List<KernelComparison> HeldOut(string kind) =>
        HeldOut(VidurCluster.Timing(A100), s => KernelValidation.KindOf(s) == kind);

    private static void WithinGoal(string kind, List<KernelComparison> rows, int atLeast)
    {
        Assert.True(rows.Count >= atLeast, $"{rows.Count} held-out {kind} rows");
        var s = KernelValidation.Stats(kind, rows);
        Assert.True(s.MedianAbs <= 0.10 && s.P90Abs <= 0.25, $"{s}");
    }

    [Fact]
    public void Held_out_gemms_agree_with_the_measured_medians_within_10_percent_median_and_25_percent_p90()
    {
        WithinGoal("gemm", HeldOut("gemm"), 10_000);
        // Decode GEMVs are bandwidth-bound: the catalog device, with MAMF's compute rate, times them as well.
        var decode = HeldOut(new TimingModel().For(A100), s => s.Kind == "gemm" && s.Tokens <= 16);
        WithinGoal("decode gemm", decode, 100);
    }

    [Fact]
    public void Held_out_elementwise_kernels_agree_with_the_measured_medians_within_the_goal()
    {
        WithinGoal("elementwise", HeldOut("elementwise"), 10_000);
        // Small batches: the one-block-per-row floor (a one-token SiLU·mul of 14336 columns takes ~11 µs, not 2).
        var small = HeldOut("elementwise").Where(r => r.Sample.Tokens <= 16).ToList();
        var s = KernelValidation.Stats("small", small);
        Assert.True(s.MedianAbs <= 0.15 && s.P90Abs <= 0.35, $"{s}");
    }

    [Fact]
    public void Held_out_four_rank_nvlink_all_reduces_agree_with_the_measured_medians_within_the_goal() =>
        WithinGoal("all_reduce (nvlink)", HeldOut("all_reduce (nvlink)"), 900);

    [Fact]
    public void Held_out_send_recv_between_nodes_agrees_with_the_measured_medians_within_the_goal() =>
        WithinGoal("send_recv (network)", HeldOut("send_recv (network)"), 900);

    [Fact]
    public void Held_out_two_node_all_reduces_with_two_gpus_per_node_are_within_the_goal_and_show_the_tree_band()
    {
        // Measured (Vidur, 4×2): 4.0 GB/s algorithm bandwidth (buffer over time) for most sizes and 7–8 GB/s at
        // 8–16 MiB and 64 MiB, where NCCL's tree correction factor for Simple is 0.8 and its tuner takes the tree.
        // The model, NCCL's tuner on link rates fitted on 2×1, 8×4 and 16×8, reproduces the band (docs/EMULATOR.md
        // §2.5).
        var rows = HeldOut("all_reduce (network)");
        WithinGoal("all_reduce (network)", rows, 900);
        Assert.InRange(KernelValidation.Stats("all_reduce (network)", rows).MedianSigned, 0.0, 0.10);
        List<KernelComparison> Sized(long from, long to) =>
            [.. rows.Where(r => r.Sample.Shape is CollectiveShape c && c.Bytes > from && c.Bytes <= to)];
        // 16–64 MiB, the ring over one interface: within 5 % at the median.
        var ring = Sized(16L << 20, 63L << 20);
        var rs = KernelValidation.Stats("16-64 MiB", ring);
        Assert.True(ring.Count >= 200 && rs.MedianAbs <= 0.05, $"{rs}");
        // 8–16 MiB, the tree: within 25 % at the median (slow: it runs at the fitted 6.1 GB/s interface rate, the
        // measured trees reached 7), and the band is there: the model's buffer over time at
        // 8–16 MiB is at least 1.4 times its rate at 16–64 MiB, as measured (7.0 against 4.0 GB/s).
        var tree = Sized(8L << 20, (16L << 20) - 1);
        var ts = KernelValidation.Stats("8-16 MiB", tree);
        Assert.True(tree.Count >= 100 && ts.MedianAbs <= 0.25, $"{ts}");
        static double Rate(List<KernelComparison> r) =>
            r.Select(x => ((CollectiveShape)x.Sample.Shape).Bytes / x.ModelSeconds).Order().ElementAt(r.Count / 2);
        Assert.True(Rate(tree) >= 1.4 * Rate(ring), $"{Rate(tree):E3} vs {Rate(ring):E3} B/s");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void A_small_tensor_parallel_all_reduce_on_nvlink_costs_tens_of_microseconds(int ranks)
    {
        var t = new TimingModel().For(A100).Collective(CollectiveOpKind.AllReduce, 8192, ranks, 8).DeviceSeconds;
        Assert.InRange(t * 1e6, 10, 100);
        var measured = Samples.Where(s => s.Kind == "all_reduce" && s.Tp == ranks
                && s.Shape is CollectiveShape { RanksPerNode: var p, Bytes: <= 64 << 10 } && p == ranks)
            .Select(s => s.MeasuredSeconds).Order().ToArray();
        Assert.NotEmpty(measured);
        double median = KernelValidation.Quantile(measured, 0.5);
        Assert.InRange(t / median, 0.4, 2.5);
    }

    [Fact]
    public void A_gemv_just_past_a_block_boundary_is_charged_the_bytes_it_moves()
    {
        // N one column past the L2-reuse block width: the extra block holds one column of B, not a whole block.
        var timing = new TimingModel().For(new DeviceCatalog().Get("h100-sxm"));
        long k = 8192, side = (long)(timing.L2Bytes / (4.0 * TimingConstants.L2SlabK * 2));
        var at = timing.Gemm(DataType.Bf16, 1, side, k);
        var past = timing.Gemm(DataType.Bf16, 1, side + 1, k);
        double weights = 2.0 * k * (side + 1);
        Assert.InRange(past.Bytes / weights, 1.0, 1.02);
        Assert.InRange(past.Bytes / at.Bytes, 1.0, 1.01);
        Assert.InRange(past.DeviceSeconds / at.DeviceSeconds, 1.0, 1.02);
    }
}
