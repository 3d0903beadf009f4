using HardwareEmulator.Domain.Devices;

namespace HardwareEmulator.Domain.Timing;

/// <summary>
/// Expert-parallel all-to-all (MoE dispatch and combine) the way DeepEP runs it: every rank writes its token copies
/// straight into each peer's buffer (NVLink inside the scale-up domain, RDMA to other nodes, both at once), so one
/// call costs a fixed per-call latency plus the slower of the two links' byte times. No ring steps, no NCCL
/// collective launch. The per-call latency is fitted on DeepEP's published low-latency kernel times (docs/EMULATOR.md,
/// "Expert all-to-all").
/// </summary>
public static class AllToAllTiming
{
    /// <summary>Fixed cost of one dispatch or combine call (kernel launch, RDMA completion signalling, the receive
    /// wait): least-squares fit (in relative error) of this model to DeepEP's 12 published low-latency figures on H800
    /// (EP 8–256, 128 tokens per rank, hidden 7168, top-8, FP8 dispatch, BF16 combine; every figure within 8%).
    /// </summary>
    public const double CallSeconds = 35e-6;

    /// <summary>DeepEP's published low-latency figures (docs/legacy.md of deepseek-ai/DeepEP, H800 with CX7 400 Gb/s
    /// InfiniBand): (EP size, dispatch µs, combine µs).</summary>
    public static readonly (int Ranks, double DispatchUs, double CombineUs)[] DeepEpLowLatency =
    [
        (8, 77, 114), (16, 118, 195), (32, 155, 273), (64, 173, 314), (128, 192, 369), (256, 194, 360),
    ];

    /// <summary>
    /// Time of one all-to-all of <paramref name="bytes"/> (one rank's send buffer) over <paramref name="ranks"/>
    /// devices, <paramref name="ranksPerNode"/> of them per scale-up domain: the share for the other ranks of the
    /// domain crosses the scale-up link, the share for ranks on other nodes the scale-out link (concurrently).
    /// </summary>
    public static OpTime Estimate(DeviceTiming t, long bytes, int ranks, int ranksPerNode)
    {
        if (ranks <= 1) return new OpTime(0, 0, 0, BoundKind.Communication, 0);
        var d = t.Device;
        int p = Math.Min(ranks, ranksPerNode > 0 ? ranksPerNode : Math.Max(1, d.ScaleUpDomain));
        double upRaw = d.ScaleUpGBps * 1e9, outRaw = d.ScaleOutGBps * 1e9;
        double up = upRaw * DeviceDefaults.ScaleUp(d), outBw = outRaw * DeviceDefaults.ScaleOut(d);
        double s = Math.Max(0, bytes), n = ranks;
        double local = (p - 1) / n * s, remote = (n - p) / n * s;
        double wire = Math.Max(local / up, remote > 0 ? remote / outBw : 0);
        double ideal = Math.Max(local / upRaw, remote > 0 ? remote / outRaw : 0);
        double time = CallSeconds + wire;
        return new OpTime(time, 0, local + remote, BoundKind.Communication, ideal / time);
    }
}
