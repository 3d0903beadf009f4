namespace HardwareEmulator.Kernels;

/// <summary>What the host CPU offers the kernels.</summary>
public static class KernelInfo
{
    public static string Isa =>
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "avx512"
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "avx2" : "scalar";
}
