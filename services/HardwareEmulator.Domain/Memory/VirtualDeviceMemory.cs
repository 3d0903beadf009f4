using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Memory;

/// <summary>Bytes one kernel holds in device memory.</summary>
public readonly record struct MemoryUse(long InputBytes, long OutputBytes, long WorkspaceBytes)
{
    public long Total => InputBytes + OutputBytes + WorkspaceBytes;
}

/// <summary>
/// The HBM of one virtual device for one request: allocations are counted against capacity and what does
/// not fit is refused with the bytes needed and available (ResourceExhausted), before anything runs.
/// </summary>
public sealed class VirtualDeviceMemory(DeviceSpec device)
{
    private long _used;

    public long Capacity { get; } = (long)device.HbmBytes;
    public long Used => _used;
    public long Available => Capacity - _used;

    /// <summary>Reserves <paramref name="bytes"/> for <paramref name="what"/>, or throws naming
    /// <paramref name="field"/>.</summary>
    public void Allocate(long bytes, string what, string field)
    {
        if (bytes > Available)
            throw new LimitExceededException(field,
                $"{what} needs {bytes:N0} bytes of device memory but {device.Id} has {Available:N0} of {Capacity:N0} " +
                $"available", bytes, Available);
        _used += bytes;
    }
}
