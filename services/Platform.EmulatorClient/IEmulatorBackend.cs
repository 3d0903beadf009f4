using Platform.Modeling.Devices;
using Platform.Modeling.Ops;

namespace Platform.EmulatorClient;

/// <summary>
/// How <see cref="Emulator"/> reaches the emulator: the emulator role registers an in-process backend when it
/// runs in the same host; otherwise <see cref="GrpcEmulatorBackend"/> calls it over gRPC.
/// </summary>
public interface IEmulatorBackend
{
    /// <summary>"in-process" or the emulator's address, for logs and health reports.</summary>
    string Describe { get; }

    /// <summary>The device; an unknown id: null, or <see cref="Platform.Modeling.Errors.NotFoundException"/> with the
    /// closest known ids as its hint.</summary>
    Task<DeviceSpec?> GetDeviceAsync(string id, CancellationToken ct);

    /// <summary>Times of <paramref name="ops"/> in order, GEMMs with <paramref name="kernels"/>' efficiency; errors
    /// name fields under <paramref name="field"/>.</summary>
    Task<IReadOnlyList<OpTime>> TimeAsync(string deviceId, IReadOnlyList<OpShape> ops, string field,
        CancellationToken ct, KernelProfile kernels = KernelProfile.Catalog);

    /// <summary>Whether the emulator answers now (for readiness).</summary>
    Task<bool> IsReachableAsync(CancellationToken ct);
}
