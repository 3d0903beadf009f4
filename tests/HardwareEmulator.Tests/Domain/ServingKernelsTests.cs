using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Domain.Validation;

namespace HardwareEmulator.Tests.Domain;

/// <summary>Serving kernels (docs/EMULATOR.md §2.5, "Serving kernels"): GEMMs at vLLM's measured A100 rate, against
/// Vidur's measured medians (Data/vidur-a100), while the catalog keeps MAMF for training.</summary>
public sealed class ServingKernelsTests
{
    private static readonly DeviceSpec A100 = new DeviceCatalog().Get("a100-80gb");
    private static readonly TimingModel Model = new();

    private static double Tflops(DeviceTiming t)
    {
        var g = t.Gemm(DataType.Bf16, 8192, 8192, 8192);
        return g.Flops / g.DeviceSeconds / 1e12;
    }

    [Fact]
    public void A_large_a100_gemm_runs_at_vllms_measured_plateau_with_serving_kernels_and_at_mamf_in_the_catalog()
    {
        // Vidur: vLLM's GEMMs plateau at 215–250 TFLOPS; MAMF (the catalog's figure): 271.2 TFLOPS.
        Assert.InRange(Tflops(Model.For(A100, TimingProfile.Serving)), 215, 250);
        Assert.InRange(Tflops(Model.For(A100)), 271.2 * 0.99, 271.2 * 1.01);
        Assert.InRange(Tflops(Model.For(A100, TimingProfile.Catalog)), 271.2 * 0.99, 271.2 * 1.01);
    }

    [Fact]
    public void The_catalog_a100_with_serving_kernels_meets_the_goal_on_the_held_out_measured_gemms()
    {
        var samples = KernelReference.Load(Path.Combine(AppContext.BaseDirectory, "Data", "vidur-a100"));
        var rows = KernelValidation.Compare(Model.For(A100, TimingProfile.Serving),
            samples.Where(s => !KernelReference.IsFit(s) && KernelValidation.KindOf(s) == "gemm")).ToList();
        Assert.True(rows.Count >= 10_000, $"{rows.Count} held-out gemm rows");
        var s = KernelValidation.Stats("gemm", rows);
        Assert.True(s.MedianAbs <= 0.10 && s.P90Abs <= 0.25, $"{s}");
    }

    [Fact]
    public void Serving_kernels_change_compute_bound_gemms_only()
    {
        var catalog = Model.For(A100);
        var serving = Model.For(A100, TimingProfile.Serving);
        // A one-token GEMV streams its weights: memory-bound, the same time.
        Assert.Equal(catalog.Gemm(DataType.Bf16, 1, 4096, 4096).DeviceSeconds,
            serving.Gemm(DataType.Bf16, 1, 4096, 4096).DeviceSeconds, 12);
        Assert.Equal(catalog.Attention(DataType.Bf16, 1, 2048, 2048, 32, 8, 128, 128, true).DeviceSeconds,
            serving.Attention(DataType.Bf16, 1, 2048, 2048, 32, 8, 128, 128, true).DeviceSeconds, 12);
        Assert.Equal(catalog.Collective(CollectiveOpKind.AllReduce, 1 << 26, 8, 8).DeviceSeconds,
            serving.Collective(CollectiveOpKind.AllReduce, 1 << 26, 8, 8).DeviceSeconds, 12);
        long[] rows = [4096, 4096, 4096, 4096];
        Assert.True(serving.GroupedGemm(DataType.Bf16, rows, 4096, 4096).DeviceSeconds
            > catalog.GroupedGemm(DataType.Bf16, rows, 4096, 4096).DeviceSeconds * 1.1);
    }

    [Fact]
    public void Other_devices_get_the_same_ratio_to_their_catalog_gemm_rate()
    {
        var h100 = new DeviceCatalog().Get("h100-sxm");
        double ratio = Tflops(Model.For(h100, TimingProfile.Serving)) / Tflops(Model.For(h100));
        Assert.Equal(VidurCluster.MatmulEfficiencyBf16 / 0.869, ratio, 3);
    }
}
