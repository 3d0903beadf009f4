using System.Collections.Concurrent;
using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Timing;
using Microsoft.Extensions.Logging;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;
using Platform.Modeling.Ops;
using ModelArchitecture = Platform.Modeling.ModelArchitecture;

namespace InferenceScheduler.Infrastructure;

/// <summary>
/// Accelerator facts and step-time profiles from the emulator (through the one emulator client): the op times behind
/// a profile are asked once per model × layout × accelerator and the built profile cached (at most
/// <see cref="MaxProfiles"/> profiles and <see cref="MaxDevices"/> devices: a full cache starts over, so requests that
/// vary the model or layout endlessly cannot grow the process).
/// </summary>
public sealed class EmulatorProfiles(IEmulator emulator, ILogger<EmulatorProfiles> log)
{
    private readonly record struct ProfileKey(ModelArchitecture Model, Parallelism Layout, NumberFormat Weights,
        NumberFormat Kv, double Imbalance, string Device);
    private readonly ConcurrentDictionary<string, Lazy<Task<AcceleratorInfo>>> _devices =
        new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<ProfileKey, Lazy<Task<OpTimes>>> _profiles = new();

    /// <summary>Most step-time profiles kept.</summary>
    public const int MaxProfiles = 1024;

    /// <summary>Most accelerators' facts kept.</summary>
    public const int MaxDevices = 1024;

    /// <summary>
    /// The emulator's answer for a profile plan: seconds per op and whether each op is compute-bound.
    /// </summary>
    private sealed record OpTimes(double[] Seconds, bool[] ComputeBound);

    /// <summary>
    /// Forgets everything cached for a device id (it was registered or replaced); returns the profiles dropped.
    /// </summary>
    public int Forget(string deviceId)
    {
        emulator.Forget(deviceId);
        _devices.TryRemove(deviceId.Trim(), out _);
        int dropped = 0;
        foreach (var key in _profiles.Keys)
            if (string.Equals(key.Device, deviceId, StringComparison.OrdinalIgnoreCase)
                && _profiles.TryRemove(key, out _))
                dropped++;
        return dropped;
    }

    public Task<AcceleratorInfo> GetAcceleratorAsync(string id, string field, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is required (e.g. \"h800\")");
        if (_devices.Count >= MaxDevices) _devices.Clear();
        var lazy = _devices.GetOrAdd(id.Trim(), key => new Lazy<Task<AcceleratorInfo>>(() => FetchDevice(key, field)));
        return Faultless(lazy.Value, () => _devices.TryRemove(id.Trim(), out _), ct);
    }

    private async Task<AcceleratorInfo> FetchDevice(string id, string field)
    {
        var d = await emulator.GetDeviceAsync(id, field, CancellationToken.None);
        return new AcceleratorInfo(d.Id, d.HbmGb, d.HbmTbps, d.ScaleUpGBps, d.ScaleOutGBps,
            d.ScaleUpDomain > 0 ? d.ScaleUpDomain : 8, d.PriceMid, d.ScaleOutLatencyUs, d.ComputeUnits);
    }

    /// <summary>
    /// The step-time profile of <paramref name="plan"/> on <paramref name="device"/>;
    /// <paramref name="communicationUnits"/> compute units held by communication kernels slow every compute-bound op
    /// (see <see cref="StepProfilePlan.ComputeSlowdown"/>).
    /// </summary>
    public async Task<ProfiledStepTimeModel> GetProfileAsync(StepProfilePlan plan, AcceleratorInfo device,
        double overheadSeconds, bool overlap, string field, CancellationToken ct, int communicationUnits = 0,
        OverlapSchedule schedule = OverlapSchedule.Ideal)
    {
        var key = new ProfileKey(plan.Model, plan.Layout, plan.Weights, plan.Kv, plan.ExpertImbalance, device.Id);
        if (_profiles.Count >= MaxProfiles) _profiles.Clear();
        var lazy = _profiles.GetOrAdd(key, _ => new Lazy<Task<OpTimes>>(() => FetchProfile(plan, device, field)));
        var times = await Faultless(lazy.Value, () => _profiles.TryRemove(key, out _), ct);
        double slowdown = StepProfilePlan.ComputeSlowdown(device.ComputeUnits, communicationUnits);
        string source = $"{plan.Ops.Count} emulator ops on {device.Id}" +
                        (slowdown > 1
                            ? $", compute-bound ops on {device.ComputeUnits - communicationUnits} of " +
                              $"{device.ComputeUnits} compute units (x{slowdown:F3})"
                            : "");
        return plan.Build(times.Seconds, overheadSeconds, overlap, source, times.ComputeBound, slowdown,
            schedule);
    }

    private async Task<OpTimes> FetchProfile(StepProfilePlan plan, AcceleratorInfo device, string field)
    {
        var ops = plan.Ops.Select(o => o.Op).ToList();
        // Serving engines' GEMM kernels, not the catalog's training (MAMF) efficiency (docs/INFERENCE.md, step time).
        var times = await emulator.TimeAsync(device.Id, ops, field, CancellationToken.None, KernelProfile.Serving);
        log.LogInformation("Step-time profile for {Model} {Layout} on {Device}: {Ops} ops", plan.Model.Name,
            plan.Layout, device.Id, ops.Count);
        return new OpTimes(times.Select(t => t.DeviceSeconds).ToArray(),
            times.Select(t => t.Bound == BoundKind.Compute).ToArray());
    }

    /// <summary>Awaits a shared task; a failed one is dropped from the cache so a later call retries.</summary>
    private static async Task<T> Faultless<T>(Task<T> task, Action evict, CancellationToken ct)
    {
        try { return await task.WaitAsync(ct); }
        catch (Exception) when (task.IsFaulted) { evict(); throw; }
    }
}
