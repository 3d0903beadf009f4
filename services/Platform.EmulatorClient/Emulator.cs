using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;
using Platform.Modeling.Ops;

namespace Platform.EmulatorClient;

/// <summary>
/// The emulator client: <see cref="IEmulator"/> for the training and inference roles: device facts and op times
/// from the emulator (through <see cref="IEmulatorBackend"/>), with the process-wide op-time cache: each
/// distinct (device, kernel profile, shape) is asked once, so a plan search or a step-time profile sends only
/// shapes not seen before.
/// </summary>
public sealed class Emulator(IEmulatorBackend backend, IOptions<EmulatorClientOptions> options) : IEmulator
{
    private readonly ConcurrentDictionary<(string Device, KernelProfile Kernels, OpShape Op), OpTime> _cache = new();
    private readonly int _maxEntries = options.Value.MaxCachedOpTimes;

    public async Task<DeviceSpec> GetDeviceAsync(string id, string field, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is required, e.g. 'h800'");
        try
        {
            return await backend.GetDeviceAsync(id.Trim(), ct)
                ?? throw new NotFoundException(field, "accelerator", id);
        }
        catch (NotFoundException e) when (e.Field != field || e.Kind != "accelerator")
        {
            throw new NotFoundException(field, "accelerator", id, e.Hint);
        }
    }

    public async Task<IReadOnlyList<OpTime>> TimeAsync(string deviceId, IReadOnlyList<OpShape> ops, string field,
        CancellationToken ct, KernelProfile kernels = KernelProfile.Catalog)
    {
        // Cached times go straight into the result; each distinct missing shape (labels aside) is asked once.
        var result = new OpTime[ops.Count];
        var missing = new List<OpShape>();
        var slots = new Dictionary<OpShape, int>();
        var pending = new List<(int Op, int Slot)>();
        for (int i = 0; i < ops.Count; i++)
        {
            var key = ops[i].Key();
            if (_cache.TryGetValue((deviceId, kernels, key), out var cached)) { result[i] = cached; continue; }
            if (!slots.TryGetValue(key, out int slot))
            {
                slot = missing.Count;
                slots[key] = slot;
                missing.Add(key);
            }
            pending.Add((i, slot));
        }
        if (missing.Count == 0) return result;
        var times = await backend.TimeAsync(deviceId, missing, field, ct, kernels);
        if (_cache.Count + missing.Count > _maxEntries) _cache.Clear();
        for (int j = 0; j < missing.Count; j++) _cache[(deviceId, kernels, missing[j])] = times[j];
        foreach (var (op, slot) in pending) result[op] = times[slot];
        return result;
    }

    public void Forget(string deviceId)
    {
        foreach (var key in _cache.Keys)
            if (string.Equals(key.Device, deviceId, StringComparison.OrdinalIgnoreCase)) _cache.TryRemove(key, out _);
    }
}
