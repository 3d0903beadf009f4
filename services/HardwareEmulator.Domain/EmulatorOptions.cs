using System.ComponentModel.DataAnnotations;

namespace HardwareEmulator;

/// <summary>Host limits of the emulator (configuration section "Emulator"); exceeding one answers
/// ResourceExhausted.</summary>
public sealed class EmulatorOptions
{
    public const string Section = "Emulator";

    /// <summary>Input plus output elements one executed kernel may hold on the host (64 Mi floats = 256 MiB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxElementsPerCall { get; set; } = 64L << 20;

    /// <summary>FLOPs one executed kernel may cost on the host CPU (about a minute of one core at 1 GFLOPS… seconds
    /// with SIMD).</summary>
    [Range(1.0, double.MaxValue)]
    public double MaxFlopsPerCall { get; set; } = 5e10;

    /// <summary>Largest request or response message of the emulator's RPCs and bus jobs, bytes.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxMessageBytes { get; set; } = 64 << 20;

    /// <summary>Ops per EstimateOps request.</summary>
    [Range(1, int.MaxValue)]
    public int MaxOpsPerRequest { get; set; } = 1_000_000;

    /// <summary>Layers of a model ProfileModel profiles (its trace has an event per op of every layer).</summary>
    [Range(1, int.MaxValue)]
    public int MaxProfileLayers { get; set; } = 1000;

    /// <summary>Kernels per bus batch job.</summary>
    [Range(1, int.MaxValue)]
    public int MaxKernelsPerBatch { get; set; } = 1000;

    /// <summary>Custom devices (RegisterDevice) the catalog holds in all; a new id past it is
    /// ResourceExhausted.</summary>
    [Range(0, 1_000_000)]
    public int MaxCustomDevices { get; set; } = 1000;

    /// <summary>
    /// Custom devices one caller may register. The platform has no authentication yet, so a caller is its client
    /// IP address.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxCustomDevicesPerOwner { get; set; } = 100;
}
