using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Tests.Domain;

/// <summary>
/// FP8 GEMMs against DeepGEMM's published H800 SXM5 throughput (deepseek-ai/DeepGEMM README, "Normal GEMMs for dense
/// models", revision 55ab91f of 2025-03-25; NVCC 12.8). Large-M shapes with short K lose up to half the rate: the FP8
/// tile overhead (<see cref="TimingConstants.Fp8TileOverheadK"/>) is fitted on these M = 4096 rows
/// (docs/EMULATOR.md §2.1).
/// </summary>
public sealed class DeepGemmReferenceTests
{
    private static readonly DeviceTiming H800 = new TimingModel().For(new DeviceCatalog().Get("h800"));

    private static double Tflops(long m, long n, long k) => H800.Gemm(DataType.Fp8E4M3, m, n, k).AchievedTflops;

    [Theory]
    [InlineData(4096, 24576, 1536, 1125)]
    [InlineData(4096, 32768, 512, 751)]
    [InlineData(4096, 7168, 2048, 1168)]
    public void Short_k_fp8_gemms_with_large_m_agree_with_deepgemm_within_10_percent(long m, long n, long k,
        double published) =>
        Assert.InRange(Tflops(m, n, k) / published, 0.90, 1.10);

    [Theory]
    [InlineData(4096, 2112, 7168, 1009)]
    [InlineData(4096, 7168, 16384, 1426)]
    [InlineData(4096, 4096, 7168, 1265)]
    public void Long_k_fp8_gemms_with_large_m_agree_with_deepgemm_within_15_percent(long m, long n, long k,
        double published) =>
        Assert.InRange(Tflops(m, n, k) / published, 0.85, 1.15);

    [Fact]
    public void Fp8_rate_falls_with_k_as_deepgemm_measured()
    {
        // DeepGEMM: K = 512 reaches 751 / 1426 = 0.53 of the K = 16384 rate at M = 4096.
        double ratio = Tflops(4096, 32768, 512) / Tflops(4096, 7168, 16384);
        Assert.InRange(ratio, 0.53 * 0.9, 0.53 * 1.1);
    }

    /// <summary>Every M = 64 and 128 row of the table but K = 2048 with N = 7168, which the model times 25–32 % slow
    /// (docs/EMULATOR.md §2.1).</summary>
    [Theory]
    [InlineData(128, 2112, 7168, 352)]
    [InlineData(128, 24576, 1536, 535)]
    [InlineData(128, 32768, 512, 358)]
    [InlineData(128, 7168, 16384, 645)]
    [InlineData(128, 4096, 7168, 533)]
    [InlineData(64, 2112, 7168, 206)]
    [InlineData(64, 24576, 1536, 289)]
    [InlineData(64, 32768, 512, 219)]
    [InlineData(64, 7168, 16384, 336)]
    [InlineData(64, 4096, 7168, 287)]
    public void Small_m_fp8_gemms_are_bandwidth_bound_and_agree_with_deepgemm_within_20_percent(long m, long n,
        long k, double published)
    {
        Assert.InRange(Tflops(m, n, k) / published, 0.80, 1.20);
        Assert.Equal(BoundKind.Memory, H800.Gemm(DataType.Fp8E4M3, m, n, k).Bound);
    }
}
