using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Platform.EmulatorClient;
using Platform.Modeling.Errors;

namespace HardwareEmulator;

/// <summary>
/// The emulator client's backend when the emulator role runs in the same host: the catalog and timing model called
/// directly (the same code the gRPC service calls, so answers are identical), no serialization.
/// </summary>
public sealed class InProcessEmulatorBackend(DeviceCatalog catalog, TimingModel timing) : IEmulatorBackend
{
    public string Describe => "in-process";

    public Task<DeviceSpec?> GetDeviceAsync(string id, CancellationToken ct)
    {
        // An unknown id throws NotFoundException with the closest known ids; the client names its own field.
        return Task.FromResult<DeviceSpec?>(DeviceDefaults.Effective(catalog.Get(id, "id")));
    }

    public Task<IReadOnlyList<OpTime>> TimeAsync(string deviceId, IReadOnlyList<OpShape> ops, string field,
        CancellationToken ct, KernelProfile kernels = KernelProfile.Catalog)
    {
        var device = catalog.Get(deviceId, field);
        var t = timing.For(device, ServingKernels.Profile(kernels));
        var result = new OpTime[ops.Count];
        try
        {
            for (int i = 0; i < ops.Count; i++)
            {
                if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
                result[i] = TimingModel.Estimate(t, ops[i], "");
            }
        }
        catch (PlatformException e) when (e is InvalidFieldException or PreconditionFailedException)
        {
            // Same answer as over gRPC: the device cannot time an op of this request.
            throw new PreconditionFailedException(field, $"{deviceId} cannot run this: {e.Reason}");
        }
        return Task.FromResult<IReadOnlyList<OpTime>>(result);
    }

    public Task<bool> IsReachableAsync(CancellationToken ct) => Task.FromResult(true);
}
