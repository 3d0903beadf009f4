using System.Collections.Concurrent;
using Grpc.Core;
using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Timing;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using ModelArchitecture = Platform.Modeling.ModelArchitecture;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Infrastructure;

/// <summary>
/// Talks to the emulator role: accelerator facts (GetDevice) and the op times behind a step-time profile (one
/// EstimateOps call of a few hundred ops per model x layout x accelerator, cached for the process lifetime).
/// </summary>
public sealed class EmulatorProfiles(EmulatorService.EmulatorServiceClient client, ILogger<EmulatorProfiles> log)
{
    private readonly record struct ProfileKey(ModelArchitecture Model, Parallelism Layout, NumberFormat Weights, NumberFormat Kv, double Imbalance, string Device);
    private readonly ConcurrentDictionary<string, Lazy<Task<AcceleratorInfo>>> _devices = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<ProfileKey, Lazy<Task<OpTimes>>> _profiles = new();

    /// <summary>The emulator's answer for a profile plan: seconds per op and whether each op is compute-bound.</summary>
    private sealed record OpTimes(double[] Seconds, bool[] ComputeBound);

    /// <summary>Forgets everything cached for a device id (it was registered or replaced); returns the profiles dropped.</summary>
    public int Forget(string deviceId)
    {
        _devices.TryRemove(deviceId.Trim(), out _);
        int dropped = 0;
        foreach (var key in _profiles.Keys)
            if (string.Equals(key.Device, deviceId, StringComparison.OrdinalIgnoreCase) && _profiles.TryRemove(key, out _)) dropped++;
        return dropped;
    }

    public Task<AcceleratorInfo> GetAcceleratorAsync(string id, string field, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is required (e.g. \"h800\")");
        var lazy = _devices.GetOrAdd(id.Trim(), key => new Lazy<Task<AcceleratorInfo>>(() => FetchDevice(key, field)));
        return Faultless(lazy.Value, () => _devices.TryRemove(id.Trim(), out _), ct);
    }

    private async Task<AcceleratorInfo> FetchDevice(string id, string field)
    {
        try
        {
            var d = (await client.GetDeviceAsync(new GetDeviceRequest { Id = id })).Device;
            return new AcceleratorInfo(d.Id, d.HbmGb, d.HbmTbps, d.ScaleUpGbps, d.ScaleOutGbps, d.ScaleUpDomain > 0 ? d.ScaleUpDomain : 8, d.PriceMidUsd, d.ScaleOutLatencyUs, d.ComputeUnits);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw new NotFoundException(field, "accelerator", id);
        }
    }

    /// <summary>
    /// The step-time profile of <paramref name="plan"/> on <paramref name="device"/>; <paramref name="communicationUnits"/>
    /// compute units held by communication kernels slow every compute-bound op (see <see cref="StepProfilePlan.ComputeSlowdown"/>).
    /// </summary>
    public async Task<ProfiledStepTimeModel> GetProfileAsync(StepProfilePlan plan, AcceleratorInfo device, double overheadSeconds, bool overlap,
        string field, CancellationToken ct, int communicationUnits = 0)
    {
        var key = new ProfileKey(plan.Model, plan.Layout, plan.Weights, plan.Kv, plan.ExpertImbalance, device.Id);
        var lazy = _profiles.GetOrAdd(key, _ => new Lazy<Task<OpTimes>>(() => FetchProfile(plan, device, field)));
        var times = await Faultless(lazy.Value, () => _profiles.TryRemove(key, out _), ct);
        double slowdown = StepProfilePlan.ComputeSlowdown(device.ComputeUnits, communicationUnits);
        string source = $"{plan.Ops.Count} emulator ops on {device.Id}" +
                        (slowdown > 1 ? $", compute-bound ops on {device.ComputeUnits - communicationUnits} of {device.ComputeUnits} compute units (x{slowdown:F3})" : "");
        return plan.Build(times.Seconds, overheadSeconds, overlap, source, times.ComputeBound, slowdown);
    }

    private async Task<OpTimes> FetchProfile(StepProfilePlan plan, AcceleratorInfo device, string field)
    {
        var request = new EstimateOpsRequest { Device = device.Id };
        for (int i = 0; i < plan.Ops.Count; i++) request.Ops.Add(ToProto(plan.Ops[i].Op, $"{plan.Ops[i].Table}[{plan.Ops[i].Point}]"));
        try
        {
            var response = await client.EstimateOpsAsync(request);
            log.LogInformation("Step-time profile for {Model} {Layout} on {Device}: {Ops} ops", plan.Model.Name, plan.Layout, device.Id, plan.Ops.Count);
            return new OpTimes(response.Timings.Select(t => t.DeviceSeconds).ToArray(), response.Timings.Select(t => t.Bound == Bound.Compute).ToArray());
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            throw new PreconditionFailedException(field, $"the emulator cannot time this deployment: {e.Status.Detail}");
        }
    }

    /// <summary>Awaits a shared task; a failed one is dropped from the cache so a later call retries.</summary>
    private static async Task<T> Faultless<T>(Task<T> task, Action evict, CancellationToken ct)
    {
        try { return await task.WaitAsync(ct); }
        catch (Exception) when (task.IsFaulted) { evict(); throw; }
    }

    private static Dtype ToProto(NumberFormat f) => f switch
    {
        NumberFormat.Fp8 => Dtype.Fp8E4M3,
        NumberFormat.Fp16 => Dtype.Fp16,
        NumberFormat.Fp32 => Dtype.Fp32,
        _ => Dtype.Bf16,
    };

    private static OpSpec ToProto(OpShape op, string name)
    {
        var spec = new OpSpec { Name = name, Dtype = ToProto(op.Format) };
        switch (op)
        {
            case GemmShape g: spec.Gemm = new GemmOp { M = g.M, N = g.N, K = g.K }; break;
            case GroupedGemmShape gg:
                spec.GroupedGemm = new GroupedGemmOp { N = gg.N, K = gg.K };
                spec.GroupedGemm.MPerGroup.AddRange(gg.MPerGroup);
                break;
            case AttentionShape a:
                spec.Attention = new AttentionOp
                {
                    Batch = a.Batch, QueryLen = a.QueryLen, KvLen = a.KvLen, NumHeads = a.Heads, NumKvHeads = a.KvHeads,
                    HeadDimQk = a.HeadDimQk, HeadDimV = a.HeadDimV, Causal = a.Causal,
                };
                break;
            case ElementwiseShape e:
                spec.Elementwise = new ElementwiseOp
                {
                    Elements = e.Elements,
                    Kind = e.Kind switch
                    {
                        ElementwiseOpKind.RmsNorm => ElementwiseKind.Rmsnorm,
                        ElementwiseOpKind.SwiGlu => ElementwiseKind.Swiglu,
                        ElementwiseOpKind.Rope => ElementwiseKind.Rope,
                        _ => ElementwiseKind.MoeGating,
                    },
                };
                break;
            case CollectiveShape c:
                spec.Collective = new CollectiveOp
                {
                    Bytes = c.Bytes, Ranks = c.Ranks, RanksPerNode = c.RanksPerNode,
                    Kind = c.Kind switch
                    {
                        CollectiveOpKind.AllReduce => CollectiveKind.AllReduce,
                        CollectiveOpKind.AllToAll => CollectiveKind.AllToAll,
                        _ => CollectiveKind.SendRecv,
                    },
                };
                break;
        }
        return spec;
    }
}
