using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Domain.Validation;

namespace HardwareEmulator.Tests.Domain;

/// <summary>
/// A held-out check on a second device: the catalog's h100-sxm with serving kernels (as inference simulations time
/// it) against Vidur's measured H100 medians (Data/vidur-h100: Llama-2-7B, CodeLlama-34B, Llama-2-70B, InternLM-20B,
/// Qwen-72B layers, TP 1–8, 1–4,096 tokens). Nothing was fitted on these rows: the serving-GEMM ratio was fitted on
/// Vidur's A100 rows and carried to H100 by assumption (docs/EMULATOR.md §2.5, "Serving kernels"). Measured
/// (`make validate-kernels`, docs/VALIDATION-KERNELS.md): GEMMs 9.1 % median |error|, 23.0 % p90; element-wise
/// 9.3 % / 26.0 %. The tolerances below are those figures with margin, not the A100 goal (10 % / 25 %).
/// </summary>
public sealed class H100KernelReferenceTests
{
    private static readonly IReadOnlyList<KernelComparison> Rows = KernelValidation.Compare(
        new TimingModel().For(new DeviceCatalog().Get("h100-sxm"), TimingProfile.Serving),
        KernelReference.Load(Path.Combine(AppContext.BaseDirectory, "Data", "vidur-h100")));

    private static List<KernelComparison> Of(string kind) => Rows.Where(r => r.Sample.Kind == kind).ToList();

    [Fact]
    public void Held_out_h100_gemms_agree_with_the_measured_medians_within_12_percent_median_and_30_percent_p90()
    {
        var gemms = Of("gemm");
        Assert.True(gemms.Count >= 20_000, $"{gemms.Count} H100 gemm rows");
        var s = KernelValidation.Stats("gemm", gemms);
        Assert.True(s.MedianAbs <= 0.12 && s.P90Abs <= 0.30, $"{s}");
        // No systematic bias: the A100 ratio neither over- nor under-times H100's GEMMs overall.
        Assert.InRange(s.MedianSigned, -0.05, 0.05);
        // Each model on its own (5 layer shapes, none fitted on).
        foreach (var model in gemms.GroupBy(r => r.Sample.Source))
        {
            var m = KernelValidation.Stats(model.Key, model.ToList());
            Assert.True(m.MedianAbs <= 0.12 && m.P90Abs <= 0.30, $"{m}");
        }
    }

    [Fact]
    public void Large_h100_gemms_run_near_the_carried_over_serving_rate()
    {
        // 1,025–4,096 tokens: compute-bound, where the A100 ratio (0.863 of MAMF) sets the time. Measured: 7.3 %
        // median, model +5.6 % slow at the median (vLLM on H100 reaches a little more than 0.693 of peak).
        var large = Of("gemm").Where(r => r.Sample.Tokens > 1024).ToList();
        Assert.True(large.Count >= 10_000, $"{large.Count} rows");
        var s = KernelValidation.Stats("large gemm", large);
        Assert.True(s.MedianAbs <= 0.10 && s.P90Abs <= 0.25, $"{s}");
        Assert.InRange(s.MedianSigned, -0.02, 0.10);
    }

    [Fact]
    public void Held_out_h100_elementwise_kernels_agree_within_12_percent_median_and_30_percent_p90()
    {
        var ew = Of("elementwise");
        Assert.True(ew.Count >= 25_000, $"{ew.Count} H100 element-wise rows");
        var s = KernelValidation.Stats("elementwise", ew);
        Assert.True(s.MedianAbs <= 0.12 && s.P90Abs <= 0.30, $"{s}");
        // Small batches (≤ 128 tokens) are timed slow, 27 % at the median: the element-wise launch latency (1.5 µs)
        // and the per-row block rate (8 GB/s) come from A100 and H100 is quicker there (a one-token SiLU·mul of
        // 1,376 columns, Llama-2-7B at TP 8: 1.0 µs measured, 2.5 µs modelled).
        var small = ew.Where(r => r.Sample.Tokens <= 128).ToList();
        var sm = KernelValidation.Stats("small", small);
        Assert.True(sm.MedianAbs <= 0.35 && sm.MedianSigned > 0, $"{sm}");
    }
}
