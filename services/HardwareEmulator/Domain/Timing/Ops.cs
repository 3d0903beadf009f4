using HardwareEmulator.Domain.Devices;

namespace HardwareEmulator.Domain.Timing;

/// <summary>What limits an op's modelled time.</summary>
public enum BoundKind { Compute, Memory, Latency, Communication }

/// <summary>An operation to time. Subtypes carry the shape.</summary>
public abstract record Op(string Name, DataType Dtype);

public sealed record GemmOpSpec(string Name, DataType Dtype, long M, long N, long K, long Batch = 1) : Op(Name, Dtype);

public sealed record GroupedGemmOpSpec(string Name, DataType Dtype, IReadOnlyList<long> MPerGroup, long N, long K) : Op(Name, Dtype);

public sealed record AttentionOpSpec(string Name, DataType Dtype, long Batch, long QueryLen, long KvLen,
    long Heads, long KvHeads, long HeadDimQk, long HeadDimV, bool Causal) : Op(Name, Dtype);

public enum ElementwiseKind { Softmax, RmsNorm, LayerNorm, Silu, Gelu, SwiGlu, Rope, Quantize, Dequantize, MoeGating, Copy }

public sealed record ElementwiseOpSpec(string Name, DataType Dtype, ElementwiseKind Kind, long Elements) : Op(Name, Dtype);

public enum CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll, SendRecv }

/// <summary>A collective over <paramref name="Ranks"/> devices; <paramref name="RanksPerNode"/> 0 = the device's scale-up domain.</summary>
public sealed record CollectiveOpSpec(string Name, DataType Dtype, CollectiveKind Kind, long Bytes, int Ranks, int RanksPerNode) : Op(Name, Dtype);

/// <summary>
/// Modelled timing of one op. <see cref="Bytes"/> is HBM traffic (link traffic per rank for collectives);
/// <see cref="Efficiency"/> is achieved over peak of the bound resource.
/// </summary>
public readonly record struct OpTime(double DeviceSeconds, double Flops, double Bytes, BoundKind Bound, double Efficiency)
{
    public double AchievedTflops => DeviceSeconds > 0 ? Flops / DeviceSeconds / 1e12 : 0;
    public double AchievedGBps => DeviceSeconds > 0 ? Bytes / DeviceSeconds / 1e9 : 0;
}
