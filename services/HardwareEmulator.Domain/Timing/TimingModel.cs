using System.Runtime.CompilerServices;
using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// Entry point of the timing model: hands out the calibrated <see cref="DeviceTiming"/> of a device (built once
/// per device instance) and times ops of the shared vocabulary (<see cref="OpShape"/>). Formulas and calibration:
/// docs/EMULATOR.md.
/// </summary>
public sealed class TimingModel
{
    private readonly ConditionalWeakTable<DeviceSpec, DeviceTiming> _cache = new();
    private readonly ConditionalWeakTable<DeviceSpec, DeviceTiming> _serving = new();

    /// <summary>The device's timing model (calibration runs once per device).</summary>
    public DeviceTiming For(DeviceSpec device) => _cache.GetValue(device, d => new DeviceTiming(d));

    /// <summary>The device's timing model under <paramref name="profile"/> (the catalog's and the serving profile's
    /// are built once per device; any other profile each call).</summary>
    public DeviceTiming For(DeviceSpec device, TimingProfile profile) =>
        profile == TimingProfile.Catalog ? For(device)
        : profile == TimingProfile.Serving ? _serving.GetValue(device, d => new DeviceTiming(d, TimingProfile.Serving))
        : new DeviceTiming(device, profile);

    /// <summary>Times one op; <paramref name="field"/> prefixes error fields (e.g. "ops[3]").</summary>
    public OpTime Estimate(DeviceSpec device, OpShape op, string field = "op") => Estimate(For(device), op, field);

    public static OpTime Estimate(DeviceTiming t, OpShape op, string field = "op")
    {
        string dtypeField = field.Length == 0 || field.StartsWith("kernel", StringComparison.Ordinal) ? "dtype"
            : $"{field}.dtype";
        return op switch
        {
            GemmShape g => t.Gemm(g.Format, g.M, g.N, g.K, g.Batch, dtypeField),
            GroupedGemmShape gg => t.GroupedGemm(gg.Format, gg.Rows, gg.N, gg.K, dtypeField),
            AttentionShape a =>
                t.Attention(a.Format, a.Batch, a.QueryLen, a.KvLen, a.Heads, a.KvHeads, a.HeadDimQk, a.HeadDimV,
                    a.Causal, dtypeField),
            ElementwiseShape e => t.Elementwise(e.Format, e.Kind, e.Elements, e.Rows),
            // Expert all-to-alls run DeepEP-style direct writes, not NCCL collectives (AllToAllTiming.cs).
            CollectiveShape { Kind: CollectiveOpKind.AllToAll } c =>
                AllToAllTiming.Estimate(t, c.Bytes, c.Ranks, c.RanksPerNode),
            CollectiveShape c => t.Collective(c.Kind, c.Bytes, c.Ranks, c.RanksPerNode),
            _ => throw new InvalidFieldException(field, $"unsupported op {op.GetType().Name}"),
        };
    }

    /// <summary>FLOPs of attention's score and context GEMMs.</summary>
    public static double AttentionFlops(AttentionShape a) =>
        2.0 * a.Batch * a.Heads
            * (a.Causal ? DeviceTiming.CausalPairs(a.QueryLen, a.KvLen) : (double)a.QueryLen * a.KvLen)
            * (a.HeadDimQk + a.HeadDimV);
}
