using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;
using Platform.Modeling.Ops;

namespace Platform.EmulatorClient;

/// <summary>
/// The emulator client: <see cref="IEmulator"/> for the training and inference roles: device facts and op times
/// from the emulator
/// (through <see cref="IEmulatorBackend"/>), with the process-wide op-time cache: each distinct (device, shape) is
/// asked once, so a plan search or a step-time profile sends only shapes not seen before.
/// </summary>
public sealed class Emulator(IEmulatorBackend backend, IOptions<EmulatorClientOptions> options) : IEmulator
{
    private readonly ConcurrentDictionary<(string Device, OpShape Op), OpTime> _cache = new();
    private readonly int _maxEntries = options.Value.MaxCachedOpTimes;

    public async Task<DeviceSpec> GetDeviceAsync(string id, string field, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is required, e.g. 'h800'");
        return await backend.GetDeviceAsync(id.Trim(), ct) ?? throw new NotFoundException(field, "accelerator", id);
    }

    public async Task<IReadOnlyList<OpTime>> TimeAsync(string deviceId, IReadOnlyList<OpShape> ops, string field,
        CancellationToken ct)
    {
        var keys = new OpShape[ops.Count];
        var missing = new List<OpShape>();
        var queued = new HashSet<OpShape>();
        for (int i = 0; i < ops.Count; i++)
        {
            keys[i] = ops[i].Key();
            // labels differ, time once
            if (!_cache.ContainsKey((deviceId, keys[i])) && queued.Add(keys[i])) missing.Add(keys[i]);
        }
        var fetched = new Dictionary<OpShape, OpTime>(missing.Count);
        if (missing.Count > 0)
        {
            var times = await backend.TimeAsync(deviceId, missing, field, ct);
            if (_cache.Count + missing.Count > _maxEntries) _cache.Clear();
            for (int i = 0; i < missing.Count; i++)
            {
                fetched[missing[i]] = times[i];
                _cache[(deviceId, missing[i])] = times[i];
            }
        }
        var result = new OpTime[ops.Count];
        for (int i = 0; i < ops.Count; i++)
            result[i] = fetched.TryGetValue(keys[i], out var t) || _cache.TryGetValue((deviceId, keys[i]), out t)
                ? t : (await backend.TimeAsync(deviceId, [keys[i]], field, ct))[0]; // evicted meanwhile
        return result;
    }

    public void Forget(string deviceId)
    {
        foreach (var key in _cache.Keys)
            if (string.Equals(key.Device, deviceId, StringComparison.OrdinalIgnoreCase)) _cache.TryRemove(key, out _);
    }
}
