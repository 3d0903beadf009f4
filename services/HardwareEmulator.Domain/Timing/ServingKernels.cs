using Platform.Modeling.Devices;

namespace HardwareEmulator.Domain.Timing;

/// <summary>The timing profile of a <see cref="KernelProfile"/> (docs/EMULATOR.md §2.5, "Serving kernels").</summary>
public static class ServingKernels
{
    public static TimingProfile Profile(KernelProfile kernels) => kernels switch
    {
        KernelProfile.Serving => TimingProfile.Serving,
        _ => TimingProfile.Catalog,
    };
}
