using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// Modelled device time of an op: roofline (compute vs HBM) plus a fixed launch latency, and an
/// alpha–beta model for collectives. Documented in docs/EMULATOR.md. Host wall time never enters.
/// </summary>
public sealed class TimingModel
{
    /// <summary>Fixed per-kernel launch and prologue cost, seconds.</summary>
    public const double LaunchLatencySeconds = 4e-6;
    /// <summary>Fraction of dense peak a large well-shaped GEMM reaches (MAMF, references.md).</summary>
    public const double ComputeEfficiency = 0.8;
    /// <summary>Fraction of HBM bandwidth a streaming kernel reaches (FlashMLA 3000/3350 GB/s on H800).</summary>
    public const double MemoryEfficiency = 0.9;

    public OpTime Estimate(DeviceSpec d, Op op) => op switch
    {
        GemmOpSpec g => Roofline(d, op, 2.0 * g.M * g.N * g.K * Math.Max(1, g.Batch),
            (double)Math.Max(1, g.Batch) * (g.M * g.K + g.K * g.N + g.M * g.N) * DeviceSpec.BytesPerElement(op.Dtype)),
        GroupedGemmOpSpec gg => Roofline(d, op, gg.MPerGroup.Sum(m => 2.0 * m * gg.N * gg.K),
            gg.MPerGroup.Sum(m => (double)(m * gg.K + gg.K * gg.N + m * gg.N)) * DeviceSpec.BytesPerElement(op.Dtype)),
        AttentionOpSpec a => Roofline(d, op, AttentionFlops(a),
            (double)a.Batch * (a.QueryLen * a.Heads * (a.HeadDimQk + a.HeadDimV)
                + a.KvLen * a.KvHeads * (a.HeadDimQk + a.HeadDimV)) * DeviceSpec.BytesPerElement(op.Dtype)),
        ElementwiseOpSpec e => Roofline(d, op, 8.0 * e.Elements, 2.0 * e.Elements * DeviceSpec.BytesPerElement(op.Dtype)),
        CollectiveOpSpec c => Collective(d, c),
        _ => throw new InvalidFieldException("ops", $"unsupported op {op.GetType().Name}"),
    };

    public static double AttentionFlops(AttentionOpSpec a)
    {
        double pairs = (double)a.QueryLen * a.KvLen;
        if (a.Causal) pairs = CausalPairs(a.QueryLen, a.KvLen);
        return 2.0 * a.Batch * a.Heads * pairs * (a.HeadDimQk + a.HeadDimV);
    }

    /// <summary>Query–key pairs under a causal mask when the queries are the last <paramref name="q"/> of <paramref name="kv"/> positions.</summary>
    public static double CausalPairs(long q, long kv) => (double)q * kv - (double)q * (q - 1) / 2.0;

    private static OpTime Roofline(DeviceSpec d, Op op, double flops, double bytes)
    {
        double peak = d.PeakTflops(op.Dtype);
        if (peak <= 0 && op.Dtype == DataType.Bf16) peak = d.Fp16; // e.g. V100: BF16 work on FP16 units
        if (peak <= 0) throw new PreconditionFailedException("ops.dtype", $"{d.Id} has no {op.Dtype} units");
        double tc = flops / (peak * 1e12 * ComputeEfficiency);
        double tm = bytes / (d.HbmTbps * 1e12 * MemoryEfficiency);
        double t = Math.Max(tc, tm) + LaunchLatencySeconds;
        BoundKind bound = LaunchLatencySeconds > Math.Max(tc, tm) ? BoundKind.Latency : tc >= tm ? BoundKind.Compute : BoundKind.Memory;
        double eff = bound == BoundKind.Memory ? bytes / t / (d.HbmTbps * 1e12) : flops / t / (peak * 1e12);
        return new OpTime(op.Name, t, flops, bytes, bound, eff);
    }

    private static OpTime Collective(DeviceSpec d, CollectiveOpSpec c)
    {
        int n = Math.Max(1, c.Ranks);
        if (n == 1) return new OpTime(c.Name, 0, 0, 0, BoundKind.Communication, 0);
        int perNode = c.RanksPerNode > 0 ? c.RanksPerNode : d.ScaleUpDomain;
        bool crossNode = n > perNode;
        double bw = (crossNode ? d.ScaleOutGBps : d.ScaleUpGBps) * 1e9;
        double alpha = (crossNode ? d.ScaleOutLatencyUs : d.ScaleUpLatencyUs) * 1e-6;
        double factor = c.Kind switch
        {
            CollectiveKind.AllReduce => 2.0 * (n - 1) / n,
            CollectiveKind.AllGather or CollectiveKind.ReduceScatter or CollectiveKind.AllToAll => (double)(n - 1) / n,
            _ => 1.0,
        };
        int steps = c.Kind switch { CollectiveKind.AllReduce => 2 * (n - 1), CollectiveKind.SendRecv => 1, _ => n - 1 };
        double moved = factor * c.Bytes;
        double t = steps * alpha + moved / bw;
        return new OpTime(c.Name, t, 0, moved, BoundKind.Communication, moved / t / bw);
    }
}
