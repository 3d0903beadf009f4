using Platform.Modeling.Ops;

namespace Platform.Modeling.Devices;

/// <summary>
/// What the training and inference domains need of the hardware emulator: accelerator facts and modelled op times.
/// The one implementation is Platform.EmulatorClient (in-process when the emulator role is co-hosted, gRPC
/// otherwise); domain code depends on this interface only.
/// </summary>
public interface IEmulator
{
    /// <summary>The accelerator <paramref name="id"/>; an unknown id throws NotFoundException naming
    /// <paramref name="field"/>.</summary>
    Task<DeviceSpec> GetDeviceAsync(string id, string field, CancellationToken ct);

    /// <summary>
    /// Modelled times of <paramref name="ops"/> on device <paramref name="deviceId"/>, in order. Times are cached per
    /// device and distinct shape (<see cref="OpShape.Key"/>). An op the device cannot run (e.g. FP8 without FP8 units)
    /// throws PreconditionFailedException naming <paramref name="field"/>. <paramref name="kernels"/> selects whose
    /// GEMM efficiency times them: the catalog's (training) unless a serving simulation asks for serving kernels.
    /// </summary>
    Task<IReadOnlyList<OpTime>> TimeAsync(string deviceId, IReadOnlyList<OpShape> ops, string field,
        CancellationToken ct, KernelProfile kernels = KernelProfile.Catalog);

    /// <summary>Drops what is cached for a device id (it was registered or replaced).</summary>
    void Forget(string deviceId);
}
