using System.Runtime.CompilerServices;
using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// Entry point of the timing model: hands out the calibrated <see cref="DeviceTiming"/> of a device (built once
/// per device instance) and times domain ops. Formulas and calibration: docs/EMULATOR.md.
/// </summary>
public sealed class TimingModel
{
    private readonly ConditionalWeakTable<DeviceSpec, DeviceTiming> _cache = new();

    /// <summary>The device's timing model (calibration runs once per device).</summary>
    public DeviceTiming For(DeviceSpec device) => _cache.GetValue(device, d => new DeviceTiming(d));

    /// <summary>Times one op; <paramref name="field"/> prefixes error fields (e.g. "ops[3]").</summary>
    public OpTime Estimate(DeviceSpec device, Op op, string field = "op") => Estimate(For(device), op, field);

    public static OpTime Estimate(DeviceTiming t, Op op, string field = "op")
    {
        string dtypeField = field.Length == 0 || field.StartsWith("kernel", StringComparison.Ordinal) ? "dtype" : $"{field}.dtype";
        return EstimateCore(t, op, field, dtypeField);
    }

    private static OpTime EstimateCore(DeviceTiming t, Op op, string field, string dtypeField) => op switch
    {
        GemmOpSpec g => t.Gemm(g.Dtype, g.M, g.N, g.K, g.Batch, dtypeField),
        GroupedGemmOpSpec gg => t.GroupedGemm(gg.Dtype, gg.MPerGroup, gg.N, gg.K, dtypeField),
        AttentionOpSpec a => t.Attention(a.Dtype, a.Batch, a.QueryLen, a.KvLen, a.Heads, a.KvHeads, a.HeadDimQk, a.HeadDimV, a.Causal, dtypeField),
        ElementwiseOpSpec e => t.Elementwise(e.Dtype, e.Kind, e.Elements),
        CollectiveOpSpec c => t.Collective(c.Kind, c.Bytes, c.Ranks, c.RanksPerNode),
        _ => throw new InvalidFieldException(field, $"unsupported op {op.GetType().Name}"),
    };

    /// <summary>FLOPs of attention's score and context GEMMs.</summary>
    public static double AttentionFlops(AttentionOpSpec a) =>
        2.0 * a.Batch * a.Heads * (a.Causal ? DeviceTiming.CausalPairs(a.QueryLen, a.KvLen) : (double)a.QueryLen * a.KvLen) * (a.HeadDimQk + a.HeadDimV);
}
