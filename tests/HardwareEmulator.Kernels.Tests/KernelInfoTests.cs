using HardwareEmulator.Kernels;

namespace HardwareEmulator.Kernels.Tests;

public sealed class KernelInfoTests
{
    [Fact]
    public void Isa_is_reported() => Assert.Contains(KernelInfo.Isa, new[] { "avx512", "avx2", "scalar" });
}
